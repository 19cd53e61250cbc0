"""Plain `keras.saving.load_model` of a template's `.keras` file, in a new process.

Keras 3.15 finds a custom class only in its registry of serializable objects,
which `import keras_recipes` fills: it imports the module a saved config
names only for the `keras`, `keras_hub`, `keras_cv` and `keras_nlp` packages
(`keras/src/saving/serialization_lib.py`, `_retrieve_class_or_fn`). So a
fresh process must `import keras_recipes` before loading; then Keras' own
loader, with its default `safe_mode=True` and no `custom_objects`, gives back
the same class and predictions. The README says so ("Saving, loading and
trust"); this test holds both halves of that sentence.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np

import keras_recipes as kr

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = textwrap.dedent(
    """
    import json, sys
    import keras
    import numpy as np

    path, images_path = sys.argv[1], sys.argv[2]
    report = {}
    try:
        keras.saving.load_model(path)
        report["without_import"] = "loaded"
    except TypeError as error:
        report["without_import"] = str(error)
    report["imported_before"] = "keras_recipes" in sys.modules
    import keras_recipes  # noqa: F401  (fills Keras' registry)

    model = keras.saving.load_model(path)  # safe_mode=True, no custom_objects
    report["class"] = type(model).__name__
    report["predictions"] = model.predict(np.load(images_path), verbose=0).tolist()
    print(json.dumps(report))
    """
)


def test_keras_load_model_in_a_fresh_process_needs_only_the_import(tmp_path):
    model = kr.image_classifier(
        num_classes=3, image_shape=(8, 8, 1), width=8, depth=1, seed=0
    )
    path = str(tmp_path / "m.keras")
    model.save(path)
    images = np.random.default_rng(0).uniform(0, 255, (4, 8, 8, 1)).astype("float32")
    images_path = str(tmp_path / "images.npy")
    np.save(images_path, images)
    run = subprocess.run(
        [sys.executable, "-c", CHILD, path, images_path],
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=REPO),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    # Without the import Keras cannot find the class (documented in the README).
    assert not report["imported_before"]
    assert "Could not locate class 'ImageClassifier'" in report["without_import"]
    # With it: Keras' own loader, same class, same predictions.
    assert report["class"] == "ImageClassifier"
    expected = model.predict(images, verbose=0)
    np.testing.assert_allclose(report["predictions"], expected, rtol=1e-5, atol=1e-6)
