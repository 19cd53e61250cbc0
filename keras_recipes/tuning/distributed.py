"""Distributed tuning for `kr.tune`: KerasTuner's own chief/worker mode.

KerasTuner runs a distributed search when `KERASTUNER_ORACLE_IP`,
`KERASTUNER_ORACLE_PORT` and `KERASTUNER_TUNER_ID` are set: the process whose
tuner id contains `"chief"` hosts the oracle behind a gRPC server and runs no
trials; every other process (a worker) asks the chief for trials, runs them
and reports the results. `kr.tune(..., distributed={...})` sets these
variables for the duration of the call (and restores them after); setting
them in the environment yourself works too.

What `kr.tune` adds to KerasTuner's chief loop (`oracle_chief.start_server`):
it polls for the end of the search every 0.1 s instead of every 20 s, stops
its gRPC server (freeing the port) and returns a `TuneResult` instead of
blocking forever after the last trial; it fails at once with a clear error
when the port cannot be bound. Workers return a `TuneResult` read from the
shared project folder once the chief has no trial left for them.
"""

import contextlib
import os
import time
from concurrent import futures

from keras_recipes import validation

ENV_TUNER_ID = "KERASTUNER_TUNER_ID"
ENV_ORACLE_IP = "KERASTUNER_ORACLE_IP"
ENV_ORACLE_PORT = "KERASTUNER_ORACLE_PORT"
ENV_VARS = (ENV_TUNER_ID, ENV_ORACLE_IP, ENV_ORACLE_PORT)
ROLES = ("chief", "worker")
KEYS = ("role", "oracle_ip", "oracle_port", "tuner_id")
DEFAULT_ORACLE_IP = "127.0.0.1"
POLL_INTERVAL = 0.1


def check_distributed(distributed):
    """Validates `kr.tune`'s `distributed=` and returns the env variables.

    Args:
        distributed: `None`, or a dict with `role` (`"chief"` or
            `"worker"`), `oracle_port` (int), optional `oracle_ip` (default
            `"127.0.0.1"`) and `tuner_id` (chief: default `"chief"`, must
            contain `"chief"`; worker: required, unique per worker, without
            `"chief"`).

    Returns:
        `None`, or a dict of the three `KERASTUNER_*` variables.

    Example:

    >>> check_distributed({"role": "worker", "oracle_port": 8000,
    ...                    "tuner_id": "tuner0"})["KERASTUNER_ORACLE_IP"]
    '127.0.0.1'
    """
    if distributed is None:
        return None
    if not isinstance(distributed, dict):
        raise TypeError(
            "`distributed` must be None or a dict such as {'role': 'chief', "
            "'oracle_ip': '127.0.0.1', 'oracle_port': 8000}. Received: "
            f"distributed={distributed!r}"
        )
    for key in distributed:
        if key not in KEYS:
            raise ValueError(
                f"`distributed` keys must be among {list(KEYS)}."
                f"{validation.did_you_mean(key, KEYS)} Received: "
                f"distributed key {key!r}"
            )
    if "role" not in distributed:
        raise ValueError(
            "`distributed` needs a 'role': 'chief' (hosts the oracle) or "
            f"'worker' (runs trials). Received: distributed={distributed!r}"
        )
    role = validation.check_choice("distributed['role']", distributed["role"], ROLES)
    if "oracle_port" not in distributed:
        raise ValueError(
            "`distributed` needs the chief's 'oracle_port' (e.g. 8000). "
            f"Received: distributed={distributed!r}"
        )
    port = validation.check_int(
        "distributed['oracle_port']",
        distributed["oracle_port"],
        minimum=1,
        maximum=65535,
    )
    ip = distributed.get("oracle_ip", DEFAULT_ORACLE_IP)
    if not isinstance(ip, str) or not ip.strip():
        raise ValueError(
            "`distributed['oracle_ip']` must be the chief's address, e.g. "
            f"'127.0.0.1' or '10.0.0.2'. Received: oracle_ip={ip!r}"
        )
    tuner_id = distributed.get("tuner_id", "chief" if role == "chief" else None)
    if tuner_id is None:
        raise ValueError(
            "`distributed` needs a unique 'tuner_id' for each worker (e.g. "
            "'tuner0', 'tuner1'); a worker re-started with the same id resumes "
            f"its unfinished trial. Received: distributed={distributed!r}"
        )
    if not isinstance(tuner_id, str) or not tuner_id:
        raise TypeError(
            "`distributed['tuner_id']` must be a non-empty string. "
            f"Received: tuner_id={tuner_id!r}"
        )
    # KerasTuner's rule: a process is the chief iff its id contains "chief".
    if (role == "chief") != ("chief" in tuner_id):
        raise ValueError(
            "`distributed['tuner_id']` must contain 'chief' for the chief and "
            f"must not for a worker. Received: role={role!r}, "
            f"tuner_id={tuner_id!r}"
        )
    return {
        ENV_TUNER_ID: tuner_id,
        ENV_ORACLE_IP: ip.strip(),
        ENV_ORACLE_PORT: str(port),
    }


@contextlib.contextmanager
def environment(variables):
    """Sets the `KERASTUNER_*` variables for a `with` block, then restores them."""
    if variables is None:
        yield
        return
    saved = {name: os.environ.get(name) for name in ENV_VARS}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def role():
    """`"chief"`, `"worker"` or `None`, from the environment (as KerasTuner)."""
    if ENV_ORACLE_IP not in os.environ:
        return None
    return "chief" if "chief" in os.environ.get(ENV_TUNER_ID, "") else "worker"


def address():
    return f"{os.environ[ENV_ORACLE_IP]}:{os.environ[ENV_ORACLE_PORT]}"


def serve(oracle, poll_interval=POLL_INTERVAL):
    """Serves `oracle` to the workers until the search is over (chief side).

    The same service as KerasTuner's `oracle_chief.start_server` (its
    `OracleServicer`), with the end of the search detected within
    `poll_interval` seconds, and the server stopped before returning.
    """

    import grpc
    from keras_tuner.src import protos
    from keras_tuner.src.distribute import oracle_chief

    target = address()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    servicer = oracle_chief.OracleServicer(oracle)
    protos.get_service_grpc().add_OracleServicer_to_server(servicer, server)
    try:
        bound = server.add_insecure_port(target)
    except RuntimeError:
        bound = 0
    if not bound:
        raise RuntimeError(
            f"The kr.tune chief cannot listen on {target} (port in use, or "
            "not an address of this machine). Pick another `oracle_port`. "
            f"Received: {ENV_ORACLE_IP}:{ENV_ORACLE_PORT}={target}"
        )
    server.start()
    try:
        # Over when a worker was told to stop (no trial left) and every
        # worker has asked for a trial since and been told to stop too, with
        # no trial running: KerasTuner's `exit_chief` rule.
        while not (servicer.stop_triggered and oracle_chief.exit_chief(oracle)):
            time.sleep(poll_interval)
        oracle.save()  # the final state: no trial running
    finally:
        # The grace period lets the last "stop" answer reach its worker.
        server.stop(grace=2.0).wait()
