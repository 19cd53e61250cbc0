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
import json
import os
import re
import subprocess
import sys

import corpus_files as cf
import model_files as mf
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

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


def shared_bomb():
    """10**9 leaves by shared reference: a few KB until something expands it."""
    node = ["lol"] * 10
    for _ in range(8):
        node = [node] * 10
    return node


def cyclic():
    node = {"epochs": 1}
    node["self"] = node
    return node


def csv_recipe(out, test_size=None, target="label", huge=False):
    size = [1e308, -1e308] * 6 if huge else [float(i) for i in range(12)]
    rows = "".join(f"{v},{'ab'[i % 2]}\n" for i, v in enumerate(size))
    data = {"path": write(out, "t.csv", "size,label\n" + rows)}
    if target is not None:
        data["target"] = target
    if test_size is not None:
        data["test_size"] = test_size
    return {"task": "tabular_classifier", "data": data}


# ------------------------------------------------------- resume folders (#35)
CKPT = "ckpt-00000.weights.h5"
STATE = {"epoch": 0, "weights": CKPT}
HOLD = (
    "import fcntl, os, sys, time\n"
    "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)\n"
    "fcntl.flock(fd, fcntl.LOCK_EX)\n"
    "os.write(fd, str(os.getpid()).encode())\n"
    "print('held', flush=True)\n"
    "time.sleep(120)\n"
)


def resume_folder(out, name, state=None, files=(), **changes):
    """A resume folder beside the case's output folder.

    `state`: a dict (`STATE` updated with `changes`, `None` values left
    out), text or bytes for `state.json`; `files`: empty files to create.
    """
    folder = os.path.join(out, "..", f"{os.path.basename(out)}-{name}")
    os.makedirs(folder, exist_ok=True)
    if state is None:
        state = {k: v for k, v in {**STATE, **changes}.items() if v is not None}
    if isinstance(state, dict):
        state = json.dumps(state)
    if isinstance(state, str):
        state = state.encode("utf-8")
    with open(os.path.join(folder, "state.json"), "wb") as file:
        file.write(state)
    for name in files:
        open(os.path.join(folder, name), "wb").close()
    return folder


def fit_resume(c, folder, **kwargs):
    return c.image.fit((c.x, c.y), epochs=2, resume_dir=folder, **NO_TB, **kwargs)


def fit_backup(c, folder):
    backup = kr.callbacks.CoordinatedBackup(folder)
    return c.image.fit((c.x, c.y), epochs=2, callbacks=[backup], **NO_TB)


def outside_weights(out):
    """A weights file outside any resume folder (what traversal would open)."""
    return os.path.abspath(write(out, "outside.weights.h5", ""))


def with_state_file(out, name, make):
    """A resume folder whose `state.json` is what `make(path)` creates."""
    folder = resume_folder(out, name)
    os.remove(os.path.join(folder, "state.json"))
    make(os.path.join(folder, "state.json"))
    return folder


def sparse(path, size=17 * 2**20):
    with open(path, "wb") as file:
        file.truncate(size)  # never read: refused by its size


def held_elsewhere(c, out):
    """Fits on a resume folder another process has locked."""
    folder = resume_folder(out, "held")
    lock = os.path.join(folder, ".keras_recipes.lock")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, lock], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        fit_resume(c, folder)
    finally:
        holder.kill()
        holder.wait(timeout=30)
        holder.stdout.close()


def orphan_then_bad_json(c, out):
    folder = resume_folder(out, "orphan", "{")
    for orphan in (".state.json.ab12cd34.tmp.json", f".{CKPT}.zz99yy88.tmp.weights.h5"):
        open(os.path.join(folder, orphan), "w").close()
    fit_resume(c, folder)  # the orphans go (under the lock), then the error


def other_model(c, out):
    return fit_resume(c, resume_folder(out, "other", files=[CKPT], model="Other"))


# (id, callable(ctx, out), expected exception, argument/key named, message regex)
# Streamed CSV / text files (#40): 20 good rows of the corpus' tabular columns.
STREAM_ROWS = "size,color,label\n" + "1.5,red,a\n3.5,blue,b\n" * 10


def streamed(out, name, text, **kwargs):
    """`kr.data.csv` of a file beside `out`, streamed in chunks of 8 rows."""
    return kr.data.csv(
        write(out, name, text), target="label", streaming=True, chunk_rows=8, **kwargs
    )


def streamed_text(out, name, text, **kwargs):
    path = write(out, name, text)
    return kr.data.text_file(path, streaming=True, chunk_rows=8, **kwargs)


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
    # --- recipes and --set (#35)
    ("recipe-alias-bomb",
     lambda c, o: recipe_lib.load(write(o, "bomb.yaml", cf.ALIAS_BOMB)),
     ValueError, "recipe", r"anchors or aliases.*&'a' at line 4"),
    ("recipe-anchor-only",
     lambda c, o: recipe_lib.load(write(o, "a.yaml", "task: &t image_classifier\n")),
     ValueError, "recipe", r"anchors or aliases.*&'t'"),
    ("recipe-merge-key",
     lambda c, o: recipe_lib.load(write(o, "m.yaml", "b: &b {x: 1}\nfit: {<<: *b}\n")),
     ValueError, "recipe", r"anchors or aliases"),
    ("recipe-file-too-large",
     lambda c, o: recipe_lib.load(write(o, "big.yaml", "#" + "x" * (1 << 21))),
     ValueError, "recipe", r"at most 1048576 bytes"),
    ("recipe-nested-too-deep",
     lambda c, o: recipe_lib.load(write(o, "d.yaml", "task: " + "[" * 50000)),
     ValueError, "recipe", r"nest at most 20 levels"),
    ("recipe-folder-not-file",
     lambda c, o: recipe_lib.load(o),
     ValueError, "recipe", r"must be an existing YAML file"),
    ("recipe-source-not-path",
     lambda c, o: recipe_lib.load(3.5),
     TypeError, "recipe", r"YAML file path or a dict\. Received: recipe of type float"),
    ("recipe-dict-shared-bomb",
     lambda c, o: kr.from_recipe(recipe(model={"width": shared_bomb()})),
     ValueError, "model.width", r"at most 10000 values"),
    ("recipe-dict-cycle",
     lambda c, o: kr.from_recipe(recipe(fit=cyclic())),
     ValueError, "fit.self", r"nested at most 20 levels"),
    ("recipe-dict-object-value",
     lambda c, o: kr.from_recipe(recipe(fit={"epochs": object()})),
     TypeError, "fit.epochs", r"must hold YAML values"),
    ("recipe-set-broken-yaml",
     lambda c, o: recipe_lib.load(recipe(), ["fit.epochs=[1"]),
     ValueError, "--set", r"'fit\.epochs=\[1' is not valid YAML, line 1, column 3"),
    ("recipe-set-alias",
     lambda c, o: recipe_lib.load(recipe(), ["fit.epochs=*x"]),
     ValueError, "--set", r"anchors or aliases"),
    ("recipe-set-no-key",
     lambda c, o: recipe_lib.load(recipe(), ["=3"]),
     ValueError, "--set", r"must name a key"),
    ("recipe-set-into-scalar",
     lambda c, o: recipe_lib.load(recipe(), ["task.width=3"]),
     ValueError, "--set", r"inside `task`, which is not a mapping"),
    ("recipe-export-pdf",
     lambda c, o: recipe_lib.load(recipe(export={"formats": ["keras", "pdf"]},
                                         output_dir=o)).train(verbose=0),
     ValueError, "export.formats[1]", r"Received: export\.formats\[1\]='pdf'"),
    ("recipe-export-formats-str",
     lambda c, o: kr.from_recipe(recipe(export={"formats": "keras"})),
     ValueError, "export.formats", r"must be list"),
    ("recipe-export-repeated",
     lambda c, o: kr.from_recipe(recipe(export={"formats": ["keras", "keras"]})),
     ValueError, "export.formats", r"must not repeat"),
    ("recipe-class-weight-heavy",
     lambda c, o: recipe_lib.load(recipe(fit={"class_weight": "heavy"},
                                         output_dir=o)).train(verbose=0),
     ValueError, "fit.class_weight", r"mapping \{class index: weight\}.*'heavy'"),
    ("recipe-class-weight-string-keys",
     lambda c, o: kr.from_recipe(recipe(fit={"class_weight": {"a": 1.0}})),
     ValueError, "fit.class_weight", r"class indices"),
    ("recipe-class-weight-negative",
     lambda c, o: kr.from_recipe(recipe(fit={"class_weight": {0: -2.0}})),
     ValueError, "fit.class_weight.0", r">= 0"),
    ("recipe-class-weight-seq2seq",
     lambda c, o: kr.from_recipe({"task": "seq2seq_transformer",
                                  "data": {"dataset": "dates"},
                                  "fit": {"class_weight": {0: 1.0}}}),
     ValueError, "fit.class_weight", r"does not apply"),
    ("recipe-test-size-zero",
     lambda c, o: kr.from_recipe(csv_recipe(o, test_size=0)),
     ValueError, "data.test_size", r"> 0 and < 1\. Received: data\.test_size=0"),
    ("recipe-test-size-too-small",
     lambda c, o: kr.from_recipe(csv_recipe(o, test_size=0.01)),
     ValueError, "data.test_size", r"cannot split the 12 rows"),
    ("recipe-test-size-with-dataset",
     lambda c, o: kr.from_recipe(recipe(data={"dataset": "digits", "test_size": 0.3})),
     ValueError, "data.test_size", r"applies to `data\.path`"),
    ("recipe-target-unknown-column",
     lambda c, o: kr.from_recipe(csv_recipe(o, target="lable")),
     ValueError, "data.target", r"Did you mean 'label'"),
    ("recipe-tabular-csv-without-target",
     lambda c, o: kr.from_recipe(csv_recipe(o, target=None)),
     ValueError, "data.target", r"is required"),
    ("recipe-inferred-feature-names-column",
     lambda c, o: kr.from_recipe(csv_recipe(o, huge=True)),
     ValueError, "Column 'size'", r"must be finite"),
    ("recipe-csv-for-image-task",
     lambda c, o: kr.from_recipe(recipe(data={"path": write(o, "d.csv", "a\n1\n")})),
     ValueError, "data.path", r"folder of class subfolders"),
    ("recipe-image-size-zero",
     lambda c, o: kr.from_recipe(recipe(data={"path": o, "image_size": [8, 0]})),
     ValueError, "data.image_size[1]", r">= 1"),
    ("recipe-image-size-huge",
     lambda c, o: kr.from_recipe(recipe(data={"path": o, "image_size": [10**6, 8]})),
     ValueError, "data.image_size[0]", r"<= 4096"),
    ("recipe-options-unknown",
     lambda c, o: kr.from_recipe(recipe(data={"dataset": "digits",
                                              "options": {"test_sise": 0.1}})),
     ValueError, "data.options.test_sise", r"Did you mean 'test_size'"),
    ("recipe-options-bad-value",
     lambda c, o: kr.from_recipe(recipe(data={"dataset": "digits",
                                              "options": {"test_size": 2.0}})),
     ValueError, "data.options", r"test_size"),
    ("recipe-data-list",
     lambda c, o: kr.from_recipe(recipe(data=["digits"])),
     ValueError, "data", r"must be mapping"),
    ("recipe-limit-string",
     lambda c, o: kr.from_recipe(recipe(data={"dataset": "digits", "limit": "20"})),
     ValueError, "data.limit", r"must be int"),
    ("recipe-epochs-list",
     lambda c, o: kr.from_recipe(recipe(fit={"epochs": [1, 2]})),
     ValueError, "fit.epochs", r"int\. Received: fit\.epochs=\[1, 2\] \(list\)"),
    ("recipe-epochs-mapping",
     lambda c, o: kr.from_recipe(recipe(fit={"epochs": {"n": 1}})),
     ValueError, "fit.epochs", r"must be int"),
    ("recipe-epochs-zero",
     lambda c, o: kr.from_recipe(recipe(fit={"epochs": 0})),
     ValueError, "fit.epochs", r">= 1"),
    ("recipe-batch-size-string",
     lambda c, o: kr.from_recipe(recipe(fit={"batch_size": "32"})),
     ValueError, "fit.batch_size", r"must be int"),
    ("recipe-validation-split-one",
     lambda c, o: kr.from_recipe(recipe(fit={"validation_split": 1})),
     ValueError, "fit.validation_split", r"< 1"),
    ("recipe-time-budget-bad",
     lambda c, o: kr.from_recipe(recipe(fit={"time_budget": "soon"})),
     ValueError, "fit.time_budget", r"soon"),
    ("recipe-fit-not-mapping",
     lambda c, o: kr.from_recipe(recipe(fit=[1])),
     ValueError, "fit", r"must be mapping"),
    ("recipe-seed-string",
     lambda c, o: kr.from_recipe(recipe(seed="0")),
     ValueError, "seed", r"must be int"),
    ("recipe-seed-negative",
     lambda c, o: kr.from_recipe(recipe(seed=-3)),
     ValueError, "seed", r">= 0"),
    ("recipe-name-traversal",
     lambda c, o: kr.from_recipe(recipe(name="../../elsewhere")),
     ValueError, "name", r"plain folder name"),
    ("recipe-tensorboard-string",
     lambda c, o: kr.from_recipe(recipe(tensorboard="yes")),
     ValueError, "tensorboard", r"must be bool"),
    ("recipe-strategy-typo",
     lambda c, o: kr.from_recipe(recipe(strategy="mirorred")),
     ValueError, "strategy", r"Did you mean 'mirrored'"),
    ("recipe-output-dir-list",
     lambda c, o: kr.from_recipe(recipe(output_dir=["runs"])),
     ValueError, "output_dir", r"must be str"),
    ("recipe-output-dir-under-file",
     lambda c, o: recipe_lib.load(recipe(output_dir=os.path.join(c.file, "r")))
     .train(verbose=0),
     ValueError, "output_dir", r"must be a writable folder"),
    ("recipe-model-list",
     lambda c, o: kr.from_recipe(recipe(model=[8])),
     ValueError, "model", r"must be mapping"),
    ("recipe-model-data-key",
     lambda c, o: kr.from_recipe(recipe(model={"data": "x"})),
     TypeError, "model.data", r"Unknown recipe key"),
    ("recipe-model-width-string",
     lambda c, o: kr.from_recipe(recipe(model={"width": "8"})),
     TypeError, "model.width", r"`width` must be an integer"),
    ("recipe-tune-max-trials-string",
     lambda c, o: recipe_lib.load(recipe(tune={"max_trials": "5"})),
     ValueError, "tune.max_trials", r"must be an integer"),
    ("recipe-tune-tuner-typo",
     lambda c, o: recipe_lib.load(recipe(tune={"tuner": "randon"})),
     ValueError, "tune.tuner", r"Did you mean 'random'"),
    ("recipe-tune-search-space-unknown",
     lambda c, o: recipe_lib.load(recipe(tune={"search_space": {"widht": [8]}})),
     ValueError, "tune.search_space", r"Did you mean 'width'"),
    ("recipe-tune-search-space-range",
     lambda c, o: recipe_lib.load(recipe(tune={"search_space": {"width": {"min": 1}}})),
     ValueError, "tune.search_space.width", r"'min' and 'max'"),
    ("recipe-tune-validation-split-zero",
     lambda c, o: recipe_lib.load(recipe(tune={"validation_split": 0})),
     ValueError, "tune.validation_split", r"must be > 0"),
    ("recipe-tune-not-mapping",
     lambda c, o: recipe_lib.load(recipe(tune="fast")),
     ValueError, "tune", r"must be a mapping"),
    ("recipe-tune-from-recipe-bad-section",
     lambda c, o: kr.tuning.tune_from_recipe({"task": "image_classifier",
                                              "tune": {"epochs": -1}}),
     ValueError, "tune.epochs", r">= 1"),
    ("cli-train-alias-bomb",
     lambda c, o: cli("train", write(o, "bomb.yaml", cf.ALIAS_BOMB)),
     CliExit, "recipe", r"anchors or aliases"),
    ("cli-train-set-broken-yaml",
     lambda c, o: cli("train", c.recipe, "--set", "fit.epochs=[1"),
     CliExit, "--set", r"not valid YAML"),
    ("cli-tune-set-broken-yaml",
     lambda c, o: cli("tune", c.recipe, "--set", "tune={max_trials: [}"),
     CliExit, "--set", r"not valid YAML"),
    ("cli-launch-set-broken-yaml",
     lambda c, o: cli("launch", c.recipe, "--workers", "1", "--set", "fit=[",
                      "--output-dir", o),
     CliExit, "--set", r"not valid YAML"),
    ("cli-train-export-pdf",
     lambda c, o: cli("train", c.recipe, "--set", "export.formats=[keras, pdf]",
                      "--output-dir", os.path.join(o, "run")),
     CliExit, "export.formats[1]", r"'pdf'"),
    ("cli-launch-export-pdf",
     lambda c, o: cli("launch", c.recipe, "--workers", "1",
                      "--set", "export.formats=[keras, pdf]",
                      "--output-dir", os.path.join(o, "run")),
     CliExit, "export.formats[1]", r"'pdf'"),
    ("cli-train-class-weight-heavy",
     lambda c, o: cli("train", c.recipe, "--set", "fit.class_weight=heavy",
                      "--output-dir", os.path.join(o, "run")),
     CliExit, "fit.class_weight", r"'heavy'"),
    ("cli-tune-class-weight-heavy",
     lambda c, o: cli("tune", c.recipe, "--set", "fit.class_weight=heavy"),
     CliExit, "fit.class_weight", r"'heavy'"),
    ("cli-tune-max-trials-zero",
     lambda c, o: cli("tune", c.recipe, "--set", "tune.max_trials=0"),
     CliExit, "tune.max_trials", r">= 1"),
    ("cli-train-epochs-string",
     lambda c, o: cli("train", c.recipe, "--set", "fit.epochs=ten"),
     CliExit, "fit.epochs", r"must be int"),
    ("cli-train-recipe-too-large",
     lambda c, o: cli("train", write(o, "big.yaml", "#" + "x" * (1 << 21))),
     CliExit, "recipe", r"at most 1048576 bytes"),
    ("cli-train-set-into-scalar",
     lambda c, o: cli("train", c.recipe, "--set", "seed.x=1"),
     CliExit, "--set", r"not a mapping"),
    ("cli-evaluate-data-missing",
     lambda c, o: cli("evaluate", c.model_path, "--data", os.path.join(o, "nope")),
     CliExit, "--data", r"must exist"),
    ("cli-evaluate-data-csv-for-images",
     lambda c, o: cli("evaluate", c.model_path, "--data", write(o, "d.csv", "a\n1\n")),
     CliExit, "--data", r"folder of class subfolders"),

    # --- resume folders (#35)
    ("resume-state-not-json",
     lambda c, o: fit_resume(c, resume_folder(o, "r", "{")),
     ValueError, "resume_dir", r"damaged state\.json: not valid JSON"),
    ("resume-state-empty",
     lambda c, o: fit_resume(c, resume_folder(o, "r", "")),
     ValueError, "resume_dir", r"not valid JSON"),
    ("resume-state-binary",
     lambda c, o: fit_resume(c, resume_folder(o, "r", b"\xff\xfe\x00")),
     ValueError, "resume_dir", r"not valid JSON"),
    ("resume-state-deeply-nested",
     lambda c, o: fit_resume(c, resume_folder(o, "r", "[" * 200_000)),
     ValueError, "resume_dir", r"not valid JSON"),
    ("resume-state-list",
     lambda c, o: fit_resume(c, resume_folder(o, "r", "[1, 2]")),
     ValueError, "resume_dir", r"expected a JSON object, got a list"),
    ("resume-state-null",
     lambda c, o: fit_resume(c, resume_folder(o, "r", "null")),
     ValueError, "resume_dir", r"expected a JSON object, got a NoneType"),
    ("resume-state-missing-epoch",
     lambda c, o: fit_resume(c, resume_folder(o, "r", epoch=None)),
     ValueError, "resume_dir", r"the `epoch` field is missing"),
    ("resume-state-missing-weights",
     lambda c, o: fit_resume(c, resume_folder(o, "r", weights=None)),
     ValueError, "resume_dir", r"the `weights` field is missing"),
    ("resume-state-epoch-str",
     lambda c, o: fit_resume(c, resume_folder(o, "r", epoch="1")),
     ValueError, "resume_dir", r"`epoch` field must be an integer, got '1'"),
    ("resume-state-epoch-float",
     lambda c, o: fit_resume(c, resume_folder(o, "r", epoch=1.5)),
     ValueError, "resume_dir", r"`epoch` field must be an integer, got 1\.5"),
    ("resume-state-epoch-bool",
     lambda c, o: fit_resume(c, resume_folder(o, "r", epoch=True)),
     ValueError, "resume_dir", r"`epoch` field must be an integer, got True"),
    ("resume-state-epoch-nan",
     lambda c, o: fit_resume(c, resume_folder(
         o, "r", '{"epoch": NaN, "weights": "w.weights.h5"}')),
     ValueError, "resume_dir", r"`epoch` field must be an integer, got nan"),
    ("resume-state-epoch-negative",
     lambda c, o: fit_resume(c, resume_folder(o, "r", epoch=-5)),
     ValueError, "resume_dir", r"`epoch` field must be >= 0 \(a finished epoch\)"),
    ("resume-weights-absolute",
     lambda c, o: fit_resume(c, resume_folder(o, "r", weights=outside_weights(o))),
     ValueError, "resume_dir", r"`weights` field must be a plain file name"),
    ("resume-weights-parent",
     lambda c, o: fit_resume(c, resume_folder(o, "r", weights="../x.weights.h5")),
     ValueError, "resume_dir", r"`weights` field must be a plain file name"),
    ("resume-weights-nested-traversal",
     lambda c, o: fit_resume(c, resume_folder(
         o, "r", weights="a/../../x.weights.h5")),
     ValueError, "resume_dir", r"`weights` field must be a plain file name"),
    ("resume-weights-subfolder",
     lambda c, o: fit_resume(c, resume_folder(o, "r", weights="sub/x.weights.h5")),
     ValueError, "resume_dir", r"`weights` field must be a plain file name"),
    ("resume-weights-backslash",
     lambda c, o: fit_resume(c, resume_folder(o, "r", weights="..\\x.weights.h5")),
     ValueError, "resume_dir", r"`weights` field must be a plain file name"),
    ("resume-weights-dotdot",
     lambda c, o: fit_resume(c, resume_folder(o, "r", weights="..")),
     ValueError, "resume_dir", r"`weights` field must be a plain file name"),
    ("resume-weights-empty",
     lambda c, o: fit_resume(c, resume_folder(o, "r", weights="")),
     ValueError, "resume_dir", r"`weights` field must be a plain file name"),
    ("resume-weights-nul",
     lambda c, o: fit_resume(c, resume_folder(o, "r", weights="a\x00.weights.h5")),
     ValueError, "resume_dir", r"`weights` field must be a plain file name"),
    ("resume-weights-int",
     lambda c, o: fit_resume(c, resume_folder(o, "r", weights=7)),
     ValueError, "resume_dir", r"`weights` field must be a plain file name.*, got 7"),
    ("resume-weights-list",
     lambda c, o: fit_resume(c, resume_folder(o, "r", weights=[CKPT])),
     ValueError, "resume_dir", r"`weights` field must be a plain file name"),
    ("resume-weights-too-long",
     lambda c, o: fit_resume(c, resume_folder(
         o, "r", weights="w" * 5000 + ".weights.h5")),
     ValueError, "resume_dir", r"`weights` field names a file that cannot be read"),
    ("resume-weights-symlink-outside",
     lambda c, o: fit_resume(c, (lambda f: (os.symlink(
         outside_weights(o), os.path.join(f, CKPT)), f)[1])(resume_folder(o, "r"))),
     ValueError, "resume_dir", r"which is not a regular file"),
    ("resume-weights-folder",
     lambda c, o: fit_resume(c, (lambda f: (os.mkdir(
         os.path.join(f, CKPT)), f)[1])(resume_folder(o, "r"))),
     ValueError, "resume_dir", r"which is not a regular file"),
    ("resume-weights-not-h5",
     lambda c, o: fit_resume(c, resume_folder(o, "r", weights="state.json")),
     ValueError, "resume_dir", r"must name a `\.weights\.h5` file"),
    ("resume-weights-missing",
     lambda c, o: fit_resume(c, resume_folder(o, "r")),
     ValueError, "resume_dir", r"names a missing checkpoint"),
    ("resume-weights-corrupt",
     lambda c, o: fit_resume(c, resume_folder(o, "r", files=[CKPT])),
     ValueError, "resume_dir", r"holds weights that cannot be loaded"),
    ("resume-seed-states-str",
     lambda c, o: fit_resume(c, resume_folder(o, "r", seed_states="x")),
     ValueError, "resume_dir", r"`seed_states` field must be a list of lists"),
    ("resume-seed-states-float",
     lambda c, o: fit_resume(c, resume_folder(o, "r", seed_states=[[0.5, 1]])),
     ValueError, "resume_dir", r"`seed_states` field"),
    ("resume-seed-states-overflow",
     lambda c, o: fit_resume(c, resume_folder(o, "r", seed_states=[[2**70, 1]])),
     ValueError, "resume_dir", r"64-bit integers"),
    ("resume-seed-states-count",
     lambda c, o: fit_resume(c, resume_folder(
         o, "r", files=[CKPT], seed_states=[[1, 2]])),
     ValueError, "resume_dir", r"1 random layers' seed states, this one has"),
    ("resume-seed-states-shape",
     lambda c, o: fit_resume(c, resume_folder(
         o, "r", files=[CKPT], seed_states=[[1, 2, 3]] * 4)),
     ValueError, "resume_dir", r"holds weights that cannot be loaded"),
    ("resume-learning-rate-str",
     lambda c, o: fit_resume(c, resume_folder(o, "r", base_learning_rate="fast")),
     ValueError, "resume_dir", r"`base_learning_rate` field must be a finite"),
    ("resume-learning-rate-inf",
     lambda c, o: fit_resume(c, resume_folder(
         o, "r", '{"epoch": 0, "weights": "w.weights.h5", '
                 '"base_learning_rate": Infinity}')),
     ValueError, "resume_dir", r"`base_learning_rate` field must be a finite"),
    ("resume-model-not-str",
     lambda c, o: fit_resume(c, resume_folder(o, "r", model=["ImageClassifier"])),
     ValueError, "resume_dir", r"`model` field must be a class name"),
    ("resume-other-model",
     other_model,
     ValueError, "resume_dir", r"holds a checkpoint of a Other"),
    ("resume-state-huge",
     lambda c, o: fit_resume(c, with_state_file(o, "r", sparse)),
     ValueError, "resume_dir", r"17825792 bytes, over the 16777216"),
    ("resume-state-folder",
     lambda c, o: fit_resume(c, with_state_file(o, "r", os.mkdir)),
     ValueError, "resume_dir", r"state\.json: it is not a regular file"),
    ("resume-state-fifo",
     lambda c, o: fit_resume(c, with_state_file(o, "r", os.mkfifo)),
     ValueError, "resume_dir", r"state\.json: it is not a regular file"),
    ("resume-state-symlink",
     lambda c, o: fit_resume(c, with_state_file(
         o, "r", lambda p: os.symlink(write(o, "s.json", json.dumps(STATE)), p))),
     ValueError, "resume_dir", r"state\.json: it is not a regular file"),
    ("resume-orphan-tmp-then-bad-json",
     orphan_then_bad_json,
     ValueError, "resume_dir", r"not valid JSON"),
    ("resume-in-use-by-another-process",
     held_elsewhere,
     ValueError, "resume_dir", r"is in use by another training run \(pid \d+\)"),
    ("resume-dir-is-a-file",
     lambda c, o: fit_resume(c, c.file),
     ValueError, "resume_dir", r"must be a writable folder"),
    ("resume-dir-under-a-file",
     lambda c, o: fit_resume(c, os.path.join(c.file, "r")),
     ValueError, "resume_dir", r"must be a writable folder"),
    ("resume-dir-int",
     lambda c, o: fit_resume(c, 5),
     TypeError, "resume_dir", r"must be a folder path\. Received: resume_dir=5"),
    ("resume-dir-with-dataset",
     lambda c, o: c.image.fit(tf.data.Dataset.from_tensor_slices(
         (c.x, c.y)).batch(8), epochs=2, resume_dir=resume_folder(o, "r"), **NO_TB),
     ValueError, "resume_dir", r"needs in-memory data"),
    ("resume-backup-not-json",
     lambda c, o: fit_backup(c, with_state_file(
         o, "b", lambda p: open(os.path.join(os.path.dirname(p),
                                             "backup_state.json"), "w").close())),
     ValueError, "backup_dir", r"damaged backup_state\.json: not valid JSON"),
    ("resume-backup-weights-absolute",
     lambda c, o: fit_backup(c, (lambda f: (write(
         o, "b/backup_state.json", json.dumps(
             {"epoch": 1, "weights": outside_weights(o)})), f)[1])(
         resume_folder(o, "b"))),
     ValueError, "backup_dir", r"`weights` field must be a plain file name"),
    ("resume-backup-epoch-zero",
     lambda c, o: fit_backup(c, (lambda f: (write(
         o, "b/backup_state.json", json.dumps(
             {"epoch": 0, "weights": "epoch-0.weights.h5"})), f)[1])(
         resume_folder(o, "b"))),
     ValueError, "backup_dir", r"`epoch` field must be >= 1"),
    ("resume-backup-dir-empty",
     lambda c, o: kr.callbacks.CoordinatedBackup(""),
     ValueError, "backup_dir", r"must be a folder path"),
    # --- model files (#35): kr.load_model and the CLI on crafted .keras files
    # (tests/model_files.py edits a real saved model's archive).
    ("image-load-zero-bytes",
     lambda c, o: kr.load_model(mf.empty(mf.beside(o, "m.keras"))),
     ValueError, "filepath", r"is empty \(0 bytes\)"),
    ("image-load-truncated-half",
     lambda c, o: kr.load_model(mf.truncated(c.model_path, mf.beside(o, "m.keras"),
                                             os.path.getsize(c.model_path) // 2)),
     ValueError, "filepath", r"not a `\.keras` archive"),
    ("image-load-truncated-tail",
     lambda c, o: kr.load_model(mf.truncated(c.model_path,
                                             mf.beside(o, "m.keras"), -10)),
     ValueError, "filepath", r"not a readable zip"),
    ("image-load-first-100-bytes",
     lambda c, o: kr.load_model(mf.truncated(c.model_path,
                                             mf.beside(o, "m.keras"), 100)),
     ValueError, "filepath", r"truncated or corrupt"),
    ("image-load-bitflip-config",
     lambda c, o: kr.load_model(mf.bit_flipped(c.model_path,
                                               mf.beside(o, "m.keras"), "config.json")),
     ValueError, "filepath", r"is corrupt"),
    ("image-load-bitflip-weights",
     lambda c, o: kr.load_model(mf.bit_flipped(c.model_path, mf.beside(o, "m.keras"),
                                               "model.weights.h5")),
     ValueError, "filepath", r"fails its checksum"),
    ("image-load-not-a-zip",
     lambda c, o: kr.load_model(write(o, "m.keras", "not a model")),
     ValueError, "filepath", r"not a `\.keras` archive"),
    ("image-load-no-config",
     lambda c, o: kr.load_model(mf.without(c.model_path, mf.beside(o, "m.keras"),
                                           "config.json")),
     ValueError, "filepath", r"has no `config\.json`"),
    ("image-load-no-weights",
     lambda c, o: kr.load_model(mf.without(c.model_path, mf.beside(o, "m.keras"),
                                           "model.weights.h5")),
     ValueError, "filepath", r"has no `model\.weights\.h5`"),
    ("image-load-entry-path-traversal",
     lambda c, o: kr.load_model(mf.with_extra_entry(
         c.model_path, mf.beside(o, "m.keras"), "assets/../../evil.txt")),
     ValueError, "filepath", r"unexpected entry assets/\.\./\.\./evil\.txt"),
    ("image-load-assets-entry",
     lambda c, o: kr.load_model(mf.with_extra_entry(
         c.model_path, mf.beside(o, "m.keras"), "assets/vocab.txt")),
     ValueError, "filepath", r"unexpected entry"),
    ("image-load-config-not-json",
     lambda c, o: kr.load_model(mf.edited(c, o, lambda cfg: "{not json")),
     ValueError, "filepath", r"`config\.json` that is not valid JSON"),
    ("image-load-config-a-list",
     lambda c, o: kr.load_model(mf.edited(c, o, lambda cfg: "[1, 2]")),
     ValueError, "filepath", r"describes no model"),
    ("image-load-config-null",
     lambda c, o: kr.load_model(mf.edited(c, o, lambda cfg: "null")),
     ValueError, "filepath", r"describes no model.*NoneType"),
    ("image-load-config-5000-digit-int",
     lambda c, o: kr.load_model(mf.edited(
         c, o, lambda cfg: json.dumps(cfg).replace('"num_classes": 10',
                                                   '"num_classes": ' + "9" * 5000))),
     ValueError, "filepath", r"not valid JSON"),
    ("image-load-config-200k-deep",
     lambda c, o: kr.load_model(mf.deep_config(c.model_path,
                                               mf.beside(o, "m.keras"), 200_000)),
     ValueError, "filepath", r"nested more than 100 levels deep"),
    ("image-load-config-101-deep",
     lambda c, o: kr.load_model(mf.deep_config(c.model_path,
                                               mf.beside(o, "m.keras"), 101)),
     ValueError, "filepath", r"nested more than 100 levels deep"),
    ("image-load-metadata-not-json",
     lambda c, o: kr.load_model(mf.write_entries(
         mf.beside(o, "m.keras"),
         {**mf.read_entries(c.model_path), "metadata.json": b"{{{"})),
     ValueError, "filepath", r"`metadata\.json` that is not valid JSON"),
    ("image-load-config-65MiB-entry",
     lambda c, o: kr.load_model(mf.bomb(c.model_path, mf.beside(o, "m.keras"),
                                        "config.json", 65 * 2**20)),
     ValueError, "filepath", r"`config\.json` of \d+ bytes, more than the 67108864"),
    ("image-load-weights-zip-bomb",
     lambda c, o: kr.load_model(mf.bomb(c.model_path, mf.beside(o, "m.keras"),
                                        "model.weights.h5", 32 * 2**20, b"\0")),
     ValueError, "filepath", r"expands \d+x .*a zip bomb"),
    ("image-load-lambda-bytecode",
     lambda c, o: kr.load_model(mf.with_layer(mf.saved(c, "functional"),
                                              mf.beside(o, "m.keras"),
                                              mf.lambda_layer(mf.BYTECODE))),
     ValueError, "filepath", r"contains a Lambda layer"),
    ("image-load-lambda-plot-image-gallery",
     lambda c, o: kr.load_model(mf.lambda_file(
         c, o, "keras.visualization", "plot_image_gallery", {"path": "v.png"})),
     ValueError, "filepath", r"contains a Lambda layer"),
    ("image-load-lambda-set-floatx",
     lambda c, o: kr.load_model(mf.lambda_file(c, o, "keras.config", "set_floatx")),
     ValueError, "filepath", r"contains a Lambda layer"),
    ("image-load-lambda-set-backend",
     lambda c, o: kr.load_model(mf.lambda_file(c, o, "keras.config", "set_backend")),
     ValueError, "filepath", r"contains a Lambda layer"),
    ("image-load-lambda-set-image-data-format",
     lambda c, o: kr.load_model(mf.lambda_file(c, o, "keras.config",
                                               "set_image_data_format")),
     ValueError, "filepath", r"contains a Lambda layer"),
    ("image-load-loss-set-dtype-policy",
     lambda c, o: kr.load_model(mf.edited(c, o, mf.loss_is(
         mf.function_ref("keras.config", "set_dtype_policy")))),
     ValueError, "filepath", r"refers to the function `keras\.config\.set_dtype_pol"),
    ("image-load-loss-os-system",
     lambda c, o: kr.load_model(mf.edited(c, o, mf.loss_is(
         mf.function_ref("os", "system")))),
     ValueError, "filepath", r"refers to the function `os\.system`"),
    ("image-load-tfsmlayer",
     lambda c, o: kr.load_model(mf.layer_file(c, o, "keras.layers", "TFSMLayer",
                                              config={"filepath": o})),
     ValueError, "filepath", r"contains a TFSMLayer"),
    ("image-load-torch-module-wrapper",
     lambda c, o: kr.load_model(mf.layer_file(c, o, "keras.layers",
                                              "TorchModuleWrapper")),
     ValueError, "filepath", r"not on kr\.load_model's allow-list"),
    ("image-load-keras-class-off-the-list",
     lambda c, o: kr.load_model(mf.layer_file(c, o, "keras.layers", "LSTM")),
     ValueError, "filepath", r"contains `LSTM`.*allow-list"),
    ("image-load-unregistered-class",
     lambda c, o: kr.load_model(mf.layer_file(c, o, "keras_recipes.layers", "Evil",
                                              "keras_recipes>Evil")),
     ValueError, "filepath", r"contains `Evil`"),
    ("image-load-callback-as-model",
     lambda c, o: kr.load_model(mf.edited(c, o, lambda cfg: {
         "module": "keras_recipes.callbacks", "class_name": "ConfusionMatrixImage",
         "config": {}, "registered_name": "keras_recipes>ConfusionMatrixImage"})),
     ValueError, "filepath", r"not a model kr\.load_model builds"),
    ("image-load-optimizer-as-model",
     lambda c, o: kr.load_model(mf.edited(
         c, o, lambda cfg: cfg["compile_config"]["optimizer"])),
     ValueError, "filepath", r"holds a `FastAdamW`, not a model"),
    ("image-load-num-classes-1e12",
     lambda c, o: kr.load_model(mf.args_file(c, o, "image", num_classes=10**12)),
     ValueError, "filepath", r"`num_classes` must be <= 100000"),
    ("image-load-num-classes-float",
     lambda c, o: kr.load_model(mf.args_file(c, o, "image", num_classes=1e12)),
     ValueError, "filepath", r"`num_classes` must be an integer"),
    ("image-load-width-1e9",
     lambda c, o: kr.load_model(mf.args_file(c, o, "image", width=10**9)),
     ValueError, "filepath", r"`width` must be <= \d+ \(a sanity bound"),
    ("image-load-blocks-1e9",
     lambda c, o: kr.load_model(mf.args_file(c, o, "image", blocks=10**9)),
     ValueError, "filepath", r"`blocks` must be <= 64"),
    ("image-load-image-shape-1e6",
     lambda c, o: kr.load_model(mf.args_file(c, o, "image",
                                             image_shape=[10**6, 10**6, 1])),
     ValueError, "filepath", r"`image_shape` and `image_size` sides must be <= 16384"),
    ("image-load-unknown-argument",
     lambda c, o: kr.load_model(mf.args_file(c, o, "image", exec="import os")),
     ValueError, "filepath", r"unexpected argument `exec`"),
    ("image-load-a-folder",
     lambda c, o: kr.load_model(mf.folder(mf.beside(o, "d.keras"))),
     ValueError, "filepath", r"is a folder"),
    ("image-load-a-fifo",
     lambda c, o: kr.load_model(mf.fifo(mf.beside(o, "p.keras"))),
     ValueError, "filepath", r"not a regular file"),
    ("image-load-path-an-int",
     lambda c, o: kr.load_model(3),
     TypeError, "filepath", r"Received: filepath=3 of type int"),
    ("text-load-num-classes-1e12",
     lambda c, o: kr.load_model(mf.args_file(c, o, "text", num_classes=10**12)),
     ValueError, "filepath", r"`num_classes` must be <= 100000"),
    ("text-load-units-1e9",
     lambda c, o: kr.load_model(mf.args_file(c, o, "text", units=10**9)),
     ValueError, "filepath", r"`units` must be <= 16384"),
    ("text-load-sequence-length-1e9",
     lambda c, o: kr.load_model(mf.args_file(c, o, "text", sequence_length=10**9)),
     ValueError, "filepath", r"`sequence_length` must be <= 65536"),
    ("text-load-rnn-layers-1e6",
     lambda c, o: kr.load_model(mf.args_file(c, o, "text", rnn_layers=10**6)),
     ValueError, "filepath", r"`rnn_layers` must be <= 64"),
    ("tabular-load-hidden-units-1e9",
     lambda c, o: kr.load_model(mf.args_file(c, o, "tabular", hidden_units=[10**9])),
     ValueError, "filepath", r"`hidden_units` must be <= 16384"),
    ("tabular-load-num-classes-1e12",
     lambda c, o: kr.load_model(mf.args_file(c, o, "tabular", num_classes=10**12)),
     ValueError, "filepath", r"`num_classes` must be <= 100000"),
    ("seq2seq-load-embedding-dim-1e9",
     lambda c, o: kr.load_model(mf.args_file(c, o, "seq2seq", embedding_dim=10**9)),
     ValueError, "filepath", r"`embedding_dim` must be <= 16384"),
    ("seq2seq-load-encoder-layers-1e6",
     lambda c, o: kr.load_model(mf.args_file(c, o, "seq2seq",
                                             num_encoder_layers=10**6)),
     ValueError, "filepath", r"`num_encoder_layers` must be <= 64"),
    ("seq2seq-load-vocabulary-size-1e12",
     lambda c, o: kr.load_model(mf.args_file(c, o, "seq2seq", source_vocabulary=None,
                                             source_vocabulary_size=10**12)),
     ValueError, "filepath", r"`source_vocabulary_size` must be <= 1000000"),
    ("seq2seq-load-sequence-length-1e9",
     lambda c, o: kr.load_model(mf.args_file(c, o, "seq2seq",
                                             sequence_length=10**9)),
     ValueError, "filepath", r"`sequence_length` must be <= 65536"),
    ("cli-predict-lambda-model",
     lambda c, o: cli("predict", mf.lambda_file(c, o, "keras.config", "set_backend"),
                      "x.png"),
     CliExit, "filepath", r"contains a Lambda layer"),
    ("cli-evaluate-truncated-model",
     lambda c, o: cli("evaluate", mf.truncated(c.model_path, mf.beside(o, "m.keras"),
                                               -10), "--dataset", "digits"),
     CliExit, "filepath", r"not a `\.keras` archive"),
    ("cli-export-zero-byte-model",
     lambda c, o: cli("export", mf.empty(mf.beside(o, "m.keras"))),
     CliExit, "filepath", r"is empty"),
    ("cli-export-tfsmlayer-model",
     lambda c, o: cli("export", mf.layer_file(c, o, "keras.layers", "TFSMLayer")),
     CliExit, "filepath", r"contains a TFSMLayer"),
    ("cli-predict-deep-config",
     lambda c, o: cli("predict", mf.deep_config(c.model_path, mf.beside(o, "m.keras"),
                                                200_000), "x.png"),
     CliExit, "filepath", r"nested more than 100 levels"),
    ("cli-evaluate-num-classes-1e12",
     lambda c, o: cli("evaluate", mf.args_file(c, o, "image", num_classes=10**12),
                      "--dataset", "digits"),
     CliExit, "filepath", r"`num_classes` must be <= 100000"),
    ("cli-predict-not-a-zip",
     lambda c, o: cli("predict", write(o, "m.keras", "text"), "x.png"),
     CliExit, "filepath", r"not a `\.keras` archive"),
    ("cli-export-bitflip-weights",
     lambda c, o: cli("export", mf.bit_flipped(c.model_path, mf.beside(o, "m.keras"),
                                               "model.weights.h5")),
     CliExit, "filepath", r"fails its checksum"),
    ("cli-evaluate-weights-zip-bomb",
     lambda c, o: cli("evaluate", mf.bomb(c.model_path, mf.beside(o, "m.keras"),
                                          "model.weights.h5", 32 * 2**20, b"\0"),
                      "--dataset", "digits"),
     CliExit, "filepath", r"a zip bomb"),
    ("cli-export-folder-model",
     lambda c, o: cli("export", mf.folder(mf.beside(o, "d.keras"))),
     CliExit, "filepath", r"is a folder"),
    ("cli-predict-model-without-config",
     lambda c, o: cli("predict", mf.without(c.model_path, mf.beside(o, "m.keras"),
                                            "config.json"), "x.png"),
     CliExit, "filepath", r"has no `config\.json`"),
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
    # --- tabular regressor and the TabM network (#37, #38)
    ("tabular-regressor-string-target",
     lambda c, o: kr.tabular_regressor(data=c.frame, target="label"),
     TypeError, "label", r"must hold numbers for a regressor"),
    ("tabular-regressor-infinite-target",
     lambda c, o: kr.tabular_regressor(
         data=c.frame.assign(y=[1.0, 2.0, np.inf, 3.0, 4.0, 5.0]), target="y"),
     ValueError, "y", r"must hold finite numbers"),
    ("tabular-regressor-all-missing-target",
     lambda c, o: kr.tabular_regressor(data=c.frame.assign(y=np.nan), target="y"),
     ValueError, "y", r"holds no labels"),
    ("tabular-regressor-repeated-target",
     lambda c, o: kr.tabular_regressor(data=c.frame, target=["size", "size"]),
     ValueError, "target", r"must not repeat a column"),
    ("tabular-regressor-unknown-target",
     lambda c, o: kr.tabular_regressor(data=c.frame, target=["size", "weight"]),
     ValueError, "target", r"Received: target=\['size', 'weight'\]"),
    ("tabular-classifier-list-target",
     lambda c, o: kr.tabular_classifier(data=c.frame, target=["label", "color"]),
     ValueError, "target", r"multi_label=True.*kr\.tabular_regressor"),
    ("tabular-unknown-architecture",
     lambda c, o: kr.tabular_classifier(data=c.frame, target="label",
                                        architecture="resnet"),
     ValueError, "architecture", r"Received: architecture='resnet'"),
    ("tabular-ensemble-size-with-mlp",
     lambda c, o: kr.tabular_classifier(data=c.frame, target="label",
                                        architecture="mlp", ensemble_size=4),
     ValueError, "ensemble_size", r"needs `architecture='tabm'`"),
    ("tabular-ensemble-size-zero",
     lambda c, o: kr.tabular_regressor(data=c.frame, target="size",
                                       ensemble_size=0),
     ValueError, "ensemble_size", r"Received: ensemble_size=0"),
    ("tabular-features-bins-not-increasing",
     lambda c, o: kr.tasks.TabularClassifier(
         [{"name": "a", "kind": "numeric", "mean": 0.0, "variance": 1.0,
           "fill_value": 0.0, "missing_indicator": False, "bins": [1.0, 0.0]}], 2),
     ValueError, "bins", r"increasing numbers"),
    # --- image folders and image files at users' sizes (#40)
    ("image-folder-empty-class-folders",
     lambda c, o: kr.data.image_folder(cf.empty_classes(o)),
     ValueError, "directory", r"holds no image files"),
    ("image-folder-no-class-subfolders",
     lambda c, o: kr.data.image_folder(cf.flat_images(o)),
     ValueError, "directory", r"holds no image files.*subfolders \[\]"),
    ("image-folder-html-named-jpg-only",
     lambda c, o: kr.data.image_folder(cf.not_images_only(o)),
     ValueError, "directory", r"no readable image.*a/x\.jpg"),
    ("image-folder-zero-byte-only",
     lambda c, o: kr.data.image_folder(cf.not_images_only(o, b"")),
     ValueError, "directory", r"no readable image.*2 unreadable"),
    ("image-folder-cache-unknown",
     lambda c, o: kr.data.image_folder(cf.image_folder(o), cache="ram"),
     ValueError, "cache", r"Received: cache='ram'"),
    ("image-folder-cache-budget-negative",
     lambda c, o: kr.data.image_folder(cf.image_folder(o), cache_budget=-1),
     ValueError, "cache_budget", r"Received: cache_budget=-1"),
    ("image-folder-cache-dir-is-a-file",
     lambda c, o: kr.data.image_folder(
         cf.image_folder(o), cache="disk", cache_dir=c.file),
     ValueError, "cache_dir", r"must be a writable folder"),
    ("image-folder-image-size-bool",
     lambda c, o: kr.data.image_folder(cf.image_folder(o), image_size=(True, 8)),
     ValueError, "image_size", r"Received: image_size=\(True, 8\)"),
    ("image-folder-image-size-huge",
     lambda c, o: kr.data.image_folder(cf.image_folder(o), image_size=(10**6, 8)),
     ValueError, "image_size", r"<= 16384 pixels"),
    ("image-predict-missing-file",
     lambda c, o: c.image.predict([cf.beside(o, "nope.png")], verbose=0),
     ValueError, "x", r"not a regular file or folder"),
    ("image-predict-text-named-png",
     lambda c, o: c.image.predict(cf.fake_image(o), verbose=0),
     ValueError, "x", r"not readable images.*fake\.png \(unreadable\)"),
    ("image-predict-folder-without-images",
     lambda c, o: c.image.predict(cf.folder(o, "nothing"), verbose=0),
     ValueError, "x", r"folder with no image files"),
    ("image-predict-files-none-readable",
     lambda c, o: c.image.predict_files([cf.fake_image(o)]),
     ValueError, "files", r"not readable images"),
    ("image-predict-other-size-fixed-model",
     lambda c, o: c.image.predict(np.zeros((1, 9, 9, 1)), verbose=0),
     ValueError, "x", r"without `image_size=`"),
    ("image-fit-files-without-labels",
     lambda c, o: c.image.fit(cf.fake_image(o, "a.png"), epochs=1),
     ValueError, "x", r"not readable images"),
    ("cli-predict-text-named-png",
     lambda c, o: cli("predict", c.model_path, cf.fake_image(o)),
     CliExit, "files", r"not readable images.*fake\.png"),
    # image and text regressors (#37): targets checked before any training
    ("image-regressor-nan-target",
     lambda c, o: kr.image_regressor(data=(c.x, with_nan(c.y)), **TINY_IMG_REG),
     ValueError, "data[1]", r"must hold finite numbers: 1 rows .*first rows: \[2\]"),
    ("image-regressor-fit-inf-target",
     lambda c, o: image_reg(c).fit((c.x, with_inf(c.y)), **NO_TB),
     ValueError, "y", r"must hold finite numbers"),
    ("image-regressor-string-target",
     lambda c, o: kr.image_regressor(data=(c.x, ["big"] * len(c.x)), **TINY_IMG_REG),
     TypeError, "data[1]", r"must hold numbers for a regressor"),
    ("image-regressor-fit-two-targets-for-one",
     lambda c, o: image_reg(c).fit((c.x, np.stack([c.y, c.y], 1)), **NO_TB),
     ValueError, "y", r"must hold 1 target\(s\) per row.*shape \(40, 2\)"),
    ("image-regressor-evaluate-string-target",
     lambda c, o: image_reg(c).evaluate((c.x, c.y.astype(str).astype(object)
                                         + "kg"), verbose=0),
     TypeError, "y", r"must hold numbers"),
    ("image-regressor-constant-target",
     lambda c, o: kr.image_regressor(data=(c.x, np.ones(len(c.x))), **TINY_IMG_REG),
     ValueError, "y", r"holds a single value"),
    ("image-regressor-bad-target-transform",
     lambda c, o: kr.image_regressor(data=(c.x, c.y), target_transform="log10",
                                     **TINY_IMG_REG),
     ValueError, "target_transform", r"Received: target_transform='log10'"),
    ("image-regressor-class-weight",
     lambda c, o: image_reg(c).fit((c.x, c.y), class_weight={0: 1.0}, **NO_TB),
     ValueError, "class_weight", r"applies to classifiers"),
    ("image-regressor-targets-csv-missing-file",
     lambda c, o: kr.data.image_targets(targets_folder(o, "a.png,1\nb.png,2\n")),
     ValueError, "targets", r"missing or not image files \(b\.png\)"),
    ("image-regressor-targets-csv-nan",
     lambda c, o: kr.data.image_targets(targets_folder(o, "a.png,nan\n")),
     ValueError, "targets", r"must hold finite numbers"),
    ("image-regressor-targets-csv-text",
     lambda c, o: kr.data.image_targets(targets_folder(o, "a.png,heavy\n")),
     TypeError, "targets", r"\['value'\] hold text"),
    ("image-regressor-targets-csv-absent",
     lambda c, o: kr.data.image_targets(targets_folder(o, "a.png,1\n"), "t.csv"),
     ValueError, "targets", r"must name a CSV file"),
    ("text-regressor-nan-target",
     lambda c, o: kr.text_regressor(data=(TEXTS, with_nan(np.arange(16.0))),
                                    **TINY_TEXT),
     ValueError, "data[1]", r"must hold finite numbers"),
    ("text-regressor-non-numeric-target",
     lambda c, o: kr.text_regressor(data=(TEXTS, LABELS), **TINY_TEXT),
     TypeError, "data[1]", r"must hold numbers for a regressor.*'pos'"),
    ("text-regressor-fit-wrong-target-count",
     lambda c, o: text_reg(c).fit((TEXTS, np.ones((16, 3))), **NO_TB),
     ValueError, "y", r"must hold 1 target\(s\) per row"),
    ("text-regressor-predict-numbers",
     lambda c, o: text_reg(c).predict(np.arange(4.0)),
     TypeError, "x", r"Received"),
    ("text-regressor-log-of-negative",
     lambda c, o: kr.text_regressor(data=(TEXTS, np.arange(16.0) - 3),
                                    target_transform="log", **TINY_TEXT),
     ValueError, "target_transform", r"needs targets >= 0"),
    # ---------------------------------------------------- multi-label (#37)
    ("text-factory-multi-label-mixed-forms",
     lambda c, o: kr.text_classifier(
         data=(TEXTS[:3], [["pos"], "neg", []]), multi_label=True, **TINY_TEXT),
     ValueError, "data[1]", r"mixes label forms.*Received: data\[1\]\[1\]='neg'"),
    ("text-factory-multi-label-single-labels",
     lambda c, o: kr.text_classifier(
         data=(TEXTS, LABELS), multi_label=True, **TINY_TEXT),
     ValueError, "data[1]", r"one label per sample.*multi_label=False"),
    ("text-factory-multi-label-all-empty",
     lambda c, o: kr.text_classifier(
         data=(TEXTS[:2], [[], []]), multi_label=True, **TINY_TEXT),
     ValueError, "data[1]", r"holds no tag.*2 empty lists"),
    ("text-factory-multi-label-non-string-tag",
     lambda c, o: kr.text_classifier(
         data=(TEXTS[:2], [["pos", 3], []]), multi_label=True, **TINY_TEXT),
     TypeError, "data[1]", r"tags must be strings.*of type int"),
    ("text-fit-multi-label-single-labels",
     lambda c, o: ml_text(c).fit(TEXTS, LABELS, epochs=1, verbose=0),
     ValueError, "`y`", r"one label per sample"),
    ("text-evaluate-multi-label-unseen-tag",
     lambda c, o: ml_text(c).evaluate(TEXTS[:2], [["pos"], ["horror"]], verbose=0),
     ValueError, "`y`", r"not trained on.*Received unknown tags: \['horror'\]"),
    ("text-fit-threshold-out-of-range",
     lambda c, o: ml_text(c).fit(
         TEXTS, ML_TAGS, epochs=1, verbose=0, threshold=1.5),
     ValueError, "threshold", r"must be < 1\.0\. Received: threshold\[0\]=1\.5"),
    ("text-fit-threshold-single-label",
     lambda c, o: c.text.fit(
         TEXTS, LABELS, epochs=1, verbose=0, threshold="auto"),
     ValueError, "threshold", r"applies to multi_label=True"),
    ("text-class-multi-label-not-bool",
     lambda c, o: kr.tasks.TextClassifier(["a"], num_classes=2, multi_label="yes"),
     TypeError, "multi_label", r"True or False\. Received: multi_label='yes'"),
    ("text-class-thresholds-wrong-length",
     lambda c, o: kr.tasks.TextClassifier(
         ["a"], num_classes=2, multi_label=True, thresholds=[0.5]),
     ValueError, "thresholds", r"list of 2 numbers"),
    ("tabular-factory-several-targets-single-label",
     lambda c, o: kr.tabular_classifier(data=ml_frame(), target=["a", "b"]),
     ValueError, "target", r"names several columns.*multi_label=True"),
    ("tabular-factory-multi-label-matrix-not-0-1",
     lambda c, o: kr.tabular_classifier(
         data=ml_frame(b=[0, 2, 1, 0, 1, 0]), target=["a", "b"], multi_label=True),
     ValueError, "target", r"only 0 and 1.*Received: target\[\(1, 1\)\]="),
    ("tabular-factory-multi-label-all-empty-column",
     lambda c, o: kr.tabular_classifier(
         data=c.frame.assign(tags=[[] for _ in range(6)]).drop(columns="label"),
         target="tags", multi_label=True),
     ValueError, "target", r"holds no tag: every sample's tag list is empty"),
    ("tabular-factory-multi-label-unknown-target-column",
     lambda c, o: kr.tabular_classifier(
         data=ml_frame(), target=["a", "bb"], multi_label=True),
     ValueError, "target", r"must name columns.*Did you mean 'b'"),
    ("tabular-factory-multi-label-class-weight",
     lambda c, o: kr.tabular_classifier(
         data=ml_frame(), target=["a", "b"], multi_label=True,
         class_weight="balanced"),
     ValueError, "class_weight", r"does not apply to a multi_label=True model"),
    ("tabular-evaluate-multi-label-unseen-tag",
     lambda c, o: ml_tabular(c).evaluate(
         (c.frame[["size", "color"]], [["a"], ["z"], [], [], [], []]), verbose=0),
     ValueError, "`y`", r"not trained on.*\['z'\]"),
    ("tabular-fit-multi-label-wrong-width",
     lambda c, o: ml_tabular(c).fit(
         c.frame[["size", "color"]], np.ones((6, 3)), epochs=1, verbose=0),
     ValueError, "`y`", r"one column per tag: 2 for this model"),
    ("image-factory-multi-label-matrix-not-0-1",
     lambda c, o: kr.image_classifier(
         data=(c.x[:4], [[0, 1], [1, 0], [0.5, 0], [1, 1]]), multi_label=True),
     ValueError, "data[1]", r"only 0 and 1.*data\[1\]\[\(2, 0\)\]="),
    ("image-fit-multi-label-single-labels",
     lambda c, o: ml_image(c).fit(c.x, c.y, epochs=1, verbose=0),
     ValueError, "`y`", r"one label per sample"),
    ("image-fit-multi-label-class-weight",
     lambda c, o: ml_image(c).fit(
         c.x, np.eye(2)[c.y % 2], epochs=1, verbose=0, class_weight={0: 1, 1: 2}),
     ValueError, "class_weight", r"does not apply to a multi_label=True model"),
    # ------------------------------------------- text wide & deep (issue #39)
    ("text-factory-unknown-architecture",
     lambda c, o: kr.text_classifier(data=(TEXTS, LABELS), architecture="cnn"),
     ValueError, "architecture", r"Received: architecture='cnn'"),
    ("text-factory-negative-max-bigrams",
     lambda c, o: kr.text_classifier(data=(TEXTS, LABELS), max_bigrams=-1),
     ValueError, "max_bigrams", r"Received: max_bigrams=-1"),
    ("text-bigrams-not-a-list",
     lambda c, o: kr.tasks.TextClassifier(["a"], 2, bigrams="a b"),
     TypeError, "bigrams", r"Received: bigrams of type str"),
    # --- streamed CSV, JSON-lines and text files (#40)
    ("tabular-stream-type-change",
     lambda c, o: kr.tabular_classifier(
         data=streamed(o, "t.csv", STREAM_ROWS + "big,red,a\n")),
     ValueError, "size", r"t\.csv' column 'size' changes type at row 20"),
    ("tabular-stream-unseen-column",
     lambda c, o: kr.tabular_classifier(
         data=streamed(o, "u.csv", STREAM_ROWS + "2.5,red,a,EXTRA\n")),
     ValueError, "u.csv", r"Expected 3 fields in line 22, saw 4.*does not name"),
    ("tabular-stream-empty-file",
     lambda c, o: streamed(o, "e.csv", ""),
     ValueError, "path", r"empty file \(0 bytes\)"),
    ("tabular-csv-empty-file",
     lambda c, o: kr.data.csv(write(o, "e.csv", ""), streaming=False),
     ValueError, "path", r"EmptyDataError"),
    ("tabular-stream-header-only",
     lambda c, o: kr.tabular_classifier(data=streamed(o, "h.csv", "size,label\n")),
     ValueError, "path", r"a header but no rows"),
    ("tabular-stream-cut-in-a-quote",
     lambda c, o: kr.tabular_classifier(
         data=streamed(o, "q.csv", STREAM_ROWS + '2.5,"re')),
     ValueError, "q.csv", r"ends inside a quoted field"),
    ("tabular-stream-unknown-target",
     lambda c, o: kr.tabular_classifier(
         data=kr.data.csv(write(o, "t.csv", STREAM_ROWS), target="lable",
                          streaming=True)),
     ValueError, "target", r"Did you mean 'label'"),
    ("tabular-fit-stream-unseen-label",
     lambda c, o: c.tabular.fit(streamed(o, "l.csv", STREAM_ROWS + "2.5,red,zzz\n"),
                                **NO_TB),
     ValueError, "y", r"\['zzz'\] \(in '.*l\.csv', rows 16-20"),
    ("tabular-predict-stream-type-change",
     lambda c, o: c.tabular.predict(streamed(o, "p.csv", STREAM_ROWS + "big,red,a\n"),
                                    verbose=0),
     ValueError, "size", r"changes type at row 20"),
    ("tabular-stream-chunksize-set",
     lambda c, o: streamed(o, "c.csv", STREAM_ROWS, chunksize=5),
     ValueError, "chunksize", r"set by the stream"),
    ("text-stream-jsonl-cut",
     lambda c, o: kr.text_classifier(
         data=streamed_text(o, "t.jsonl", '{"text": "good", "label": "pos"}\n'
                                          '{"text": "bad", "label": "neg"}\n{"te'),
         **TINY_TEXT),
     ValueError, "t.jsonl", r"not JSON"),
    ("text-stream-missing-column",
     lambda c, o: streamed_text(o, "r.csv", "review,label\ngood,pos\n"),
     ValueError, "text", r"columns are \['review', 'label'\]"),
    ("text-fit-stream-unseen-label",
     lambda c, o: c.text.fit(
         streamed_text(o, "m.csv", "text,label\n" + "good film,pos\nbad,neg\n" * 5
                       + "meh,meh\n"), **NO_TB),
     ValueError, "y", r"\['meh'\].*m\.csv', rows 8-"),
    ("tabular-fit-stream-balanced-weights",
     lambda c, o: c.tabular.fit(streamed(o, "w.csv", STREAM_ROWS),
                                class_weight="balanced", **NO_TB),
     ValueError, "class_weight", r"Received: x=a streamed file"),
    ("tabular-fit-stream-resume",
     lambda c, o: c.tabular.fit(streamed(o, "r.csv", STREAM_ROWS),
                                resume_dir=f"{o}-resume", **NO_TB),
     ValueError, "resume_dir", r"Received: x=a streamed file"),
    ("tabular-stream-continuous-target",
     lambda c, o: kr.tabular_classifier(data=streamed(
         o, "c.csv", "size,color,label\n" + "1.5,red,0.25\n2.5,blue,1.75\n" * 10)),
     ValueError, "target", r"not whole.*kr\.tabular_regressor"),
]
# fmt: on


ML_TAGS = [["pos"], ["neg"], ["pos", "neg"], []] * 4


def ml_text(c):
    """A multi-label text model (built once per module)."""
    if not hasattr(c, "ml_text"):
        c.ml_text = kr.text_classifier(
            data=(TEXTS, ML_TAGS), multi_label=True, **TINY_TEXT
        )
    return c.ml_text


def ml_frame(**columns):
    frame = pd.DataFrame(
        {
            "size": [1.0, 2.0, 3.0, 4.0, 1.5, 3.5],
            "a": [1, 0, 1, 0, 1, 0],
            "b": [0, 1, 1, 0, 1, 0],
        }
    )
    return frame.assign(**columns)


def ml_tabular(c):
    """A multi-label tabular model on the shared frame, tags 'a' and 'b'."""
    if not hasattr(c, "ml_tabular"):
        tags = [["a"], ["a", "b"], ["b"], [], ["a"], ["b"]]
        c.ml_tabular = kr.tabular_classifier(
            data=(c.frame[["size", "color"]], tags),
            multi_label=True,
            hidden_units=[8],
        )
    return c.ml_tabular


def ml_image(c):
    """A multi-label image model on the shared digits, two tags."""
    if not hasattr(c, "ml_image"):
        c.ml_image = kr.image_classifier(
            data=(c.x, np.eye(2)[c.y % 2]), multi_label=True, width=8, depth=2
        )
    return c.ml_image


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
    assert len(CASES) >= 250
    assert len({case[0] for case in CASES}) == len(CASES)
    kinds = {case[0].split("-")[0] for case in CASES}
    assert kinds == {"image", "tabular", "text", "seq2seq", "cli", "recipe", "resume"}


# ---------------------------------------------- regressor helpers (#37)
TINY_IMG_REG = dict(width=8, depth=2, augmentation=None)


def with_nan(y):
    y = np.asarray(y, "float64").copy()
    y[2] = np.nan
    return y


def with_inf(y):
    y = np.asarray(y, "float64").copy()
    y[5] = np.inf
    return y


def image_reg(c):
    if not hasattr(c, "image_reg"):
        c.image_reg = kr.image_regressor(data=(c.x, c.y), **TINY_IMG_REG)
    return c.image_reg


def text_reg(c):
    if not hasattr(c, "text_reg"):
        c.text_reg = kr.text_regressor(data=(TEXTS, np.arange(16.0)), **TINY_TEXT)
    return c.text_reg


def targets_folder(out, rows):
    """A folder beside the case's output folder: a.png and a targets.csv."""
    from PIL import Image

    folder = os.path.join(out, "..", f"{os.path.basename(out)}-images")
    os.makedirs(folder, exist_ok=True)
    Image.new("L", (8, 8)).save(os.path.join(folder, "a.png"))
    with open(os.path.join(folder, "targets.csv"), "w", encoding="utf-8") as file:
        file.write("filename,value\n" + rows)
    return folder
