"""`import keras_recipes` stays light: heavy optional parts load on first use.

Runs in ONE fresh interpreter (the test process has imported everything
already), so the result reflects what a user's `import keras_recipes` loads.
"""

import json
import os
import subprocess
import sys
import textwrap

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Optional dependencies that only export / tuning / benchmarks need.
LAZY = ("onnxruntime", "tf2onnx", "onnx", "keras_tuner", "sacrebleu", "babel")

CHILD = textwrap.dedent(
    """
    import json
    import sys

    import keras
    import tensorflow

    before = set(sys.modules)
    import keras_recipes as kr

    added = sorted(set(sys.modules) - before)
    loaded = {name: name in sys.modules for name in LAZY}
    public = {
        "export": callable(kr.export.export),
        "tune": callable(kr.tuning.tune),
        "addons": type(kr.addons.optimizers.AdamW(weight_decay=1e-4)).__name__
        == "AdamW",
    }
    # Still lazy after touching the public attributes above.
    still_lazy = {name: name in sys.modules for name in LAZY}
    hypermodel = kr.tuning.TaskHyperModel.__name__
    print(json.dumps({
        "added": added,
        "loaded": loaded,
        "public": public,
        "still_lazy": still_lazy,
        "hypermodel": hypermodel,
        "keras_tuner_after": "keras_tuner" in sys.modules,
    }))
    """
)


def run_child():
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    code = f"LAZY = {LAZY!r}\n{CHILD}"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_import_keeps_optional_parts_lazy():
    report = run_child()
    # None of the heavy optional packages is imported by `import keras_recipes`.
    assert not any(report["loaded"].values()), report["loaded"]
    assert not any(report["still_lazy"].values()), report["still_lazy"]
    # Keras itself imports matplotlib.pyplot (keras.src.visualization) when it
    # is installed; keras_recipes must not add any matplotlib module on top.
    added_roots = {name.split(".")[0] for name in report["added"]}
    assert not added_roots & {"matplotlib", "sklearn", "pandas", *LAZY}, sorted(
        added_roots
    )
    # The lazy parts stay reachable through the public API.
    assert all(report["public"].values()), report["public"]
    assert report["hypermodel"] == "TaskHyperModel"
    assert report["keras_tuner_after"]
