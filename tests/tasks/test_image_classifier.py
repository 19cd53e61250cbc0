import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from task_checks import check_config_round_trip
from task_checks import check_fit_arrays_and_tf_data
from task_checks import check_predict_by_batches
from task_checks import check_save_load_fresh_process

import keras_recipes as kr

TINY = dict(width=8, depth=2)


def tiny_images(n=24, shape=(8, 8, 1), classes=3, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    x = rng.integers(0, 60, size=(n, *shape)).astype("uint8")
    for c in range(classes):  # a learnable signal: a bright band per class
        x[y == c, c * 2 : c * 2 + 2] = 250
    return x, y


def test_factory_infers_classes_and_shape():
    x, y = tiny_images()
    model = kr.image_classifier(data=(x, y), **TINY)
    assert isinstance(model, kr.tasks.ImageClassifier)
    assert model.num_classes == 3
    assert model.image_shape == (8, 8, 1)
    assert model.class_names is None


def test_string_labels_give_class_names_that_survive_save_load(tmp_path):
    x, y = tiny_images()
    names = np.array(["cat", "dog", "emu"])[y]
    model = kr.image_classifier(data=(x, names), **TINY)
    assert model.class_names == ["cat", "dog", "emu"]
    model.fit((x, names), epochs=1, verbose=0, tensorboard=False)
    labels = model.predict_labels(x[:4])
    assert set(labels) <= {"cat", "dog", "emu"}
    check_save_load_fresh_process(model, x[:6], str(tmp_path))


def test_config_round_trip_and_fit_on_arrays_and_tf_data():
    x, y = tiny_images()
    model = kr.image_classifier(data=(x, y), **TINY)
    check_fit_arrays_and_tf_data(model, x, y)
    check_config_round_trip(model, x[:4].astype("float32"))


def test_rank3_grayscale_and_rgb_binary():
    x, y = tiny_images(shape=(8, 8, 1), classes=2)
    model = kr.image_classifier(data=(x[..., 0], y), **TINY)
    assert model.image_shape == (8, 8, 1)
    model.fit((x[..., 0], y), epochs=1, verbose=0, tensorboard=False)
    x3, y3 = tiny_images(shape=(8, 8, 3), classes=2)
    rgb = kr.image_classifier(data=(x3, y3), **TINY)
    assert rgb.predict(x3[:3], verbose=0).shape == (3, 2)


def test_augmentation_is_training_only():
    x, y = tiny_images()
    model = kr.image_classifier(data=(x, y), augmentation=["flip", "zoom"], **TINY)
    a = model.predict(x[:5], verbose=0)
    b = model.predict(x[:5], verbose=0)
    np.testing.assert_array_equal(a, b)


def test_label_smoothing_and_mixup_train():
    x, y = tiny_images()
    model = kr.image_classifier(data=(x, y), mixup=0.2, label_smoothing=0.1, **TINY)
    history = model.fit((x, y), epochs=2, verbose=0, tensorboard=False)
    assert np.isfinite(history.history["loss"]).all()
    assert "accuracy" in model.evaluate((x, y), verbose=0)


def test_application_backbone_without_download():
    model = kr.image_classifier(
        num_classes=2, image_shape=(32, 32, 1), backbone="mobilenet_v3_small"
    )
    assert model.predict(np.zeros((1, 32, 32, 1)), verbose=0).shape == (1, 2)


def test_resizing_inside_model_accepts_any_size():
    model = kr.image_classifier(
        num_classes=2, image_shape=(None, None, 3), image_size=(16, 16), **TINY
    )
    assert model.predict(np.zeros((2, 40, 30, 3)), verbose=0).shape == (2, 2)


def test_tensorboard_logs_written(tmp_path):
    x, y = tiny_images()
    model = kr.image_classifier(data=(x, y), **TINY)
    model.fit((x, y), epochs=2, verbose=0, tensorboard=str(tmp_path / "tb"))
    events = [f for _, _, fs in os.walk(tmp_path / "tb") for f in fs]
    assert any(f.startswith("events.out.tfevents") for f in events)


def test_mirrored_strategy_rounds_odd_batch():
    x, y = tiny_images(n=30)
    model = kr.image_classifier(data=(x, y), strategy="mirrored", **TINY)
    assert model.distribute_strategy.num_replicas_in_sync == 2
    history = model.fit((x, y), epochs=1, batch_size=7, verbose=0, tensorboard=False)
    assert np.isfinite(history.history["loss"]).all()


def test_same_seed_same_weights_after_training():
    script = textwrap.dedent(
        """
        import numpy as np, keras_recipes as kr
        (x, y), _ = kr.datasets.load_digits()
        x, y = x[:64], y[:64]
        out = []
        for _ in range(2):
            kr.set_seed(7, deterministic=True)
            m = kr.image_classifier(data=(x, y), width=8, depth=2)
            m.fit((x, y), epochs=1, seed=7, verbose=0, tensorboard=False)
            out.append(np.concatenate([w.ravel() for w in m.get_weights()]))
        assert np.array_equal(out[0], out[1]), np.abs(out[0] - out[1]).max()
        print("IDENTICAL")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert "IDENTICAL" in result.stdout, result.stderr[-2000:]


# ---------------------------------------------------------------- folders
def write_folder(root, classes=("cat", "dog"), per_class=6, size=(12, 10), mode="RGB"):
    rng = np.random.default_rng(0)
    for name in classes:
        os.makedirs(root / name, exist_ok=True)
        for i in range(per_class):
            shape = (size[1], size[0]) + ((3,) if mode == "RGB" else ())
            pixels = rng.integers(0, 255, size=shape).astype("uint8")
            Image.fromarray(pixels, mode).save(root / name / f"{i}.png")
    return root


def test_image_folder_infers_and_trains(tmp_path):
    root = write_folder(tmp_path / "photos")
    (root / "dog" / "broken.png").write_bytes(b"not an image")
    with pytest.warns(UserWarning, match="skipped 1 unreadable image"):
        data = kr.data.image_folder(str(root))
    assert data.class_names == ["cat", "dog"]
    assert data.info["image_shape"] == (10, 12, 3)
    model = kr.image_classifier(data=data, **TINY)
    assert model.class_names == ["cat", "dog"]
    model.fit(data, epochs=1, verbose=0, tensorboard=False)
    assert set(model.predict_labels(data)) <= {"cat", "dog"}


def test_image_folder_resizes_and_grayscale(tmp_path):
    root = write_folder(tmp_path / "g", mode="L", size=(9, 9))
    data = kr.data.image_folder(str(root), image_size=(8, 8))
    assert data.info["image_shape"] == (8, 8, 1)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda p: p, "holds no image files"),
        (lambda p: write_folder(p, classes=("only",)), "at least 2 class"),
        (lambda p: p / "missing", "not found"),
    ],
)
def test_image_folder_errors(tmp_path, make, match):
    root = tmp_path / "photos"
    root.mkdir()
    target = make(root)
    with pytest.raises(ValueError, match=match):
        kr.data.image_folder(str(target))


# -------------------------------------------------------------- bad input
@pytest.fixture(scope="module")
def model3():
    return kr.image_classifier(num_classes=3, image_shape=(8, 8, 1), **TINY)


def test_predict_by_batches_matches_keras_loop(model3, capsys):
    x = np.random.default_rng(0).uniform(0, 255, (6, 8, 8, 1)).astype("float32")
    check_predict_by_batches(model3, x, capsys)


@pytest.mark.parametrize(
    "x, y, error, match",
    [
        (
            np.zeros((4, 8, 8, 1)),
            np.zeros(3),
            ValueError,
            r"same number of samples. Received: len\(x\)=4, len\(y\)=3",
        ),
        (
            np.zeros((2, 8, 8, 1)),
            [0, 3],
            ValueError,
            r"\[0, 3\) .*Received: a label of 3",
        ),
        (np.zeros((2, 8, 8, 1)), [0, -1], ValueError, "Received: a label of -1"),
        (
            np.zeros((2, 8, 8, 1)),
            [0.0, 1.5],
            ValueError,
            "whole numbers. Received: a label of 1.5",
        ),
        (
            np.full((2, 8, 8, 1), np.nan),
            [0, 1],
            ValueError,
            "NaN or infinite.*Received: x",
        ),
        (np.zeros((2, 8, 8, 1, 1)), [0, 1], ValueError, "rank 4. Received"),
        (np.zeros((2, 9, 8, 1)), [0, 1], ValueError, r"shape \(8, 8, 1\)"),
        (np.zeros((0, 8, 8, 1)), np.zeros(0), ValueError, "empty"),
        ([np.zeros((8, 8, 1)), np.zeros((4, 4, 1))], [0, 1], ValueError, "rectangular"),
        (np.zeros((2, 8, 8, 1)), ["cat", "dog"], ValueError, "no class names"),
    ],
)
def test_bad_fit_input(model3, x, y, error, match):
    with pytest.raises(error, match=match):
        model3.fit((x, y), epochs=1, verbose=0, tensorboard=False)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            dict(num_classes=1, image_shape=(8, 8, 1)),
            "num_classes` must be >= 2. Received: num_classes=1",
        ),
        (
            dict(num_classes=3, image_shape=(2, 2, 1), depth=3),
            r"too small .*Received: image_shape=\(2, 2, 1\)",
        ),
        (
            dict(num_classes=3, image_shape=(16, 16, 3), backbone="efficientnet_b9"),
            "backbone` must be one of .*efficientnet_b0.*Did you mean",
        ),
        (
            dict(num_classes=3, image_shape=(16, 16, 3), backbone="resnet50"),
            "needs at least 32x32",
        ),
        (dict(num_classes=3, image_shape=(8, 8, 2)), "1 or 3 channels"),
        (
            dict(num_classes=3, image_shape=(8, 8, 1), augmentation=["flop"]),
            "Did you mean 'flip'",
        ),
        (
            dict(num_classes=3, image_shape=(8, 8, 1), dropout=1.0),
            "Received: dropout=1.0",
        ),
    ],
)
def test_bad_constructor_args(kwargs, match):
    with pytest.raises(ValueError, match=match):
        kr.image_classifier(**kwargs)


def test_factory_one_class_and_no_num_classes():
    x = np.zeros((3, 8, 8, 1))
    with pytest.raises(ValueError, match="at least 2 distinct classes"):
        kr.image_classifier(data=(x, [1, 1, 1]))
    with pytest.raises(ValueError, match="num_classes` is required"):
        kr.image_classifier(image_shape=(8, 8, 1))


def test_tf_data_input_is_not_validated_but_works():
    x, y = tiny_images()
    ds = tf.data.Dataset.from_tensor_slices((x.astype("float32"), y)).batch(8)
    model = kr.image_classifier(data=(x, y), **TINY)
    assert "accuracy" in model.evaluate(ds, verbose=0)


def test_save_load_restores_compile_overrides_and_optimizer_state(tmp_path):
    import warnings

    x, y = tiny_images()
    model = kr.image_classifier(data=(x, y), **TINY)
    model.compile(optimizer="sgd")
    model.fit((x, y), epochs=1, batch_size=8, verbose=0, tensorboard=False)
    path = str(tmp_path / "m.keras")
    model.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "compile() was not called" warning
        loaded = kr.load_model(path)
    assert type(loaded.optimizer).__name__ == "SGD"
    assert int(loaded.optimizer.iterations.numpy()) == 3
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_atomic_save_keeps_previous_file_on_failure(tmp_path, monkeypatch):
    import keras

    model = kr.image_classifier(num_classes=3, image_shape=(8, 8, 1), **TINY)
    path = tmp_path / "m.keras"
    model.save(str(path))
    before = path.read_bytes()

    def boom(self, filepath, **kwargs):
        with open(filepath, "wb") as file:
            file.write(b"partial")
        raise RuntimeError("disk full")

    monkeypatch.setattr(keras.Model, "save", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        model.save(str(path))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.keras"]
    with pytest.raises(ValueError, match="must end with '.keras'"):
        model.save(str(tmp_path / "m.h5"))
