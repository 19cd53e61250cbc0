"""Loading a hostile model file: refused before anything is deserialized.

Each test builds its malicious `.keras` file from a real saved model (the
archive edited) and asserts a clear `ValueError` naming `filepath`, that no
file was written, that global Keras state is unchanged and, for the size
bombs, that memory stays bounded (peak RSS of a child process) within a
timeout. The allow-list test rebuilds what the templates and components
serialize and checks that `kr.load_model` accepts all of it.
"""

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
import zipfile

import keras
import model_files as mf
import numpy as np
import pandas as pd
import pytest

import keras_recipes as kr
from keras_recipes import saving
from keras_recipes import utils
from keras_recipes.cli import main as cli_main

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    root = tmp_path_factory.mktemp("safety-src")
    image = str(root / "image.keras")
    kr.image_classifier(num_classes=3, image_shape=(8, 8, 1), width=4, depth=1).save(
        image
    )
    return {"image": image, "functional": mf.functional_model_file(root / "f.keras")}


def refused(path, match):
    """Loads `path`; asserts the refusal and that nothing global changed."""
    before_state = mf.global_state()
    folder = os.path.dirname(path)
    before_files = mf.files_under(folder)
    with pytest.raises(ValueError, match=match) as info:
        kr.load_model(path)
    message = str(info.value)
    assert "`filepath`" in message and f"Received: filepath={path!r}" in message
    assert "Traceback" not in message
    assert mf.global_state() == before_state
    assert mf.files_under(folder) == before_files  # no temp or victim file
    return message


# ------------------------------------------------ finding 1: code on load
@pytest.mark.parametrize(
    "function, arguments",
    [
        (("keras.visualization", "plot_image_gallery"), {"path": "victim.png"}),
        (("keras.config", "set_floatx"), {}),
        (("keras.config", "set_dtype_policy"), {}),
        (("keras.config", "set_image_data_format"), {}),
        (("keras.config", "set_backend"), {}),
        (("keras.utils", "set_random_seed"), {}),
    ],
    ids=lambda v: v[1] if isinstance(v, tuple) else "",
)
def test_lambda_naming_a_function_is_refused(
    saved, tmp_path, monkeypatch, function, arguments
):
    monkeypatch.chdir(tmp_path)
    victim = tmp_path / "victim.png"
    victim.write_bytes(b"precious")
    layer = mf.lambda_layer(mf.function_ref(*function), arguments)
    path = mf.with_layer(saved["functional"], str(tmp_path / "m.keras"), layer)
    message = refused(path, "Refusing to load a model that contains a Lambda layer")
    assert "config[config][layers][2]" in message
    assert victim.read_bytes() == b"precious"


def test_lambda_bytecode_is_refused(saved, tmp_path):
    layer = mf.lambda_layer(mf.BYTECODE)
    path = mf.with_layer(saved["functional"], str(tmp_path / "m.keras"), layer)
    refused(path, "contains a Lambda layer")


def test_function_reference_outside_a_lambda_is_refused(saved, tmp_path):
    def edit(config):
        config["compile_config"]["loss"] = mf.function_ref("keras.config", "set_floatx")

    path = mf.with_config(saved["image"], str(tmp_path / "m.keras"), edit)
    message = refused(path, r"refers to the function `keras\.config\.set_floatx`")
    assert "compile_config" in message


def test_tfsmlayer_has_its_own_message(saved, tmp_path):
    layer = {
        "module": "keras.layers",
        "class_name": "TFSMLayer",
        "config": {"filepath": str(tmp_path), "call_endpoint": "serve"},
        "registered_name": None,
    }
    path = mf.with_layer(saved["functional"], str(tmp_path / "m.keras"), layer)
    message = refused(path, "contains a TFSMLayer")
    assert "Lambda" not in message


@pytest.mark.parametrize(
    "module, class_name, registered",
    [
        ("keras.layers", "LSTM", None),  # a Keras class no model of ours uses
        ("keras_recipes.layers", "Evil", "keras_recipes>Evil"),
        ("keras.layers", "TorchModuleWrapper", None),
        ("os", "system", None),
        ("keras_recipes.callbacks", "ConfusionMatrixImage",
         "keras_recipes>ConfusionMatrixImage"),  # registered, but no model part
    ],
)  # fmt: skip
def test_classes_off_the_allow_list_are_refused(
    saved, tmp_path, module, class_name, registered
):
    layer = {
        "module": module,
        "class_name": class_name,
        "config": {"name": "x"},
        "registered_name": registered,
    }
    path = mf.with_layer(saved["functional"], str(tmp_path / "m.keras"), layer)
    refused(path, r"allow-list \(keras_recipes\.saving\.ALLOWED_CLASSES")


@pytest.mark.parametrize(
    "layer, match",
    [
        ({"module": "keras.layers", "class_name": "Dense", "registered_name": []},
         "`registered_name` is not a string"),
        ({"module": {}, "class_name": "Dense", "registered_name": None},
         "`module` is not a string"),
        ({"module": "keras_recipes.layers", "class_name": "X",
          "registered_name": ["keras_recipes>X"]},
         "`registered_name` is not a string"),
        ({"module": "keras.ops", "class_name": "function", "config": {},
          "registered_name": "function"},
         "not on kr.load_model's allow-list"),
    ],
)  # fmt: skip
def test_unhashable_names_are_refused_not_a_type_error(saved, tmp_path, layer, match):
    # A list or mapping where a name belongs used to escape as a bare
    # TypeError ("unhashable type") from the allow-list lookup.
    path = mf.with_layer(saved["functional"], str(tmp_path / "m.keras"), layer)
    refused(path, match)


def test_a_file_that_is_not_a_model_is_refused(saved, tmp_path):
    def edit(config):
        return config["compile_config"]["optimizer"]  # an optimizer at the top

    path = mf.with_config(saved["image"], str(tmp_path / "m.keras"), edit)
    refused(path, "not a model kr.load_model builds")


def test_typespec_is_refused(saved, tmp_path):
    def edit(config):
        config["config"]["layers"][0]["config"]["spec"] = {
            "class_name": "__typespec__",
            "spec_name": "TensorSpec",
            "module": "tensorflow",
            "registered_name": None,
            "config": [[None, 3], "float32"],
        }

    path = mf.with_config(saved["functional"], str(tmp_path / "m.keras"), edit)
    refused(path, "allow-list")


# ------------------------------------------- finding 2: bombs and bounds
CHILD = textwrap.dedent(
    """
    import resource, sys
    import keras_recipes as kr
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        kr.load_model(sys.argv[1])
    except ValueError as error:
        print("REFUSED", error)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("GROWTH_KB", after - before)
    """
)


def _load_in_child(path, tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", CHILD, path],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="3"),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    growth = int(
        next(line for line in lines if line.startswith("GROWTH_KB")).split()[1]
    )
    return next((line for line in lines if line.startswith("REFUSED")), ""), growth


@pytest.mark.parametrize(
    "entry, size, match",
    [
        ("config.json", 2**30, r"has a `config\.json` of 1073\d+ bytes, more than"),
        ("model.weights.h5", 2**30, r"`model\.weights\.h5` that expands \d+x"),
    ],
    ids=["config-1GiB", "weights-1GiB"],
)
def test_zip_bombs_are_refused_with_bounded_memory(saved, tmp_path, entry, size, match):
    folder = tmp_path / "models"
    folder.mkdir()
    path = mf.bomb(saved["image"], str(folder / "bomb.keras"), entry, size, b"\0")
    assert os.path.getsize(path) < 8 * 2**20  # a small file on disk
    message, growth_kb = _load_in_child(path, tmp_path)
    assert "filepath" in message and __import__("re").search(match, message), message
    assert growth_kb < 64 * 1024, f"peak RSS grew {growth_kb} KB"
    assert mf.files_under(folder) == ["bomb.keras"]  # no temp files
    assert mf.files_under(tmp_path) == ["models/bomb.keras"]


def test_config_entry_lying_about_its_size_is_bounded(saved, tmp_path, monkeypatch):
    monkeypatch.setattr(saving, "MAX_JSON_BYTES", 2**20)
    path = mf.bomb(saved["image"], str(tmp_path / "m.keras"), "config.json", 2**22)
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("config.json").file_size > 2**20
    refused(path, r"more than the 1048576 bytes")


def test_configs_with_millions_of_objects_are_refused_before_parsing(saved, tmp_path):
    def edit(config):
        config["config"]["class_names"] = [{}] * (saving.MAX_JSON_CONTAINERS + 1)

    path = mf.with_config(saved["image"], str(tmp_path / "m.keras"), edit)
    refused(path, r"more than 1000000 JSON objects and arrays")


@pytest.mark.parametrize("depth", [200_000, 2_000, saving.MAX_CONFIG_DEPTH + 1])
def test_deep_configs_are_refused(saved, tmp_path, depth):
    path = mf.deep_config(saved["image"], str(tmp_path / "m.keras"), depth)
    refused(path, r"nested more than 100 levels deep")


@pytest.mark.parametrize(
    "changes, name",
    [
        ({"num_classes": 10**12}, "num_classes"),
        ({"width": 10**9}, "width"),
        ({"blocks": 10**9}, "blocks"),
        ({"image_shape": [10**6, 10**6, 1]}, "image_shape"),
    ],
)
def test_absurd_config_values_are_refused(saved, tmp_path, changes, name):
    path = mf.with_model_args(saved["image"], str(tmp_path / "m.keras"), **changes)
    message = refused(path, "holds an invalid model config")
    assert f"`{name}`" in message and "sanity bound" in message


# ---------------------------------------------- finding 3: corrupt files
@pytest.mark.parametrize(
    "make, match",
    [
        (lambda s, d: open(d, "wb").close() or d, r"is empty \(0 bytes\)"),
        (lambda s, d: mf.truncated(s, d, os.path.getsize(s) // 2), "not a `.keras`"),
        (lambda s, d: mf.truncated(s, d, -10), "not a `.keras` archive"),
        (lambda s, d: mf.bit_flipped(s, d, "config.json"), "is corrupt"),
        (lambda s, d: mf.bit_flipped(s, d, "model.weights.h5"), "fails its checksum"),
        (lambda s, d: mf.without(s, d, "config.json"), "has no `config.json`"),
        (lambda s, d: mf.without(s, d, "model.weights.h5"), "no `model.weights.h5`"),
        (lambda s, d: mf.with_extra_entry(s, d, "assets/../../x"), "unexpected entry"),
        (lambda s, d: mf.with_config(s, d, lambda c: "{not json"), "not valid JSON"),
        (lambda s, d: mf.with_config(s, d, lambda c: "[1, 2]"), "describes no model"),
    ],
    ids=[
        "zero-bytes",
        "truncated-half",
        "truncated-tail",
        "bitflip-config",
        "bitflip-weights",
        "no-config",
        "no-weights",
        "extra-entry",
        "config-not-json",
        "config-a-list",
    ],
)
def test_corrupt_files_give_one_clear_error(saved, tmp_path, make, match):
    path = make(saved["image"], str(tmp_path / "m.keras"))
    refused(path, match)


def test_paths_that_are_not_files(tmp_path):
    folder = tmp_path / "dir.keras"
    folder.mkdir()
    with pytest.raises(ValueError, match="is a folder"):
        kr.load_model(str(folder))
    fifo = str(tmp_path / "fifo.keras")
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="not a regular file"):
        kr.load_model(fifo)  # returns at once: never opened, no hang
    with pytest.raises(TypeError, match="Received: filepath=3 of type int"):
        kr.load_model(3)


@pytest.mark.parametrize("command", ["predict", "evaluate", "export"])
def test_cli_on_bad_model_files_exits_2_with_one_line(saved, tmp_path, capsys, command):
    bad = [
        mf.truncated(saved["image"], str(tmp_path / "t.keras"), 100),
        mf.with_layer(
            saved["functional"],
            str(tmp_path / "l.keras"),
            mf.lambda_layer(mf.function_ref("keras.config", "set_backend")),
        ),
        mf.deep_config(saved["image"], str(tmp_path / "d.keras"), 200_000),
        mf.with_model_args(saved["image"], str(tmp_path / "n.keras"), num_classes=1e12),
    ]
    extra = {"predict": ["x.png"], "evaluate": ["--dataset", "digits"], "export": []}
    for path in bad:
        code = cli_main([command, path, *extra[command]])
        err = capsys.readouterr().err
        assert code == 2, err
        assert err.startswith(f"keras-recipes {command}: error: `filepath`"), err
        assert err.count("\n") == 1 and "Traceback" not in err, err


def test_cli_in_a_fresh_process_prints_no_traceback(saved, tmp_path):
    path = mf.with_layer(
        saved["functional"],
        str(tmp_path / "m.keras"),
        mf.lambda_layer(mf.function_ref("keras.visualization", "plot_image_gallery")),
    )
    result = subprocess.run(
        [sys.executable, "-m", "keras_recipes.cli", "export", path],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="3"),
        timeout=300,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert "contains a Lambda layer" in result.stderr
    assert mf.files_under(tmp_path) == ["m.keras"]


# ----------------------------------------------------- the allow-list
def _objects(config, found):
    if isinstance(config, dict):
        if "class_name" in config:
            if config["class_name"] == "function":
                found.add(("function", config.get("module"), config.get("config")))
            elif config["class_name"] not in saving.DATA_MARKERS:
                found.add(
                    (
                        config.get("module"),
                        config["class_name"],
                        config.get("registered_name"),
                    )
                )
        for value in config.values():
            _objects(value, found)
    elif isinstance(config, list):
        for value in config:
            _objects(value, found)
    return found


def _template_files(root):
    texts = ["good movie", "bad film", "great fun", "awful plot"] * 4
    frame = pd.DataFrame(
        {"size": [1.0, 2.0, 3.0, 4.0], "color": ["r", "r", "b", "b"], "y": list("aabb")}
    )
    image = dict(num_classes=3, image_shape=(8, 8, 1), width=4, depth=1)
    models = {
        "image": lambda: kr.image_classifier(**image),
        "image_smoothing": lambda: kr.image_classifier(**image, label_smoothing=0.1),
        "image_mixup": lambda: kr.image_classifier(**image, mixup=0.2),
        "text": lambda: kr.text_classifier(
            data=(texts, ["p", "n"] * 8), units=4, embedding_dim=4, sequence_length=4
        ),
        "tabular": lambda: kr.tabular_classifier(
            data=frame, target="y", hidden_units=[4]
        ),
        "seq2seq": lambda: kr.seq2seq_transformer(
            data=(["one", "two"] * 3, ["1", "2"] * 3),
            embedding_dim=4,
            num_heads=2,
            intermediate_dim=4,
            num_encoder_layers=1,
            num_decoder_layers=1,
        ),
        "image_regressor": lambda: kr.image_regressor(
            data=(np.zeros((4, 8, 8, 1)), [1.0, 2.0, 3.0, 90.0]),
            target_transform="log",
            regression_loss="huber",
            width=4,
            depth=1,
        ),
        "text_regressor": lambda: kr.text_regressor(
            data=(texts, np.arange(16.0)), units=4, embedding_dim=4, sequence_length=4
        ),
    }
    paths = []
    for name, build in models.items():
        paths.append(str(root / f"{name}.keras"))
        build().save(paths[-1])
    with utils.dtype_policy("mixed_float16"):
        paths.append(str(root / "mixed.keras"))
        kr.image_classifier(**image).save(paths[-1])
    return paths


def _contract_files(root):
    spec = importlib.util.spec_from_file_location(
        "contract_for_allow_list", os.path.join(REPO, "tests", "test_contract.py")
    )
    contract = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(contract)
    cases, _ = contract._build_saved_models(str(root))
    return [path for path, _ in cases.values()]


def test_allow_list_covers_what_templates_and_components_serialize(tmp_path):
    paths = _template_files(tmp_path) + _contract_files(tmp_path)
    found = set()
    for path in paths:
        _objects(mf.config_of(path), found)
        with open(path, "rb") as file:
            saving.check_model_file(file, path)  # accepted as saved
    functions = {f[1:] for f in found if f[0] == "function"}
    classes = {f for f in found if f[0] != "function"}
    missing = sorted(classes - saving.ALLOWED_CLASSES, key=str)
    missing += sorted(functions - saving.ALLOWED_FUNCTIONS, key=str)
    assert not missing, (
        "Templates or components now serialize objects that kr.load_model "
        "refuses; check that they run no code from the file, then add these "
        f"to keras_recipes/saving_allow_list.py: {missing}"
    )
    # And nothing on the list is a class that runs code from its config.
    listed = {c[1] for c in saving.ALLOWED_CLASSES}
    assert not listed & {"Lambda", "TFSMLayer", "TorchModuleWrapper", "JaxLayer"}


def test_a_model_from_the_allow_list_loads_and_predicts(saved):
    model = kr.load_model(saved["image"])
    x = np.zeros((2, 8, 8, 1), "float32")
    assert model.predict(x, verbose=0).shape == (2, 3)
    assert keras.saving.load_model(saved["functional"]).count_params() == 8
    assert kr.load_model(saved["functional"]).count_params() == 8


def test_a_template_compiled_with_other_keras_objects_loads(tmp_path):
    model = kr.image_classifier(num_classes=3, image_shape=(8, 8, 1), width=4, depth=1)
    schedule = keras.optimizers.schedules.CosineDecay(0.1, 10)
    model.compile(
        optimizer=keras.optimizers.SGD(schedule),
        loss=keras.losses.sparse_categorical_crossentropy,
        metrics=[keras.metrics.SparseTopKCategoricalAccuracy(k=2)],
    )
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = kr.load_model(path)
    assert type(loaded.optimizer).__name__ == "SGD"


def test_metadata_is_parsed_and_bounded(saved, tmp_path):
    entries = mf.read_entries(saved["image"])
    entries["metadata.json"] = b"{" * 10
    path = mf.write_entries(str(tmp_path / "m.keras"), entries)
    refused(path, r"`metadata\.json` that is not valid JSON")
    json.loads(mf.read_entries(saved["image"])["metadata.json"])
