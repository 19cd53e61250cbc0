"""`keras-recipes launch`: argument handling (the 2-worker runs are in
test_multi_worker.py, which uses the same `start_workers`/`wait`)."""

import json
import sys

from keras_recipes import cli
from keras_recipes.distribute import launch


def test_parser_has_launch():
    args = cli.build_parser().parse_args(
        ["launch", "r.yaml", "--workers", "3", "--set", "fit.epochs=1"]
    )
    assert (args.recipe, args.workers, args.set) == ("r.yaml", 3, ["fit.epochs=1"])
    assert args.func is cli.cmd_launch


def test_bad_arguments_exit_2_before_starting_workers(tmp_path, capsys):
    assert cli.main(["launch", str(tmp_path / "missing.yaml")]) == 2
    assert "must be an existing YAML file" in capsys.readouterr().err
    recipe = tmp_path / "r.yaml"
    recipe.write_text("task: image_classifier\ndata: {dataset: digits}\n")
    assert cli.main(["launch", str(recipe), "--workers", "0"]) == 2
    assert "`--workers` must be" in capsys.readouterr().err


def test_tf_config_per_worker_and_failure_stops_the_others(tmp_path):
    # Worker 1 exits with an error at once; worker 0 would wait forever (as a
    # worker blocked in a collective op does) and is stopped by `wait`.
    code = (
        "import json, os, sys, time\n"
        "task = json.loads(os.environ['TF_CONFIG'])['task']\n"
        "print(os.environ['TF_CONFIG'], flush=True)\n"
        "sys.exit(3) if task['index'] == 1 else time.sleep(600)\n"
    )
    procs = launch.start_workers([sys.executable, "-c", code], 2, log_dir=str(tmp_path))
    codes = launch.wait(procs, timeout=120)
    assert codes[1] == 3 and codes[0] != 0
    configs = [
        json.loads((tmp_path / f"worker-{i}.log").read_text().splitlines()[0])
        for i in range(2)
    ]
    assert [c["task"]["index"] for c in configs] == [0, 1]
    workers = configs[0]["cluster"]["worker"]
    assert configs[1]["cluster"]["worker"] == workers
    assert len(set(workers)) == 2 and all(w.startswith("127.0.0.1:") for w in workers)
