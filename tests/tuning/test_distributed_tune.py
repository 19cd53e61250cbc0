"""Distributed `kr.tune`: KerasTuner's chief/worker mode on 127.0.0.1."""

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from keras_recipes.distribute import launch
from keras_recipes.tuning import distributed as distributed_lib

CHILD = os.path.join(os.path.dirname(__file__), "distributed_child.py")
WORKERS = ("tuner0", "tuner1")


# ---------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "value, error, message",
    [
        ("chief", TypeError, "`distributed` must be None or a dict"),
        ({"role": "boss", "oracle_port": 8000}, ValueError, "role"),
        ({"oracle_port": 8000}, ValueError, "needs a 'role'"),
        ({"role": "chief"}, ValueError, "needs the chief's 'oracle_port'"),
        ({"role": "chief", "oracle_port": 0}, ValueError, "oracle_port"),
        ({"role": "chief", "oracle_port": "8000"}, TypeError, "oracle_port"),
        (
            {"role": "worker", "oracle_port": 8000},
            ValueError,
            "needs a unique 'tuner_id'",
        ),
        (
            {"role": "worker", "oracle_port": 8000, "tuner_id": "chief1"},
            ValueError,
            "must contain 'chief' for the chief",
        ),
        (
            {"role": "chief", "oracle_port": 8000, "tuner_id": "main"},
            ValueError,
            "must contain 'chief' for the chief",
        ),
        (
            {"role": "chief", "oracle_port": 8000, "oracle_ip": ""},
            ValueError,
            "`distributed['oracle_ip']` must be the chief's address",
        ),
        (
            {"role": "chief", "oracle_port": 8000, "tunerid": "chief"},
            ValueError,
            "Did you mean 'tuner_id'?",
        ),
    ],
)
def test_distributed_argument_is_validated(value, error, message):
    with pytest.raises(error, match="Received") as info:
        distributed_lib.check_distributed(value)
    assert message in str(info.value)


def test_environment_is_set_for_the_call_and_restored(monkeypatch):
    monkeypatch.setenv("KERASTUNER_ORACLE_IP", "10.0.0.9")
    monkeypatch.delenv("KERASTUNER_TUNER_ID", raising=False)
    monkeypatch.delenv("KERASTUNER_ORACLE_PORT", raising=False)
    variables = distributed_lib.check_distributed(
        {"role": "worker", "oracle_port": 8123, "tuner_id": "tuner3"}
    )
    with distributed_lib.environment(variables):
        assert distributed_lib.role() == "worker"
        assert distributed_lib.address() == "127.0.0.1:8123"
        assert os.environ["KERASTUNER_TUNER_ID"] == "tuner3"
    assert os.environ["KERASTUNER_ORACLE_IP"] == "10.0.0.9"
    assert "KERASTUNER_TUNER_ID" not in os.environ
    assert "KERASTUNER_ORACLE_PORT" not in os.environ
    chief = distributed_lib.check_distributed({"role": "chief", "oracle_port": 1})
    with distributed_lib.environment(chief):
        assert distributed_lib.role() == "chief"


def test_chief_fails_at_once_when_the_port_is_taken():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        variables = distributed_lib.check_distributed(
            {"role": "chief", "oracle_port": port}
        )
        with distributed_lib.environment(variables):
            with pytest.raises(
                RuntimeError, match=f"cannot listen on 127.0.0.1:{port}"
            ):
                distributed_lib.serve(oracle=None)


# ------------------------------------------------------ chief + 2 workers
def _run_all(procs, timeout):
    """Waits for every process; kills them all at the first failure."""
    deadline = time.monotonic() + timeout
    while any(p.poll() is None for p in procs.values()):
        failed = [n for n, p in procs.items() if p.poll() not in (None, 0)]
        if failed or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    logs = {}
    for name, proc in procs.items():
        if proc.poll() is None:
            proc.kill()
        logs[name], _ = proc.communicate(timeout=30)
    return logs


@pytest.mark.slow
def test_chief_and_two_workers_share_one_search(tmp_path):
    (port,) = launch.free_ports(1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KERASTUNER_")}
    env.update(
        {
            "KR_TEST_WORKERS": ",".join(WORKERS),
            "CUDA_VISIBLE_DEVICES": "",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONUNBUFFERED": "1",
        }
    )
    directory = str(tmp_path / "project")
    os.makedirs(directory)
    procs = {}
    try:
        for name in ("chief", *WORKERS):
            role = "chief" if name == "chief" else "worker"
            procs[name] = subprocess.Popen(
                [
                    sys.executable,
                    CHILD,
                    role,
                    name,
                    str(port),
                    directory,
                    str(tmp_path / f"{name}.json"),
                ],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        logs = _run_all(procs, timeout=240)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for name, proc in procs.items():
        assert proc.returncode == 0, f"{name} failed:\n{logs[name][-3000:]}"

    out = {name: json.loads((tmp_path / f"{name}.json").read_text()) for name in procs}
    chief = out["chief"]
    assert chief["role"] == "chief"
    assert chief["objective"] == "val_accuracy"
    # The oracle's saved state: 4 trials ended, each once, none running.
    with open(os.path.join(directory, "dist", "oracle.json")) as file:
        state = json.load(file)
    assert len(state["end_order"]) == len(set(state["end_order"])) == 4
    assert sorted(state["start_order"]) == sorted(state["end_order"])
    assert state["ongoing_trials"] == {}
    assert set(state["run_times"].values()) == {1}
    # Every trial completed, with 4 distinct hyperparameter sets.
    trials = chief["trials"]
    assert [t["status"] for t in trials] == ["COMPLETED"] * 4
    assert sorted(t["trial_id"] for t in trials) == sorted(state["end_order"])
    sets = {tuple(sorted(t["values"].items())) for t in trials}
    assert len(sets) == 4
    # The chief ran none; each worker ran at least one, and no trial ran twice.
    assert chief["trial_ids_run"] == []
    assert f"chief serving the oracle on 127.0.0.1:{port}" in logs["chief"]
    runs = [out[w]["trial_ids_run"] for w in WORKERS]
    assert all(len(r) >= 1 for r in runs), runs
    assert sorted(runs[0] + runs[1]) == sorted(state["end_order"])
    # Each worker's own trials, as its result reports them.
    worker_scores = {}
    for w in WORKERS:
        assert out[w]["role"] == "worker"
        assert f"{w}: trial id" in logs[w]
        mine = {
            t["trial_id"]: t
            for t in out[w]["trials"]
            if t["trial_id"] in out[w]["trial_ids_run"]
        }
        assert sorted(mine) == sorted(out[w]["trial_ids_run"])
        assert all(t["status"] == "COMPLETED" for t in mine.values())
        worker_scores.update({i: t["score"] for i, t in mine.items()})
    # The chief's best is the best of the workers' trials, and loads.
    best = max(worker_scores.values())
    assert chief["best_score"] == pytest.approx(best)
    assert chief["best_values"] in [
        t["values"] for t in trials if t["score"] == pytest.approx(best)
    ]
    assert chief["best_output_shape"] == [None, 10]
    # Workers' results are usable too: a best model loaded from the project.
    for w in WORKERS:
        assert out[w]["best_output_shape"] == [None, 10]
    # The KERASTUNER_* variables were set only for the call.
    for name in procs:
        assert set(out[name]["env_after"].values()) == {None}
