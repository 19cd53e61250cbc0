"""`kr.image_regressor` on real images: UCI digits, the digit's value as target.

The digits (1,797 8x8 scans, bundled with scikit-learn) are real images no
one here drew; reading the value 0-9 as a number is a regression a model can
only solve by reading the image (the mean predicts 4.5 for all).
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf
from PIL import Image

import keras_recipes as kr
from keras_recipes import recipe as recipe_lib

NO_TB = dict(verbose=0, tensorboard=False)
TINY = dict(width=8, depth=2, augmentation=None)
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def trained(digits):
    (x, y), (x_test, y_test) = digits
    model = kr.image_regressor(data=(x, y), width=16, depth=2, seed=0)
    model.fit((x, y), epochs=4, seed=0, **NO_TB)
    return model


def test_reads_the_digit_value_far_better_than_the_mean(trained, digits):
    (x, y), (x_test, y_test) = digits
    pred = trained.predict(x_test, verbose=0)[:, 0]
    rmse = float(np.sqrt(np.mean((pred - y_test) ** 2)))
    baseline = float(np.sqrt(np.mean((y.mean() - y_test) ** 2)))  # ~2.9
    assert rmse < 0.7 * baseline, (rmse, baseline)  # measured ~0.5x
    scores = trained.evaluate((x_test, y_test), verbose=0)
    assert set(scores) == {"loss", "rmse", "mae", "r2"}
    np.testing.assert_allclose(scores["rmse"], rmse, rtol=1e-3)
    mae = float(np.mean(np.abs(pred - y_test)))
    np.testing.assert_allclose(scores["mae"], mae, rtol=1e-3)
    assert scores["r2"] > 0.5
    # Predictions are in the target's units (digits), not standardized.
    assert 2.0 < float(pred.mean()) < 7.0
    frame = trained.predict_values(x_test[:4])
    assert list(frame.columns) == ["target"]
    np.testing.assert_allclose(frame["target"], pred[:4], rtol=1e-6)
    assert trained.target_transform["log"] == [False]
    assert trained.target_transform["mean"][0] == pytest.approx(y.mean(), rel=1e-6)


def test_several_named_targets_from_a_frame(digits):
    (x, y), _ = digits
    x, y = x[:64], y[:64]
    # A second real target: the share of inked pixels of each scan.
    targets = pd.DataFrame({"digit": y, "ink": (x > 64).mean(axis=(1, 2, 3))})
    model = kr.image_regressor(data=(x, targets), **TINY)
    assert model.target_names == ["digit", "ink"]
    assert model.output_shape == (None, 2)
    model.fit((x, targets.to_numpy()), epochs=1, batch_size=32, **NO_TB)
    frame = model.predict_values(x[:3])
    assert list(frame.columns) == ["digit", "ink"] and len(frame) == 3
    with pytest.raises(ValueError, match=r"must hold 2 target\(s\) per row"):
        model.evaluate((x, y), verbose=0)


def _write_folder(root, x, y):
    rows = ["filename,value"]
    for i, (image, value) in enumerate(zip(x, y)):
        sub = "odd" if i % 2 else "even"
        os.makedirs(os.path.join(root, sub), exist_ok=True)
        Image.fromarray(image[..., 0]).save(os.path.join(root, sub, f"{i}.png"))
        rows.append(f"{sub}/{i}.png,{value}")
    with open(os.path.join(root, "targets.csv"), "w") as file:
        file.write("\n".join(rows) + "\n")


def test_image_folder_with_a_targets_csv(digits, tmp_path):
    (x, y), _ = digits
    _write_folder(str(tmp_path), x[:40], y[:40])
    data = kr.data.image_targets(str(tmp_path))
    assert data.info["target_names"] == ["value"]
    assert data.info["image_shape"] == (8, 8, 1)
    np.testing.assert_array_equal(data.y[:, 0], y[:40])
    model = kr.image_regressor(data=data, **TINY)
    assert model.target_names == ["value"]
    model.fit(data, epochs=1, **NO_TB)
    assert set(model.evaluate(data, verbose=0)) == {"loss", "rmse", "mae", "r2"}
    # The folder's pixels are the arrays' pixels: same predictions.
    np.testing.assert_allclose(
        model.predict(data, verbose=0), model.predict(x[:40], verbose=0), atol=1e-5
    )
    # A recipe reads the same folder through `data.path`.
    recipe = recipe_lib.load(
        {"task": "image_regressor", "data": {"path": str(tmp_path)}}
    )
    train, test = recipe.load_data()
    assert len(train) + len(test) == 40 and train.y.shape[1] == 1


def test_targets_csv_errors_name_the_rows(digits, tmp_path):
    (x, y), _ = digits
    _write_folder(str(tmp_path), x[:4], y[:4])
    (tmp_path / "targets.csv").write_text("filename,value\neven/0.png,1\nnope.png,2\n")
    with pytest.raises(ValueError, match=r"missing or not image files \(nope.png\)"):
        kr.data.image_targets(str(tmp_path))
    (tmp_path / "targets.csv").write_text("filename,value\neven/0.png,\n")
    with pytest.raises(ValueError, match=r"NaN, empty or infinite targets"):
        kr.data.image_targets(str(tmp_path))
    (tmp_path / "targets.csv").write_text("filename,value\neven/0.png,big\n")
    with pytest.raises(TypeError, match=r"\['value'\] hold text"):
        kr.data.image_targets(str(tmp_path))
    (tmp_path / "targets.csv").write_text("filename,value\n../x.png,1\n")
    with pytest.raises(ValueError, match=r"outside `directory`"):
        kr.data.image_targets(str(tmp_path))


def test_saved_model_and_onnx_give_the_values_in_target_units(
    trained, digits, tmp_path
):
    _, (x_test, _) = digits
    expected = trained.predict(x_test[:16], verbose=0)
    served = tf.saved_model.load(str(trained.export(tmp_path / "sm", "saved_model")))
    (got,) = served.serve(tf.constant(x_test[:16].astype("float32"))).values()
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5, atol=1e-5)
    report = trained.export(tmp_path / "m.onnx", format="onnx", samples=x_test[:16])
    assert report.output_shapes == [[None, 1]]
    from keras_recipes.export.onnx_preprocess import OnnxPredictor

    onnx_values = OnnxPredictor(str(tmp_path / "m.onnx")).predict(x_test[:16])
    np.testing.assert_allclose(onnx_values, expected, rtol=1e-5, atol=1e-5)


CHILD = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import keras
    import keras_recipes as kr
    model = keras.saving.load_model(sys.argv[1])
    x = np.load(sys.argv[2])
    print(json.dumps({"class": type(model).__name__,
                      "names": model.target_names,
                      "pred": model.predict(x, verbose=0).tolist()}))
    """
)


def test_keras_file_loads_in_a_fresh_process_without_custom_objects(
    trained, digits, tmp_path
):
    _, (x_test, _) = digits
    trained.save(tmp_path / "m.keras")
    np.save(tmp_path / "x.npy", x_test[:5])
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            str(tmp_path / "m.keras"),
            str(tmp_path / "x.npy"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="3"),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["class"] == "ImageRegressor" and out["names"] == ["target"]
    np.testing.assert_allclose(
        out["pred"], trained.predict(x_test[:5], verbose=0), atol=1e-5
    )
    loaded = kr.load_model(str(tmp_path / "m.keras"))
    assert loaded.target_transform == trained.target_transform


def test_tune_scores_trials_on_val_rmse(digits, tmp_path):
    (x, y), _ = digits
    result = kr.tune(
        kr.image_regressor,
        (x[:120], y[:120]),
        max_trials=1,
        epochs=1,
        objective="val_rmse",
        model_kwargs=TINY,
        search_space={"learning_rate": [1e-3]},
        seed=0,
        verbose=0,
        directory=str(tmp_path),
        tensorboard=False,
    )
    assert result.objective == "val_rmse"
    assert result.tuner.oracle.objective.direction == "min"
    assert np.isfinite(result.best_score)
    assert type(result.best_model).__name__ == "ImageRegressor"


def test_resume_dir_finishes_a_run_with_the_same_weights(digits, tmp_path):
    (x, y), _ = digits
    x, y = x[:64], y[:64]
    kr.set_seed(0)
    model = kr.image_regressor(data=(x, y), **TINY)
    model.fit((x, y), epochs=2, resume_dir=str(tmp_path / "r"), **NO_TB)
    # A rerun of the finished call restores the final weights, trains no more.
    again = kr.image_regressor(data=(x, y), **TINY)
    again.fit((x, y), epochs=2, resume_dir=str(tmp_path / "r"), **NO_TB)
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_cli_predict_prints_values_for_image_files(trained, digits, tmp_path, capsys):
    from keras_recipes.cli import main

    _, (x_test, _) = digits
    path = str(tmp_path / "m.keras")
    trained.save(path)
    files = []
    for i in range(2):
        files.append(str(tmp_path / f"{i}.png"))
        Image.fromarray(x_test[i, ..., 0]).save(files[-1])
    assert main(["predict", path, *files]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    expected = trained.predict(x_test[:2], verbose=0)[:, 0]
    np.testing.assert_allclose([line["target"] for line in lines], expected, rtol=1e-4)
