"""`keras-recipes launch --workers N RECIPE.yaml`: local multi-worker training.

Starts N worker processes on 127.0.0.1, each with its own `TF_CONFIG` (free
ports picked by the OS), each running `keras-recipes train RECIPE.yaml --set
strategy=multi_worker`. Worker 0 is the chief and writes the recipe's
`output_dir`; the other workers write into `output_dir/.workers/worker-I` and
their logs to `output_dir/.workers/worker-I.log`. It is a way to try
multi-worker training on one machine; on a real cluster, start one process
per host with that host's `TF_CONFIG` (see docs/distribution.md).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time

from keras_recipes import recipe as recipe_lib
from keras_recipes.validation import check_int


def free_ports(count):
    """Returns `count` distinct free TCP ports on 127.0.0.1.

    Example:

    >>> ports = free_ports(2)
    >>> len(set(ports))
    2
    """
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def tf_config(ports, index, host="127.0.0.1"):
    """The `TF_CONFIG` JSON string of worker `index` of a local cluster.

    Example:

    >>> json.loads(tf_config([2222, 2223], 1))["task"]
    {'type': 'worker', 'index': 1}
    """
    return json.dumps(
        {
            "cluster": {"worker": [f"{host}:{port}" for port in ports]},
            "task": {"type": "worker", "index": int(index)},
        }
    )


def start_workers(command, count, env=None, log_dir=None, chief_output=False):
    """Starts `count` local workers of `command` (a list), one TF_CONFIG each.

    Args:
        command: argv list, or a function `index -> argv list`.
        count: number of workers (>= 1).
        env: base environment (default: `os.environ`).
        log_dir: folder for `worker-I.log` files; `None` sends every worker's
            output to `subprocess.DEVNULL` unless `chief_output`.
        chief_output: let worker 0 write to this process' stdout/stderr.

    Returns:
        The list of `subprocess.Popen`, worker 0 first.
    """
    ports = free_ports(count)
    procs = []
    for index in range(count):
        worker_env = dict(os.environ if env is None else env)
        worker_env["TF_CONFIG"] = tf_config(ports, index)
        argv = command(index) if callable(command) else list(command)
        if index == 0 and chief_output:
            out = None
        elif log_dir is not None:
            os.makedirs(log_dir, exist_ok=True)
            out = open(os.path.join(log_dir, f"worker-{index}.log"), "w")  # noqa: SIM115
        else:
            out = subprocess.DEVNULL
        procs.append(
            subprocess.Popen(
                argv,
                env=worker_env,
                stdout=out,
                stderr=subprocess.STDOUT if out is not None else None,
                start_new_session=True,
            )
        )
    return procs


def stop(procs):
    """Kills the workers still running (each by its process id)."""
    for proc in procs:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()


def wait(procs, timeout=None):
    """Waits for all workers; when one fails, stops the others.

    A worker that dies leaves the others blocked in a collective op, so they
    are killed rather than left hanging.

    Returns:
        The list of return codes, worker 0 first.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while any(proc.poll() is None for proc in procs):
            if any(proc.poll() not in (None, 0) for proc in procs):
                break
            if deadline is not None and time.monotonic() > deadline:
                break
            time.sleep(0.2)
    finally:
        stop(procs)
    return [proc.returncode for proc in procs]


def launch_command(args):
    """Runs `keras-recipes launch` (see the module docstring)."""

    workers = check_int("--workers", args.workers, minimum=1)
    overrides = list(getattr(args, "set", None) or [])
    recipe = recipe_lib.load(args.recipe, overrides)  # validate before starting
    output_dir = getattr(args, "output_dir", None) or recipe.output_dir
    side = os.path.join(output_dir, ".workers")

    def argv(index):
        out = output_dir if index == 0 else os.path.join(side, f"worker-{index}")
        command = [sys.executable, "-m", "keras_recipes.cli", "train", args.recipe]
        for assignment in overrides:
            command += ["--set", assignment]
        return command + [
            "--set",
            "strategy=multi_worker",
            "--set",
            "tensorboard=false" if index else "tensorboard=true",
            "--output-dir",
            out,
        ]

    print(
        f"keras-recipes launch: {workers} workers on 127.0.0.1; logs of workers "
        f"1..{workers - 1} in {side}",
        flush=True,
    )
    procs = start_workers(argv, workers, log_dir=side, chief_output=True)
    codes = wait(procs)
    failed = [i for i, code in enumerate(codes) if code != 0]
    if failed:
        raise ValueError(
            f"worker(s) {failed} failed (return codes {codes}); see {side}/worker-I.log"
        )
    return codes
