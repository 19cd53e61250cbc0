"""Runs a snippet in a fresh `python -I` where some packages cannot be imported.

Used by the export tests to prove that an exported artefact works without
TensorFlow / Keras / keras_recipes installed.
"""

import os
import subprocess
import sys
import textwrap

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ONNX_PREPROCESS = os.path.join(REPO, "keras_recipes", "export", "onnx_preprocess.py")

PRELUDE = """
import importlib.util, json, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ImportError("blocked " + name)
sys.meta_path.insert(0, Block())
"""

# Loads keras_recipes/export/onnx_preprocess.py as a plain file (the package
# itself is blocked) under the name `module`.
LOAD_ONNX_PREPROCESS = f"""
spec = importlib.util.spec_from_file_location("onnx_preprocess", {ONNX_PREPROCESS!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
"""


def run_blocked(body, blocked, cwd, onnx_preprocess=False):
    """Runs `body` with `blocked` top-level packages unimportable.

    The snippet must print `OK` last; the test fails with its stderr otherwise.
    """
    script = PRELUDE.format(blocked=tuple(blocked))
    if onnx_preprocess:
        script += LOAD_ONNX_PREPROCESS
    script += textwrap.dedent(body)
    done = subprocess.run(
        [sys.executable, "-I", "-c", script],
        capture_output=True,
        text=True,
        cwd=str(cwd),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("OK"), done.stdout[-2000:]
