#!/usr/bin/env python3
"""Bootstrap + task runner that needs nothing but python3.

    python3 dev.py demo     # venv + install + train/evaluate/export the digits demo
    python3 dev.py test     # venv + install + ruff lint and format check + the tests
    python3 dev.py bench    # the benchmarks in benchmarks/

`demo` and `bench` install the package alone; `test` adds the `[test]` extras
(pytest, ruff, notebook tools). Arguments after `demo` go to `keras-recipes
demo` (`--quiet`: no per-epoch progress; `--task`, `--epochs`). The one
virtual environment lives in `.venv/`; the install step re-runs only when
pyproject.toml changes or `test` needs the extras a `demo` did not install.
"""

import hashlib
import os
import subprocess
import sys
import venv

ROOT = os.path.dirname(os.path.abspath(__file__))
VENV = os.path.join(ROOT, ".venv")
BIN = os.path.join(VENV, "Scripts" if os.name == "nt" else "bin")
PY = os.path.join(BIN, "python")
STAMP = os.path.join(VENV, ".keras-recipes-installed")
# Modules in benchmarks/ that the scripts import; `bench` does not run them.
BENCHMARK_HELPERS = ("common.py",)


def run(*cmd, **kwargs):
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=ROOT, **kwargs).returncode


def installed():
    """`(pyproject digest, with test extras)` of the last install, or `None`."""
    if not os.path.exists(STAMP):
        return None
    with open(STAMP) as file:
        digest, _, extras = file.read().partition("\n")
    return digest, extras.strip() == "test"


def ensure_env(test_extras=False):
    """Creates `.venv` and installs the package (with `[test]` if asked)."""
    if not os.path.exists(PY):
        print(f"+ creating virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as file:
        digest = hashlib.sha256(file.read()).hexdigest()
    stamp = installed()
    if stamp is not None and stamp[0] == digest:
        if stamp[1] or not test_extras:  # extras stay once installed
            return
        test_extras = True
    elif stamp is not None and stamp[1]:
        test_extras = True  # a changed pyproject keeps the venv's extras
    quiet = ["-q"] if os.environ.get("CI") else []
    if run(PY, "-m", "pip", "install", *quiet, "--upgrade", "pip") != 0:
        sys.exit("pip upgrade failed")
    target = ".[test]" if test_extras else "."
    if run(PY, "-m", "pip", "install", *quiet, "-e", target) != 0:
        sys.exit("installing keras-recipes failed")
    with open(STAMP, "w") as file:
        file.write(digest + ("\ntest" if test_extras else ""))


def main(argv):
    if not argv or argv[0] not in ("demo", "test", "bench", "install"):
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    ensure_env(test_extras=command in ("test", "install"))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    if command == "install":
        return 0
    if command == "demo":
        return run(os.path.join(BIN, "keras-recipes"), "demo", *rest, env=env)
    if command == "test":
        ruff = os.path.join(BIN, "ruff")
        code = run(ruff, "check", ".", env=env) or run(
            ruff, "format", "--check", ".", env=env
        )
        if code != 0:
            return code
        # Two xdist workers: one per core on the 2-core CI machine; the 15
        # slowest tests listed at the end, to keep the suite's time in view.
        return run(PY, "-m", "pytest", "-n", "2", "--durations=15", *rest, env=env)
    code = 0
    for script in sorted(os.listdir(os.path.join(ROOT, "benchmarks"))):
        if script.endswith(".py") and script not in BENCHMARK_HELPERS:
            code |= run(PY, os.path.join("benchmarks", script), *rest, env=env)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
