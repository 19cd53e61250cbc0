"""`kr.data` adapters on hostile folders and files (issue #35).

Paths that are not regular files are skipped without being opened (a FIFO
would block `open()` forever), files Pillow reads but tf.data cannot decode
raise before training, and CSV paths that are no readable CSV file raise a
`ValueError` naming `path`.
"""

import os
import socket
import threading
import warnings

import numpy as np
import pytest
from PIL import Image
from PIL import ImageFile

import keras_recipes as kr

DEADLINE_S = 120  # far above the < 1 s these take; a hang fails instead


def run_with_deadline(fn, unblock=()):
    """Runs `fn()` in a thread; fails (and frees it) if it outlives the deadline.

    `unblock`: FIFOs to open for writing after the deadline, so a reader
    stuck on one gets end-of-file and the thread ends.
    """
    result = {}

    def target():
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result["value"] = fn()
            result["warnings"] = [str(w.message) for w in caught]
        except BaseException as error:  # handed to the test thread
            result["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(DEADLINE_S)
    if thread.is_alive():
        for fifo in unblock:
            try:
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass
        pytest.fail(f"still running after {DEADLINE_S} s: a hang")
    if "error" in result:
        raise result["error"]
    return result["value"], result["warnings"]


def image(mode="RGB", size=8, seed=0):
    pixels = np.random.default_rng(seed).integers(0, 255, (size, size, 3), "uint8")
    return Image.fromarray(pixels).convert(mode)


def image_folder(tmp_path, per_class=3):
    root = tmp_path / "photos"
    for name in ("cat", "dog"):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            image(seed=i).save(root / name / f"{i}.png")
    return root


def text_folder(tmp_path):
    root = tmp_path / "texts"
    for name in ("neg", "pos"):
        (root / name).mkdir(parents=True)
        for i in range(2):
            (root / name / f"{i}.txt").write_text(f"{name} text {i}")
    return root


# ------------------------------------------------------- non-regular files
def test_fifo_in_image_folder_is_skipped_not_opened(tmp_path):
    root = image_folder(tmp_path)
    fifo = root / "cat" / "x.png"
    os.mkfifo(fifo)
    data, caught = run_with_deadline(
        lambda: kr.data.image_folder(str(root)), unblock=[str(fifo)]
    )
    assert len(data) == 6
    assert str(fifo) not in data.x.tolist()
    assert any("not regular files" in w and "x.png" in w for w in caught), caught


def test_fifo_in_text_folder_is_skipped_not_opened(tmp_path):
    root = text_folder(tmp_path)
    fifo = root / "pos" / "x.txt"
    os.mkfifo(fifo)
    data, caught = run_with_deadline(
        lambda: kr.data.text_folder(str(root)), unblock=[str(fifo)]
    )
    assert len(data) == 4
    assert any("text_folder" in w and "x.txt" in w for w in caught), caught


def test_fifo_as_csv_path_raises_without_blocking(tmp_path):
    fifo = tmp_path / "table.csv"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match=r"`path`.*FIFO, socket or device"):
        run_with_deadline(lambda: kr.data.csv(str(fifo)), unblock=[str(fifo)])


def test_fifo_as_tabular_data_raises_without_blocking(tmp_path):
    fifo = tmp_path / "table.csv"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match=r"`data`.*not a regular file"):
        run_with_deadline(
            lambda: kr.tabular_classifier(data=str(fifo), target="y"),
            unblock=[str(fifo)],
        )


@pytest.mark.parametrize("kind", ["socket", "broken-link", "device-link", "folder"])
def test_other_special_paths_in_image_folder(tmp_path, kind):
    root = image_folder(tmp_path)
    path = root / "dog" / "x.png"
    if kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
    elif kind == "broken-link":
        os.symlink(root / "missing.png", path)
    elif kind == "device-link":
        os.symlink("/dev/zero", path)
    else:
        path.mkdir()
    data, caught = run_with_deadline(lambda: kr.data.image_folder(str(root)))
    assert len(data) == 6
    if kind != "folder":  # a folder is walked into (it holds no image)
        assert any("x.png" in w for w in caught), caught
    if kind == "socket":
        sock.close()


def test_link_to_a_regular_image_is_kept(tmp_path):
    root = image_folder(tmp_path)
    os.symlink(root / "cat" / "0.png", root / "dog" / "linked.png")
    data, caught = run_with_deadline(lambda: kr.data.image_folder(str(root)))
    assert len(data) == 7 and not caught


def test_only_special_files_raise_naming_directory(tmp_path):
    root = tmp_path / "photos"
    for name in ("a", "b"):
        (root / name).mkdir(parents=True)
        os.mkfifo(root / name / "x.png")
    with pytest.raises(ValueError, match=r"`directory` holds no image files"):
        run_with_deadline(
            lambda: kr.data.image_folder(str(root)),
            unblock=[str(root / n / "x.png") for n in ("a", "b")],
        )


# ------------------------------------------- formats tf.data cannot decode
@pytest.mark.parametrize(
    "mode, fmt, shown",
    [
        ("RGB", "TIFF", "TIFF mode RGB"),
        ("RGB", "ICO", "ICO mode RGB"),
        ("1", "BMP", "BMP mode 1"),
    ],
)
def test_format_tf_cannot_decode_raises_before_training(tmp_path, mode, fmt, shown):
    root = image_folder(tmp_path)
    image(mode).save(root / "cat" / "odd.png", fmt)
    with pytest.raises(ValueError) as info:
        kr.data.image_folder(str(root))
    message = str(info.value)
    assert "`directory`" in message and f"odd.png ({shown})" in message, message
    assert "Received: directory=" in message
    assert "InvalidArgument" not in message


@pytest.mark.parametrize(
    "mode, fmt, name",
    [
        ("RGB", "WEBP", "x.png"),
        ("P", "GIF", "x.gif"),
        ("L", "BMP", "x.bmp"),
        ("RGBA", "BMP", "x.bmp"),
        ("1", "PNG", "x.png"),
        ("CMYK", "JPEG", "x.jpg"),
    ],
)
def test_formats_tf_decodes_are_kept(tmp_path, mode, fmt, name):
    root = image_folder(tmp_path)
    image(mode).save(root / "cat" / name, fmt)
    data = kr.data.image_folder(str(root))
    assert len(data) == 7


@pytest.mark.parametrize("suffix", ["png", "jpg"])
def test_truncated_image_is_skipped_with_a_warning(tmp_path, suffix):
    root = image_folder(tmp_path)
    path = root / "cat" / f"cut.{suffix}"
    image(size=64).save(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.warns(UserWarning, match=rf"unreadable.*cut\.{suffix}"):
        data = kr.data.image_folder(str(root))
    assert len(data) == 6


def test_truncated_png_accepted_by_pillow_still_never_reaches_fit(
    tmp_path, monkeypatch
):
    # Pillow told to load truncated files changes nothing: the file's end is
    # checked (no IEND chunk), then TensorFlow's decoder decides.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    root = image_folder(tmp_path)
    path = root / "cat" / "cut.png"
    image(size=64).save(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.warns(UserWarning, match=r"unreadable.*cut\.png"):
        data = kr.data.image_folder(str(root))
    assert str(path) not in data.x.tolist()


def test_checked_folder_trains_without_tf_errors(tmp_path):
    root = image_folder(tmp_path)
    image().save(root / "dog" / "real.webp.png", "WEBP")
    data = kr.data.image_folder(str(root))
    model = kr.image_classifier(data=data, width=4, depth=1)
    history = model.fit(data, epochs=1, verbose=0, tensorboard=False)
    assert np.isfinite(history.history["loss"][0])


# ------------------------------------------------------------------- CSV
def test_csv_folder_path(tmp_path):
    with pytest.raises(ValueError, match=r"`path`.*a folder, not a file"):
        kr.data.csv(str(tmp_path))


def test_csv_broken_link(tmp_path):
    link = tmp_path / "t.csv"
    os.symlink(tmp_path / "missing.csv", link)
    with pytest.raises(ValueError, match=r"`path`.*broken symbolic link"):
        kr.data.csv(str(link))


def test_csv_missing(tmp_path):
    with pytest.raises(ValueError, match=r"`path`.*file not found"):
        kr.data.csv(str(tmp_path / "nope.csv"))


def test_csv_empty_file(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("")
    with pytest.raises(ValueError, match=r"`path` could not be read as a CSV"):
        kr.data.csv(str(path))


def test_csv_binary_garbage(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(bytes(range(128, 256)) * 8)
    with pytest.raises(ValueError, match=r"`path` could not be read as a CSV"):
        kr.data.csv(str(path))


def test_csv_good_file_still_reads(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,y\n1,x\n2,z\n")
    data = kr.data.csv(str(path), target="y")
    assert len(data) == 2 and data.y.tolist() == ["x", "z"]
