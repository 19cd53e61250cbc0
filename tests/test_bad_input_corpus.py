"""The bad-input corpus: every wrong input gets a clear, Keras-style error.

One table, one line per case: all four templates (factory and
fit/evaluate/predict), the CLI and YAML recipes. Each case asserts

- the exception type (`ValueError`/`TypeError`; for the CLI, exit code 2),
- that the message names the argument or recipe key,
- the message text (a regex),
- that it is not a raw TensorFlow error or traceback,
- and that nothing was left behind in the case's own output folder.

Every case runs with its own empty folder as the working directory (and
TensorBoard root), so files written to default locations would show up too.
"""

import contextlib
import io
import os
import re

import corpus_files as cf
import numpy as np
import pandas as pd
import pytest

import keras_recipes as kr
from keras_recipes import recipe as recipe_lib
from keras_recipes.cli import main as cli_main

RAW_ERRORS = ("tensorflow", "Traceback", "InvalidArgument", "Graph execution error")

TEXTS = ["good movie", "bad film", "great fun", "awful plot"] * 4
LABELS = ["pos", "neg", "pos", "neg"] * 4
SOURCES = ["one", "two", "three", "four"] * 3
TARGETS = ["1", "2", "3", "4"] * 3
TINY_TEXT = dict(units=8, embedding_dim=8, sequence_length=8)
TINY_S2S = dict(
    embedding_dim=8,
    num_heads=2,
    intermediate_dim=8,
    num_encoder_layers=1,
    num_decoder_layers=1,
)
NO_TB = dict(verbose=0, tensorboard=False)


class CliExit(Exception):
    """The CLI returned exit code 2; the message is what it printed to stderr."""


def cli(*argv):
    """Runs `keras-recipes argv`; raises `CliExit(stderr)` on exit code 2."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = cli_main([str(a) for a in argv])
        except SystemExit as exit_:  # argparse usage errors
            code = exit_.code
    if code == 2:
        raise CliExit(err.getvalue())
    raise AssertionError(f"expected exit code 2, got {code}: {err.getvalue()}")


class Ctx:
    """Tiny models and data shared by every case (built once per module)."""


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    kr.set_seed(0)
    c = Ctx()
    root = tmp_path_factory.mktemp("corpus-shared")
    (x, y), _ = kr.datasets.load_digits()
    c.x, c.y = x[:40].astype("float32"), y[:40]
    c.image = kr.image_classifier(data=(c.x, c.y), width=8, depth=2)
    c.frame = pd.DataFrame(
        {
            "size": [1.0, 2.0, 3.0, 4.0, 1.5, 3.5],
            "color": ["red", "red", "blue", "blue", "red", "blue"],
            "label": ["a", "a", "b", "b", "a", "b"],
        }
    )
    c.tabular = kr.tabular_classifier(data=c.frame, target="label", hidden_units=[8])
    c.text = kr.text_classifier(data=(TEXTS, LABELS), **TINY_TEXT)
    c.s2s = kr.seq2seq_transformer(data=(SOURCES, TARGETS), **TINY_S2S)
    c.model_path = str(root / "model.keras")
    c.image.save(c.model_path)
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    c.recipe = os.path.join(repo, "templates", "image_classification.yaml")
    c.file = str(root / "a_file")  # a regular file: nothing can be created under it
    with open(c.file, "w") as f:
        f.write("x")
    return c


def write(out, name, text):
    path = os.path.join(out, "..", f"{os.path.basename(out)}-{name}")
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)
    return path


def nan_images(c):
    x = c.x.copy()
    x[3, 2, 2, 0] = np.nan
    return x


def inf_frame(c):
    frame = c.frame.copy()
    frame.loc[2, "size"] = np.inf
    return frame


def recipe(**changes):
    base = {"task": "image_classifier", "data": {"dataset": "digits", "limit": 20}}
    base.update(changes)
    return base


# (id, callable(ctx, out), expected exception, argument/key named, message regex)
# fmt: off
CASES = [
    # ---------------------------------------------------------------- image
    ("image-factory-negative-width",
     lambda c, o: kr.image_classifier(num_classes=3, image_shape=(8, 8, 1), width=-1),
     ValueError, "width", r"must be >= 1\. Received: width=-1"),
    ("image-factory-dropout-1.5",
     lambda c, o: kr.image_classifier(num_classes=3, image_shape=(8, 8, 1),
                                      dropout=1.5),
     ValueError, "dropout", r"must be < 1\.0\. Received: dropout=1\.5"),
    ("image-factory-width-str",
     lambda c, o: kr.image_classifier(num_classes=3, image_shape=(8, 8, 1),
                                      width="8"),
     TypeError, "width", r"must be an integer\. Received: width='8'"),
    ("image-factory-one-class",
     lambda c, o: kr.image_classifier(num_classes=1, image_shape=(8, 8, 1)),
     ValueError, "num_classes", r">= 2\. Received: num_classes=1"),
    ("image-factory-bad-shape",
     lambda c, o: kr.image_classifier(num_classes=3, image_shape=(8, -8, 1)),
     ValueError, "image_shape", r"Received: image_shape="),
    ("image-factory-single-class-labels",
     lambda c, o: kr.image_classifier(data=(c.x, np.zeros(40, "int64"))),
     ValueError, "data[1]", r"at least 2 distinct classes"),
    ("image-factory-length-mismatch",
     lambda c, o: kr.image_classifier(data=(c.x, c.y[:-1])),
     ValueError, "data[1]", r"same number of samples.*len\(data\[1\]\)=39"),
    ("image-factory-rank-2",
     lambda c, o: kr.image_classifier(data=(c.x[:, :, 0, 0], c.y)),
     ValueError, "data[0]", r"rank 3 or 4.*rank 2"),
    ("image-factory-empty",
     lambda c, o: kr.image_classifier(data=(c.x[:0], c.y[:0])),
     ValueError, "data[0]", r"is empty"),
    ("image-factory-data-str",
     lambda c, o: kr.image_classifier(data="photos"),
     TypeError, "data", r"Received: data of type str"),
    ("image-factory-unknown-backbone",
     lambda c, o: kr.image_classifier(num_classes=3, image_shape=(8, 8, 1),
                                      backbone="resnet_see"),
     ValueError, "backbone", r"Did you mean 'resnet_se'"),
    ("image-fit-nan",
     lambda c, o: c.image.fit((nan_images(c), c.y), **NO_TB),
     ValueError, "x", r"NaN or infinite.*first at index \(3, 2, 2, 0\)"),
    ("image-fit-wrong-shape",
     lambda c, o: c.image.fit((np.zeros((4, 16, 16, 1), "float32"), c.y[:4]), **NO_TB),
     ValueError, "x", r"\(8, 8, 1\).*\(4, 16, 16, 1\)"),
    ("image-fit-string-pixels",
     lambda c, o: c.image.fit((np.full((4, 8, 8, 1), "a"), c.y[:4]), **NO_TB),
     TypeError, "x", r"dtype"),
    ("image-fit-negative-label",
     lambda c, o: c.image.fit((c.x[:4], np.array([0, 1, -1, 2])), **NO_TB),
     ValueError, "y", r">= 0\. Received: a label of -1"),
    ("image-fit-label-out-of-range",
     lambda c, o: c.image.fit((c.x[:4], np.array([0, 1, 99, 2])), **NO_TB),
     ValueError, "y", r"\[0, 10\).*Received: a label of 99"),
    ("image-fit-fractional-label",
     lambda c, o: c.image.fit((c.x[:4], np.array([0.0, 1.5, 1.0, 2.0])), **NO_TB),
     ValueError, "y", r"whole numbers\. Received: a label of 1\.5"),
    ("image-fit-length-mismatch",
     lambda c, o: c.image.fit(c.x[:4], c.y[:3], **NO_TB),
     ValueError, "y", r"same number of samples.*len\(x\)=4, len\(y\)=3"),
    ("image-fit-empty",
     lambda c, o: c.image.fit((c.x[:0], c.y[:0]), **NO_TB),
     ValueError, "x", r"is empty"),
    ("image-fit-no-labels",
     lambda c, o: c.image.fit(c.x[:4], **NO_TB),
     ValueError, "x", r"Labels are missing"),
    ("image-fit-negative-epochs",
     lambda c, o: c.image.fit((c.x[:4], c.y[:4]), epochs=-1, **NO_TB),
     ValueError, "epochs", r">= 0\. Received: epochs=-1"),
    ("image-fit-zero-batch-size",
     lambda c, o: c.image.fit((c.x[:4], c.y[:4]), batch_size=0, **NO_TB),
     ValueError, "batch_size", r">= 1\. Received: batch_size=0"),
    ("image-fit-tensorboard-under-file",
     lambda c, o: c.image.fit((c.x[:4], c.y[:4]), verbose=0,
                              tensorboard=os.path.join(c.file, "logs")),
     ValueError, "tensorboard", r"must be a writable folder"),
    ("image-fit-resume-dir-under-file",
     lambda c, o: c.image.fit((c.x[:4], c.y[:4]), **NO_TB,
                              resume_dir=os.path.join(c.file, "ckpt")),
     ValueError, "resume_dir", r"must be a writable folder"),
    ("image-evaluate-nan",
     lambda c, o: c.image.evaluate((nan_images(c), c.y), verbose=0),
     ValueError, "x", r"NaN or infinite"),
    ("image-predict-wrong-channels",
     lambda c, o: c.image.predict(np.zeros((2, 8, 8, 3), "float32"), verbose=0),
     ValueError, "x", r"\(8, 8, 1\)"),
    ("image-save-under-file",
     lambda c, o: c.image.save(os.path.join(c.file, "m.keras")),
     ValueError, "filepath", r"not writable"),
    ("image-save-wrong-extension",
     lambda c, o: c.image.save(os.path.join(o, "m.h5")),
     ValueError, "filepath", r"must end with '\.keras'"),
    ("image-export-unknown-format",
     lambda c, o: c.image.export(os.path.join(o, "m"), format="onxx"),
     ValueError, "format", r"Did you mean 'onnx'"),
    # -------------------------------------------------------------- tabular
    ("tabular-factory-unknown-target",
     lambda c, o: kr.tabular_classifier(data=c.frame, target="lable"),
     ValueError, "target", r"Did you mean 'label'"),
    ("tabular-factory-no-target",
     lambda c, o: kr.tabular_classifier(data=c.frame),
     ValueError, "target", r"is required"),
    ("tabular-factory-unknown-column",
     lambda c, o: kr.tabular_classifier(data=c.frame, target="label",
                                        numeric=["sise"]),
     ValueError, "numeric", r"sise"),
    ("tabular-factory-empty",
     lambda c, o: kr.tabular_classifier(data=c.frame.iloc[:0], target="label"),
     ValueError, "data", r"is empty"),
    ("tabular-factory-single-class",
     lambda c, o: kr.tabular_classifier(data=c.frame.assign(label="a"),
                                        target="label"),
     ValueError, "target", r"at least 2 distinct classes"),
    ("tabular-factory-negative-units",
     lambda c, o: kr.tabular_classifier(data=c.frame, target="label",
                                        hidden_units=[-8]),
     ValueError, "hidden_units", r"-8"),
    ("tabular-factory-dropout-1.5",
     lambda c, o: kr.tabular_classifier(data=c.frame, target="label",
                                        dropout=1.5),
     ValueError, "dropout", r"Received: dropout=1\.5"),
    ("tabular-factory-missing-csv",
     lambda c, o: kr.tabular_classifier(data=os.path.join(o, "nope.csv"),
                                        target="label"),
     ValueError, "data", r"nope\.csv"),
    ("tabular-fit-missing-column",
     lambda c, o: c.tabular.fit(c.frame.drop(columns=["color"]), **NO_TB),
     ValueError, "x", r"missing column\(s\).*\['color'\]"),
    ("tabular-fit-inf",
     lambda c, o: c.tabular.fit(inf_frame(c), **NO_TB),
     ValueError, "size", r"inf"),
    ("tabular-fit-text-in-numeric",
     lambda c, o: c.tabular.fit(c.frame.assign(size="big"), **NO_TB),
     ValueError, "size", r"'big'"),
    ("tabular-evaluate-unknown-class",
     lambda c, o: c.tabular.evaluate(c.frame.assign(label="z"), verbose=0),
     ValueError, "y", r"not among the model's classes.*\['z'\]"),
    ("tabular-fit-length-mismatch",
     lambda c, o: c.tabular.fit(c.frame.drop(columns=["label"]), ["a", "b"], **NO_TB),
     ValueError, "y", r"same number of samples"),
    ("tabular-predict-not-a-frame",
     lambda c, o: c.tabular.predict(np.zeros((2, 2)), verbose=0),
     TypeError, "x", r"DataFrame"),
    # ----------------------------------------------------------------- text
    ("text-factory-single-class",
     lambda c, o: kr.text_classifier(data=(TEXTS, ["pos"] * 16), **TINY_TEXT),
     ValueError, "data[1]", r"at least 2 distinct classes"),
    ("text-factory-numbers-not-texts",
     lambda c, o: kr.text_classifier(data=(np.arange(16.0), LABELS), **TINY_TEXT),
     TypeError, "data[0]", r"string"),
    ("text-factory-length-mismatch",
     lambda c, o: kr.text_classifier(data=(TEXTS, LABELS[:-2]), **TINY_TEXT),
     ValueError, "data[1]", r"same number of samples"),
    ("text-factory-negative-units",
     lambda c, o: kr.text_classifier(data=(TEXTS, LABELS), units=-4),
     ValueError, "units", r"Received: units=-4"),
    ("text-factory-dropout-1.5",
     lambda c, o: kr.text_classifier(data=(TEXTS, LABELS), dropout=1.5),
     ValueError, "dropout", r"Received: dropout=1\.5"),
    ("text-factory-unknown-rnn",
     lambda c, o: kr.text_classifier(data=(TEXTS, LABELS), rnn="lstn"),
     ValueError, "rnn", r"Did you mean 'lstm'"),
    ("text-fit-mixed-label-types",
     lambda c, o: c.text.fit((TEXTS[:2], [1, "pos"]), **NO_TB),
     ValueError, "y", r"pos|1"),
    ("text-fit-nan-text",
     lambda c, o: c.text.fit(([np.nan, "good"], ["pos", "neg"]), **NO_TB),
     TypeError, "x", r"only strings.*Received: x\[0\]=nan"),
    ("text-evaluate-unknown-class",
     lambda c, o: c.text.evaluate((TEXTS[:2], ["pos", "meh"]), verbose=0),
     ValueError, "y", r"Received unknown labels: \['meh'\]"),
    ("text-predict-2d",
     lambda c, o: c.text.predict(np.array([["a", "b"], ["c", "d"]]), verbose=0),
     ValueError, "x", r"\(2, 2\)"),
    ("text-predict-empty",
     lambda c, o: c.text.predict([], verbose=0),
     ValueError, "x", r"empty"),
    # -------------------------------------------------------------- seq2seq
    ("seq2seq-factory-length-mismatch",
     lambda c, o: kr.seq2seq_transformer(data=(SOURCES, TARGETS[:-1]), **TINY_S2S),
     ValueError, "data", r"same number"),
    ("seq2seq-factory-not-strings",
     lambda c, o: kr.seq2seq_transformer(data=([1, 2], ["a", "b"]), **TINY_S2S),
     TypeError, "data", r"string"),
    ("seq2seq-factory-empty",
     lambda c, o: kr.seq2seq_transformer(data=([], []), **TINY_S2S),
     ValueError, "data", r"empty"),
    ("seq2seq-factory-negative-embedding",
     lambda c, o: kr.seq2seq_transformer(data=(SOURCES, TARGETS),
                                         **{**TINY_S2S, "embedding_dim": -8}),
     ValueError, "embedding_dim", r"Received: embedding_dim=-8"),
    ("seq2seq-factory-dropout-1.5",
     lambda c, o: kr.seq2seq_transformer(data=(SOURCES, TARGETS), dropout=1.5,
                                         **TINY_S2S),
     ValueError, "dropout", r"Received: dropout=1\.5"),
    ("seq2seq-factory-bad-split",
     lambda c, o: kr.seq2seq_transformer(data=(SOURCES, TARGETS),
                                         source_split="charcter", **TINY_S2S),
     ValueError, "source_split", r"Did you mean 'character'"),
    ("seq2seq-fit-empty-sentence",
     lambda c, o: c.s2s.fit((["one", "  "], ["1", "2"]), **NO_TB),
     ValueError, "x", r"empty strings.*Received: x\[1\]='  '"),
    ("seq2seq-fit-single-string",
     lambda c, o: c.s2s.fit(("one", ["1"]), **NO_TB),
     TypeError, "x", r"not a single string"),
    ("seq2seq-fit-target-not-strings",
     lambda c, o: c.s2s.fit((["one", "two"], [1.5, 2.5]), **NO_TB),
     TypeError, "y", r"string"),
    ("seq2seq-evaluate-length-mismatch",
     lambda c, o: c.s2s.evaluate((["one", "two"], ["1"]), verbose=0),
     ValueError, "y", r"same number of samples"),
    # ------------------------------------------------------------------ CLI
    ("cli-train-missing-recipe",
     lambda c, o: cli("train", os.path.join(o, "nope.yaml")),
     CliExit, "recipe", r"must be an existing YAML file"),
    ("cli-train-malformed-yaml",
     lambda c, o: cli("train", write(o, "bad.yaml", "task: [image\n  data: {")),
     CliExit, "recipe", r"not valid YAML"),
    ("cli-train-unknown-set-key",
     lambda c, o: cli("train", c.recipe, "--set", "fit.epoch=1"),
     CliExit, "fit.epoch", r"Did you mean 'epochs'"),
    ("cli-train-bad-override",
     lambda c, o: cli("train", c.recipe, "--set", "fit.epochs"),
     CliExit, "fit.epochs", r"must look like `key\.sub=value`"),
    ("cli-train-output-dir-under-file",
     lambda c, o: cli("train", c.recipe, "--output-dir", os.path.join(c.file, "run")),
     CliExit, "output_dir", r"must be a writable folder"),
    ("cli-demo-unknown-task",
     lambda c, o: cli("demo", "--task", "image_clasifier", "--output-dir", o),
     CliExit, "--task", r"Did you mean 'image_classifier'"),
    ("cli-demo-epochs-not-int",
     lambda c, o: cli("demo", "--epochs", "ten"),
     CliExit, "--epochs", r"invalid int value: 'ten'"),
    ("cli-evaluate-missing-model",
     lambda c, o: cli("evaluate", os.path.join(o, "m.keras"), "--dataset", "digits"),
     CliExit, "m.keras", r"does not exist"),
    ("cli-evaluate-h5",
     lambda c, o: cli("evaluate", write(o, "m.h5", "x"), "--dataset", "digits"),
     CliExit, "m.h5", r"legacy HDF5"),
    ("cli-evaluate-no-data",
     lambda c, o: cli("evaluate", c.model_path),
     CliExit, "--dataset", r"Received: neither"),
    ("cli-evaluate-unknown-dataset",
     lambda c, o: cli("evaluate", c.model_path, "--dataset", "digit"),
     CliExit, "dataset", r"Did you mean 'digits'"),
    ("cli-predict-missing-image",
     lambda c, o: cli("predict", c.model_path, os.path.join(o, "x.png")),
     CliExit, "inputs", r"x\.png"),
    ("cli-export-output-under-file",
     lambda c, o: cli("export", c.model_path, "--format", "keras",
                      "--output", os.path.join(c.file, "m.keras")),
     CliExit, "m.keras", r"writable"),
    # --------------------------------------------------------------- recipe
    ("recipe-malformed-yaml",
     lambda c, o: recipe_lib.load(write(o, "r.yaml", "task: image\n\tdata: x\n")),
     ValueError, "recipe", r"not valid YAML"),
    ("recipe-not-a-mapping",
     lambda c, o: recipe_lib.load(write(o, "r.yaml", "- task\n- data\n")),
     ValueError, "recipe", r"YAML mapping.*Received: list"),
    ("recipe-unknown-top-key",
     lambda c, o: kr.from_recipe(recipe(modle={"width": 8})),
     ValueError, "modle", r"Did you mean 'model'"),
    ("recipe-unknown-fit-key",
     lambda c, o: kr.from_recipe(recipe(fit={"epoch": 2})),
     ValueError, "fit.epoch", r"Did you mean 'epochs'"),
    ("recipe-wrong-type",
     lambda c, o: kr.from_recipe(recipe(fit={"epochs": "ten"})),
     ValueError, "fit.epochs", r"must be int\. Received: fit\.epochs='ten'"),
    ("recipe-missing-task",
     lambda c, o: recipe_lib.load({"data": {"dataset": "digits"}}),
     ValueError, "task", r"is required"),
    ("recipe-unknown-task",
     lambda c, o: kr.from_recipe(recipe(task="image_clasifier")),
     ValueError, "task", r"Did you mean 'image_classifier'"),
    ("recipe-missing-data-path",
     lambda c, o: kr.from_recipe(recipe(data={"path": os.path.join(o, "nope")})),
     ValueError, "data.path", r"must exist"),
    ("recipe-dataset-and-path",
     lambda c, o: kr.from_recipe(recipe(data={"dataset": "digits", "path": o})),
     ValueError, "data", r"exactly one of `dataset` or `path`"),
    ("recipe-zero-limit",
     lambda c, o: kr.from_recipe(recipe(data={"dataset": "digits", "limit": 0})),
     ValueError, "data.limit", r"positive"),
    ("recipe-unknown-dataset",
     lambda c, o: kr.from_recipe(recipe(data={"dataset": "digit"})),
     ValueError, "data.dataset", r"Did you mean 'digits'"),
    ("recipe-model-negative-width",
     lambda c, o: kr.from_recipe(recipe(model={"width": -2})),
     ValueError, "width", r"Received: width=-2"),
    ("recipe-model-unknown-arg",
     lambda c, o: kr.from_recipe(recipe(model={"widht": 8})),
     TypeError, "widht", r"Did you mean 'width'"),
    ("recipe-model-dropout-1.5",
     lambda c, o: kr.from_recipe(recipe(model={"dropout": 1.5})),
     ValueError, "dropout", r"Received: dropout=1\.5"),
    ("recipe-bad-override",
     lambda c, o: recipe_lib.load(recipe(), ["fit.epochs"]),
     ValueError, "fit.epochs", r"must look like"),
    # --- data, fit, translate, export (#35)
    # image/text folders: FIFOs and other special files are never opened
    ("image-folder-fifos-only",
     lambda c, o: kr.data.image_folder(cf.fifos_only(o)),
     ValueError, "directory", r"holds no image files"),
    ("image-folder-fifo-as-directory",
     lambda c, o: kr.data.image_folder(cf.fifo(o, "photos")),
     ValueError, "directory", r"must be an existing folder"),
    ("image-folder-one-class-plus-fifo",
     lambda c, o: kr.data.image_folder(cf.one_class_and_fifo(o)),
     ValueError, "directory", r"at least 2 class subfolders"),
    ("image-folder-truncated-only",
     lambda c, o: kr.data.image_folder(cf.truncated_only(o)),
     ValueError, "directory", r"holds no readable image"),
    ("image-folder-directory-int",
     lambda c, o: kr.data.image_folder(3),
     TypeError, "directory", r"Received: directory of type int"),
    ("image-folder-missing",
     lambda c, o: kr.data.image_folder(cf.beside(o, "nope")),
     ValueError, "directory", r"\(not found\)"),
    ("image-folder-file-as-directory",
     lambda c, o: kr.data.image_folder(c.file),
     ValueError, "directory", r"must be an existing folder"),
    # formats Pillow reads but tf.io.decode_image does not: named before fit
    ("image-folder-tiff-as-png",
     lambda c, o: kr.data.image_folder(cf.image_folder(o, cf.odd_image("TIFF"))),
     ValueError, "directory", r"odd\.png \(TIFF mode RGB\)"),
    ("image-folder-ico-as-png",
     lambda c, o: kr.data.image_folder(cf.image_folder(o, cf.odd_image("ICO"))),
     ValueError, "directory", r"odd\.png \(ICO mode RGB\)"),
    ("image-folder-1bit-bmp-as-png",
     lambda c, o: kr.data.image_folder(cf.image_folder(o, cf.odd_image("BMP", "1"))),
     ValueError, "directory", r"odd\.png \(BMP mode 1\)"),
    ("image-folder-1bit-bmp",
     lambda c, o: kr.data.image_folder(
         cf.image_folder(o, cf.odd_image("BMP", "1", "b/odd.bmp"))),
     ValueError, "directory", r"odd\.bmp \(BMP mode 1\).*Convert them"),
    ("image-folder-bad-image-size",
     lambda c, o: kr.data.image_folder(cf.image_folder(o), image_size=(0, 8)),
     ValueError, "image_size", r"positive integers"),
    ("image-folder-bad-color-mode",
     lambda c, o: kr.data.image_folder(cf.image_folder(o), color_mode="rbg"),
     ValueError, "color_mode", r"Did you mean 'rgb'"),
    ("text-folder-fifos-only",
     lambda c, o: kr.data.text_folder(cf.text_fifos_only(o)),
     ValueError, "directory", r"holds no text files"),
    ("text-folder-missing",
     lambda c, o: kr.data.text_folder(cf.beside(o, "nope")),
     ValueError, "directory", r"\(not found\)"),
    ("text-folder-fifo-as-directory",
     lambda c, o: kr.data.text_folder(cf.fifo(o, "texts")),
     ValueError, "directory", r"must be an existing folder"),
    # CSV paths
    ("tabular-csv-fifo",
     lambda c, o: kr.data.csv(cf.fifo(o)),
     ValueError, "path", r"not a regular file: a FIFO"),
    ("tabular-csv-folder",
     lambda c, o: kr.data.csv(cf.folder(o, "table.csv")),
     ValueError, "path", r"a folder, not a file"),
    ("tabular-csv-broken-link",
     lambda c, o: kr.data.csv(cf.broken_link(o)),
     ValueError, "path", r"broken symbolic link"),
    ("tabular-csv-empty",
     lambda c, o: kr.data.csv(cf.text_file(o, "empty.csv", "")),
     ValueError, "path", r"could not be read as a CSV file"),
    ("tabular-csv-binary",
     lambda c, o: kr.data.csv(cf.text_file(o, "bin.csv", bytes(range(128, 256)))),
     ValueError, "path", r"could not be read as a CSV file"),
    ("tabular-factory-fifo",
     lambda c, o: kr.tabular_classifier(data=cf.fifo(o), target="label"),
     ValueError, "data", r"not a regular file"),
    ("tabular-fit-fifo",
     lambda c, o: c.tabular.fit(cf.fifo(o), **NO_TB),
     ValueError, "x", r"not a regular file"),
    ("tabular-predict-folder",
     lambda c, o: c.tabular.predict(cf.folder(o, "rows.csv")),
     ValueError, "x", r"a folder, not a file"),
    # fit(class_weight=...)
    ("image-fit-class-weight-missing-classes",
     lambda c, o: c.image.fit((c.x, c.y), class_weight={0: 1.0}, **NO_TB),
     ValueError, "class_weight", r"classes \[1, 2, 3, 4, 5, 6, 7, 8, 9\] have none"),
    ("image-fit-class-weight-out-of-range",
     lambda c, o: c.image.fit((c.x, c.y), class_weight={i: 1.0 for i in range(11)},
                              **NO_TB),
     ValueError, "class_weight", r"in \[0, 10\)\. Received: class_weight key 10"),
    ("image-fit-class-weight-negative-key",
     lambda c, o: c.image.fit((c.x, c.y), class_weight={-1: 1.0}, **NO_TB),
     ValueError, "class_weight", r"key -1"),
    ("image-fit-class-weight-negative",
     lambda c, o: c.image.fit((c.x, c.y), class_weight=cf.weights(3, -1.0), **NO_TB),
     ValueError, "class_weight[3]", r">= 0\.0"),
    ("image-fit-class-weight-nan",
     lambda c, o: c.image.fit((c.x, c.y), class_weight=cf.weights(3, np.nan), **NO_TB),
     ValueError, "class_weight[3]", r"must be finite"),
    ("image-fit-class-weight-inf",
     lambda c, o: c.image.fit((c.x, c.y), class_weight=cf.weights(3, np.inf), **NO_TB),
     ValueError, "class_weight[3]", r"must be finite"),
    ("image-fit-class-weight-str-weight",
     lambda c, o: c.image.fit((c.x, c.y), class_weight=cf.weights(3, "2"), **NO_TB),
     TypeError, "class_weight[3]", r"must be a number"),
    ("image-fit-class-weight-float-key",
     lambda c, o: c.image.fit((c.x, c.y), class_weight={0.0: 1.0}, **NO_TB),
     TypeError, "class_weight", r"keys must be class indices"),
    ("image-fit-class-weight-list",
     lambda c, o: c.image.fit((c.x, c.y), class_weight=[1.0] * 10, **NO_TB),
     TypeError, "class_weight", r"must be a dict.*of type list"),
    ("image-fit-class-weight-str",
     lambda c, o: c.image.fit((c.x, c.y), class_weight="heavy", **NO_TB),
     TypeError, "class_weight", r"must be a dict"),
    ("image-fit-class-weight-all-zero",
     lambda c, o: c.image.fit((c.x, c.y), class_weight={i: 0 for i in range(10)},
                              **NO_TB),
     ValueError, "class_weight", r"all 0"),
    ("image-fit-class-weight-empty",
     lambda c, o: c.image.fit((c.x, c.y), class_weight={}, **NO_TB),
     ValueError, "class_weight", r"at least one class"),
    ("text-fit-class-weight-unknown-name",
     lambda c, o: c.text.fit((TEXTS, LABELS), class_weight={"poss": 1, "neg": 1},
                             **NO_TB),
     ValueError, "class_weight", r"Did you mean 'pos'"),
    ("text-fit-class-weight-missing-class",
     lambda c, o: c.text.fit((TEXTS, LABELS), class_weight={"pos": 2.0}, **NO_TB),
     ValueError, "class_weight", r"classes \[0\] have none"),
    ("tabular-fit-class-weight-missing-class",
     lambda c, o: c.tabular.fit(c.frame, class_weight={"a": 2.0}, **NO_TB),
     ValueError, "class_weight", r"classes \[1\] have none"),
    ("seq2seq-fit-class-weight",
     lambda c, o: c.s2s.fit((SOURCES, TARGETS), class_weight={0: 1.0}, **NO_TB),
     ValueError, "class_weight", r"not supported for translation"),
    # batch sizes, splits
    ("image-fit-huge-batch-size",
     lambda c, o: c.image.fit((c.x, c.y), batch_size=10**12, **NO_TB),
     ValueError, "batch_size", r"<= 16777216\. Received: batch_size=1000000000000"),
    ("image-fit-batch-size-2-64",
     lambda c, o: c.image.fit((c.x, c.y), batch_size=2**64, **NO_TB),
     ValueError, "batch_size", r"<= 16777216"),
    ("image-fit-batch-size-float",
     lambda c, o: c.image.fit((c.x, c.y), batch_size=32.0, **NO_TB),
     TypeError, "batch_size", r"must be an integer"),
    ("image-evaluate-huge-batch-size",
     lambda c, o: c.image.evaluate((c.x, c.y), batch_size=10**12, verbose=0),
     ValueError, "batch_size", r"<= 16777216"),
    ("image-predict-huge-batch-size",
     lambda c, o: c.image.predict(c.x, batch_size=10**12, verbose=0),
     ValueError, "batch_size", r"<= 16777216"),
    ("text-fit-huge-batch-size",
     lambda c, o: c.text.fit((TEXTS, LABELS), batch_size=10**12, **NO_TB),
     ValueError, "batch_size", r"<= 16777216"),
    ("tabular-predict-huge-batch-size",
     lambda c, o: c.tabular.predict(c.frame, batch_size=10**12),
     ValueError, "batch_size", r"<= 16777216"),
    ("image-fit-validation-split-1",
     lambda c, o: c.image.fit((c.x, c.y), validation_split=1.0, **NO_TB),
     ValueError, "validation_split", r"< 1\.0\. Received: validation_split=1\.0"),
    ("image-fit-validation-split-negative",
     lambda c, o: c.image.fit((c.x, c.y), validation_split=-0.2, **NO_TB),
     ValueError, "validation_split", r">= 0\.0"),
    ("image-fit-validation-split-nan",
     lambda c, o: c.image.fit((c.x, c.y), validation_split=np.nan, **NO_TB),
     ValueError, "validation_split", r"must be finite"),
    # translate / generate_ids
    ("seq2seq-translate-huge-beam-width",
     lambda c, o: c.s2s.translate(["one"], beam_width=10**9),
     ValueError, "beam_width", r"<= 256\. Received: beam_width=1000000000"),
    ("seq2seq-translate-zero-beam-width",
     lambda c, o: c.s2s.translate(["one"], beam_width=0),
     ValueError, "beam_width", r">= 1"),
    ("seq2seq-translate-beam-width-str",
     lambda c, o: c.s2s.translate(["one"], beam_width="4"),
     TypeError, "beam_width", r"must be an integer"),
    ("seq2seq-translate-huge-max-length",
     lambda c, o: c.s2s.translate(["one"], max_length=10**9),
     ValueError, "max_length", r"must be <= \d+\. Received: max_length=1000000000"),
    ("seq2seq-translate-huge-batch-size",
     lambda c, o: c.s2s.translate(["one"], batch_size=10**12),
     ValueError, "batch_size", r"<= 16777216"),
    ("seq2seq-translate-zero-batch-size",
     lambda c, o: c.s2s.translate(["one"], batch_size=0),
     ValueError, "batch_size", r">= 1"),
    ("seq2seq-translate-inf-length-penalty",
     lambda c, o: c.s2s.translate(["one"], beam_width=2, length_penalty=np.inf),
     ValueError, "length_penalty", r"must be finite"),
    ("seq2seq-generate-huge-beam-width",
     lambda c, o: c.s2s.generate_ids(np.ones((1, 3), "int32"), beam_width=10**9),
     ValueError, "beam_width", r"<= 256"),
    # export targets: refused before any work, nothing written
    ("image-export-saved-model-on-file",
     lambda c, o: c.image.export(c.file, format="saved_model"),
     ValueError, "filepath", r"folder path for format='saved_model'"),
    ("image-export-onnx-on-folder",
     lambda c, o: c.image.export(cf.folder(o, "m.onnx"), format="onnx"),
     ValueError, "filepath", r"not an existing folder"),
    ("image-export-keras-on-folder",
     lambda c, o: c.image.export(cf.folder(o, "m.keras"), format="keras"),
     ValueError, "filepath", r"not an existing folder"),
    ("image-export-under-a-file",
     lambda c, o: c.image.export(os.path.join(c.file, "m.onnx"), format="onnx"),
     ValueError, "filepath", r"is a file"),
    ("image-export-keras-on-fifo",
     lambda c, o: c.image.export(cf.fifo(o, "m.keras")),
     ValueError, "filepath", r"not a regular file"),
    ("image-export-filepath-none",
     lambda c, o: c.image.export(None),
     TypeError, "filepath", r"Received: filepath of type NoneType"),
    ("image-export-filepath-empty",
     lambda c, o: c.image.export(""),
     ValueError, "filepath", r"must be a file path"),
    ("image-export-onnx-wrong-suffix",
     lambda c, o: c.image.export(cf.beside(o, "m.pdf"), format="onnx"),
     ValueError, "filepath", r"must end with '\.onnx'"),
    ("text-export-onnx-on-folder",
     lambda c, o: c.text.export(cf.folder(o, "t.onnx"), format="onnx"),
     ValueError, "filepath", r"not an existing folder"),
    ("tabular-export-saved-model-on-file",
     lambda c, o: c.tabular.export(c.file, format="saved_model"),
     ValueError, "filepath", r"folder path for format='saved_model'"),
    ("seq2seq-export-onnx-on-folder",
     lambda c, o: c.s2s.export(cf.folder(o, "s.onnx"), format="onnx"),
     ValueError, "filepath", r"not an existing folder"),
    ("seq2seq-export-saved-model-on-file",
     lambda c, o: c.s2s.export(c.file, format="saved_model"),
     ValueError, "filepath", r"folder path for format='saved_model'"),
]
# fmt: on


def _files(folder):
    return sorted(
        os.path.relpath(os.path.join(d, f), folder)
        for d, _, files in os.walk(folder)
        for f in files
    )


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_bad_input(case, ctx, tmp_path, monkeypatch):
    _, fn, expected, argument, pattern = case
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(out)
    monkeypatch.setenv("KERAS_RECIPES_TB_DIR", str(out / "tb_logs"))
    before = _files(out)
    with pytest.raises(expected) as info:
        fn(ctx, str(out))
    message = str(info.value)
    assert argument in message, f"message does not name {argument!r}: {message}"
    assert re.search(pattern, message, re.S), message
    for raw in RAW_ERRORS:
        assert raw not in message, f"raw TF error text {raw!r}: {message}"
    if expected is CliExit:
        assert message.startswith("keras-recipes") or "usage:" in message, message
        assert message.count("\n") <= 3, message  # one clear line, not a dump
    assert _files(out) == before, "a partial file was left behind"
    assert not [p for p in _files(tmp_path) if ".tmp" in p]


def test_corpus_size():
    assert len(CASES) >= 45
    assert len({case[0] for case in CASES}) == len(CASES)
    kinds = {case[0].split("-")[0] for case in CASES}
    assert kinds == {"image", "tabular", "text", "seq2seq", "cli", "recipe"}
