"""Image folders as users have them (issue #40).

Small generated folders: mixed modes and sizes, a grayscale file among RGB
ones, EXIF-rotated photos, corrupt files; models trained from them take
photos of any size (arrays, paths, PIL images) after save/load and as a
SavedModel.
"""

import os

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from PIL import ImageFile
from PIL import ImageOps

import keras_recipes as kr
from keras_recipes.data import images

TINY = dict(width=4, depth=1, augmentation=None)


def photo(height, width, colour=0, seed=0, mode="RGB"):
    """A random photo whose `colour` channel is bright (the class signal)."""
    pixels = np.random.default_rng(seed).integers(0, 120, (height, width, 3), "uint8")
    pixels[..., colour] = 230
    return Image.fromarray(pixels).convert(mode)


def folder(tmp_path, per_class=4, sizes=((40, 60), (64, 48), (50, 50), (30, 70))):
    """cat (red) and dog (green) photos of mixed sizes, PNG and JPEG."""
    root = tmp_path / "photos"
    for c, name in enumerate(("cat", "dog")):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            h, w = sizes[i % len(sizes)]
            ext = "png" if i % 2 else "jpg"
            photo(h, w, colour=c, seed=10 * c + i).save(root / name / f"{i}.{ext}")
    return root


def with_orientation(image, orientation, path):
    exif = Image.Exif()
    exif[images.EXIF_ORIENTATION] = orientation
    image.save(path, exif=exif)


# ------------------------------------------------------------- the folder
def test_one_grayscale_file_among_rgb_keeps_the_folder_rgb(tmp_path):
    root = folder(tmp_path)
    # First in alphabetical order: it used to decide the whole folder.
    photo(20, 20, mode="L").save(root / "cat" / "000_gray.png")
    data = kr.data.image_folder(str(root))
    assert data.info["channels"] == 3
    first = next(iter(kr.data.make_dataset(data.x, loader=data.loader)))
    assert first.shape[-1] == 3 and first.dtype == tf.uint8


def test_all_grayscale_folder_is_grayscale(tmp_path):
    root = tmp_path / "gray"
    for c, name in enumerate(("a", "b")):
        (root / name).mkdir(parents=True)
        for i in range(2):
            photo(12, 12, seed=c * 2 + i, mode="L").save(root / name / f"{i}.png")
    assert kr.data.image_folder(str(root)).info["channels"] == 1


def test_default_size_is_the_folders_median_not_the_first_file(tmp_path):
    root = folder(tmp_path)
    photo(8, 300, mode="RGB").save(root / "cat" / "000_odd.png")  # first file
    data = kr.data.image_folder(str(root))
    heights = [40, 64, 50, 30] * 2 + [8]
    widths = [60, 48, 50, 70] * 2 + [300]
    expected = (int(np.median(heights)), int(np.median(widths)))
    assert data.info["image_size"] == expected


def test_default_size_caps_large_photos(tmp_path):
    root = folder(tmp_path, sizes=((600, 800),), per_class=1)
    assert kr.data.image_folder(str(root)).info["image_size"] == (168, 224)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_matches_pillows_exif_transpose(tmp_path, orientation):
    path = tmp_path / f"o{orientation}.png"
    original = photo(6, 10, seed=orientation)
    with_orientation(original, orientation, path)
    header = images.read_header(str(path))
    assert header.orientation == orientation
    with Image.open(path) as image:
        expected = np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
    got = images.apply_orientation(np.asarray(original), orientation).numpy()
    np.testing.assert_array_equal(got, expected)
    assert header.upright_size == expected.shape[:2]


def test_exif_rotated_file_is_loaded_upright(tmp_path):
    root = folder(tmp_path)
    path = root / "dog" / "rotated.png"
    with_orientation(photo(20, 40, colour=1, seed=3), 6, path)  # 90 deg clockwise
    data = kr.data.image_folder(str(root), image_size=(40, 20))
    loaded = data.loader(tf.constant(str(path))).numpy()
    with Image.open(path) as image:
        upright = np.asarray(ImageOps.exif_transpose(image))
    assert upright.shape[:2] == (40, 20)
    np.testing.assert_array_equal(loaded, upright)


# --------------------------------------------------------- broken files
def test_broken_files_are_named_without_decoding_the_good_ones(tmp_path, monkeypatch):
    root = folder(tmp_path)
    photo(64, 64).save(root / "cat" / "cut.jpg")
    cut = root / "cat" / "cut.jpg"
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size * 2 // 3])
    (root / "dog" / "page.jpg").write_text("<html>not found</html>")
    (root / "dog" / "empty.png").write_bytes(b"")
    decoded = []
    real = images.tf_decodes
    monkeypatch.setattr(
        images, "tf_decodes", lambda p, *a: decoded.append(p) or real(p, *a)
    )
    with pytest.warns(UserWarning) as caught:
        data = kr.data.image_folder(str(root))
    message = str(caught[0].message)
    assert "skipped 3 unreadable" in message
    for name in ("cut.jpg", "page.jpg", "empty.png"):
        assert name in message
    assert len(data) == 8
    # Only the file whose end looked wrong was decoded, by TensorFlow.
    assert decoded == [str(cut)]


def test_listing_never_decodes_pixels_in_python(tmp_path, monkeypatch):
    root = folder(tmp_path)
    photo(20, 30, seed=7).convert("P").save(root / "cat" / "palette.gif")
    photo(20, 30, seed=8, mode="L").convert("P").save(root / "dog" / "grayp.png")
    with_orientation(photo(20, 30, seed=9), 8, root / "dog" / "turned.png")

    def decode(self):
        raise AssertionError("Pillow decoded pixels")

    monkeypatch.setattr(ImageFile.ImageFile, "load", decode)
    data = kr.data.image_folder(str(root))
    assert len(data) == 11 and data.info["channels"] == 3
    header = images.read_header(str(root / "dog" / "grayp.png"))
    assert not header.colour and header.format == "PNG"
    assert images.read_header(str(root / "dog" / "turned.png")).orientation == 8


def test_corrupt_data_inside_a_good_file_never_stops_an_epoch(tmp_path, capfd):
    root = folder(tmp_path)
    good = root / "cat" / "1.png"
    raw = bytearray(good.read_bytes())
    start = raw.index(b"IDAT") + 8
    raw[start : start + 40] = b"\xff" * 40  # header and IEND intact
    bad = root / "cat" / "inside.png"
    bad.write_bytes(bytes(raw))
    data = kr.data.image_folder(str(root))
    assert str(bad) in data.x.tolist()  # header and end look right
    model = kr.image_classifier(data=data, **TINY)
    history = model.fit(data, epochs=1, verbose=0, tensorboard=False)
    assert np.isfinite(history.history["loss"][0])
    err = capfd.readouterr().err
    assert "could not decode image" in err and "inside.png" in err


def test_only_unreadable_files_raise_naming_them(tmp_path):
    root = tmp_path / "junk"
    for name in ("a", "b"):
        (root / name).mkdir(parents=True)
        (root / name / "x.jpg").write_text("text")
    with pytest.warns(UserWarning), pytest.raises(ValueError) as info:
        kr.data.image_folder(str(root))
    assert "no readable image" in str(info.value) and "x.jpg" in str(info.value)


def test_empty_folder_raises(tmp_path):
    (tmp_path / "empty" / "a").mkdir(parents=True)
    with pytest.raises(ValueError, match="holds no image files"):
        kr.data.image_folder(str(tmp_path / "empty"))


# ----------------------------------------------------------------- cache
def test_cache_in_memory_holds_uint8(tmp_path):
    data = kr.data.image_folder(str(folder(tmp_path)))
    assert data.info["cache_mode"] == "memory" and data.info["cache"] is True
    h, w = data.info["image_size"]
    assert data.info["decoded_bytes"] == len(data) * h * w * 3
    element = next(iter(kr.data.make_dataset(data.x, loader=data.loader)))
    assert element.dtype == tf.uint8
    # The tolerant loader keeps the samples' order (labels line up).
    ds = kr.data.make_dataset(data.x, data.y, loader=data.loader, batch_size=3)
    assert np.concatenate([y for _, y in ds]).tolist() == data.y.tolist()
    assert int(ds.cardinality()) == 3


def test_over_budget_caches_on_disk_and_trains(tmp_path, caplog):
    root = folder(tmp_path)
    cache_dir = tmp_path / "cache"
    with caplog.at_level("INFO", logger="keras_recipes"):
        data = kr.data.image_folder(
            str(root), cache_budget=1000, cache_dir=str(cache_dir)
        )
    assert data.info["cache_mode"] == "disk"
    assert "cache in disk" in caplog.text
    model = kr.image_classifier(data=data, **TINY)
    model.fit(data, epochs=2, verbose=0, tensorboard=False, validation_split=0.25)
    written = [f for _, _, files in os.walk(cache_dir) for f in files]
    assert any(f.endswith(".index") for f in written), written
    assert not any("lockfile" in f for f in written), written
    # A second fit (new datasets) reads the finished cache files.
    model.fit(data, epochs=1, verbose=0, tensorboard=False)


def test_no_cache_streams(tmp_path):
    data = kr.data.image_folder(str(folder(tmp_path)), cache=None)
    assert data.info["cache_mode"] == "none" and data.info["cache"] is False


# ---------------------------------------------- photos of any size, served
@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("trained")
    root = folder(tmp, per_class=6)
    photo(30, 30, mode="L", seed=99).save(root / "cat" / "gray.png")
    data = kr.data.image_folder(str(root))
    kr.set_seed(0)
    model = kr.image_classifier(data=data, **TINY)
    model.fit(data, epochs=8, verbose=0, tensorboard=False)
    return model, root, tmp


def test_folder_model_resizes_inside_its_graph(trained):
    model, _, _ = trained
    assert model.input_shape == (None, None, None, 3)
    assert model.get_layer("resize") is not None


def test_folder_model_learns_the_colours(trained):
    model, root, _ = trained
    table = model.predict_files(str(root))
    truth = [os.path.basename(os.path.dirname(f)) for f in table["file"]]
    assert np.mean(np.asarray(truth) == table["label"].to_numpy()) >= 0.75


def test_predict_any_size_array_path_pil_after_save_load(trained, tmp_path):
    model, _, _ = trained
    path = tmp_path / "odd.png"
    photo(37, 91, colour=1, seed=5).save(path)
    array = np.asarray(Image.open(path))[None].astype("float32")
    model.save(tmp_path / "m.keras")
    loaded = kr.load_model(str(tmp_path / "m.keras"))
    for m in (model, loaded):
        from_array = m.predict(array, verbose=0)
        np.testing.assert_allclose(m.predict(str(path), verbose=0), from_array, 1e-5)
        with Image.open(path) as image:
            np.testing.assert_allclose(m.predict(image, verbose=0), from_array, 1e-5)
    np.testing.assert_allclose(
        loaded.predict(array, verbose=0), model.predict(array, verbose=0), 1e-6
    )
    # Several sizes in one list: each as if predicted alone.
    small = np.asarray(photo(13, 17, seed=6), "float32")
    both = model.predict([array[0], small], verbose=0)
    np.testing.assert_allclose(both[1], model.predict(small[None], verbose=0)[0], 1e-5)


def test_saved_model_serves_any_size(trained, tmp_path):
    model, _, _ = trained
    model.export(str(tmp_path / "served"), format="saved_model")
    served = tf.saved_model.load(str(tmp_path / "served"))
    for shape in ((1, 37, 91, 3), (2, 200, 120, 3)):
        x = np.random.default_rng(0).integers(0, 255, shape).astype("float32")
        out = served.serve(x)["predictions"].numpy()
        np.testing.assert_allclose(out, model.predict(x, verbose=0), atol=1e-5)


@pytest.mark.slow
def test_onnx_serves_any_size(trained, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    model, _, _ = trained
    report = model.export(str(tmp_path / "m.onnx"), format="onnx")
    assert report.input_shapes == [[None, None, None, 3]]
    session = ort.InferenceSession(str(tmp_path / "m.onnx"))
    name = session.get_inputs()[0].name
    for shape in ((1, 37, 91, 3), (2, 120, 64, 3)):
        x = np.random.default_rng(1).integers(0, 255, shape).astype("float32")
        out = session.run(None, {name: x})[0]
        np.testing.assert_allclose(out, model.predict(x, verbose=0), atol=1e-5)


def test_predict_files_pairs_each_file_with_label_and_probability(trained, tmp_path):
    model, root, _ = trained
    files = [str(root / "dog" / "1.png"), str(root / "cat" / "0.jpg")]
    table = model.predict_files(files)
    assert table["file"].tolist() == files
    probs = model.predict(files, verbose=0)
    assert table["label"].tolist() == model.predict_labels(files)
    np.testing.assert_allclose(table["probability"], probs.max(-1), 1e-6)


def test_predict_names_a_broken_file(trained, tmp_path):
    model, _, _ = trained
    (tmp_path / "bad.jpg").write_text("nope")
    with pytest.raises(ValueError, match=r"`x` holds 1 file.*bad\.jpg"):
        model.predict([str(tmp_path / "bad.jpg")], verbose=0)


# ------------------------------------------------------ older saved models
def test_old_form_configs_still_load(tmp_path):
    # A folder model saved before #40: fixed input of the first file's size.
    old = kr.tasks.ImageClassifier(
        num_classes=2, image_shape=(35, 44, 3), class_names=["cat", "dog"], **TINY
    )
    old.save(tmp_path / "old.keras")
    loaded = kr.load_model(str(tmp_path / "old.keras"))
    assert loaded.input_shape == (None, 35, 44, 3)
    x = np.random.default_rng(0).integers(0, 255, (2, 35, 44, 3)).astype("float32")
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), old.predict(x, verbose=0), 1e-6
    )
    with pytest.raises(ValueError, match=r"without `image_size=`"):
        loaded.predict(x[:, :30], verbose=0)
    # A fixed shape with `image_size`: same weights, now any size.
    config = {"num_classes": 2, "image_shape": (32, 32, 3), "image_size": (16, 16)}
    resized = kr.tasks.ImageClassifier(**config, **TINY)
    again = kr.tasks.ImageClassifier.from_config(resized.get_config())
    again.set_weights(resized.get_weights())
    y = np.random.default_rng(1).integers(0, 255, (1, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(
        again.predict(y, verbose=0), resized.predict(y, verbose=0), 1e-6
    )
    assert again.predict(y[:, :20], verbose=0).shape == (1, 2)
