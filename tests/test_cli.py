import json
import os
import re

import numpy as np
from PIL import Image

import keras_recipes as kr
from keras_recipes.cli import main

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_demo_reaches_the_accuracy_bar(tmp_path, capsys):
    """The README's demo: trains on digits, >= 97% test accuracy, exports, logs."""
    out = tmp_path / "demo"
    assert main(["demo", "--output-dir", str(out)]) == 0
    printed = capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    assert summary["test_metrics"]["accuracy"] >= 0.97, summary
    assert "test accuracy" in printed and "tensorboard logs" in printed
    assert (out / "model.keras").is_file()
    assert (out / "saved_model" / "saved_model.pb").is_file()
    for plot in ("training_curves", "confusion_matrix"):  # PNGs, announced
        assert (out / f"{plot}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"plot {plot}" in printed
    tb = summary["tensorboard_dir"]
    assert any(f.startswith("events.out") for _, _, fs in os.walk(tb) for f in fs)
    # The saved model is a working classifier on its own.
    model = kr.load_model(str(out / "model.keras"))
    _, (x_test, y_test) = kr.datasets.load_digits()
    assert model.evaluate((x_test, y_test), verbose=0)["accuracy"] >= 0.97


def test_train_recipe_then_evaluate_and_predict(tmp_path, capsys):
    recipe = os.path.join(REPO, "templates", "image_classification.yaml")
    out = tmp_path / "run"
    code = main(
        [
            "train",
            recipe,
            "--set",
            "fit.epochs=1",
            "--set",
            "model.width=8",
            "--output-dir",
            str(out),
        ]
    )
    assert code == 0
    assert (out / "training_curves.png").is_file()
    assert (out / "confusion_matrix.png").is_file()
    model_path = str(out / "model.keras")
    capsys.readouterr()
    assert main(["evaluate", model_path, "--dataset", "digits"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert 0.0 <= metrics["accuracy"] <= 1.0
    (x, _), _ = kr.datasets.load_digits()
    paths = []
    for i in range(2):
        path = tmp_path / f"{i}.png"
        Image.fromarray(x[i, :, :, 0]).save(path)
        paths.append(str(path))
    assert main(["predict", model_path, *paths]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 2 and all(
        line["label"] in map(str, range(10)) for line in lines
    )


def test_cli_errors_are_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("task: image_classifier\ndata: {dataset: digits}\nfti: {}\n")
    assert main(["train", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "Did you mean 'fit'" in err and "Traceback" not in err
    assert main(["evaluate", str(tmp_path / "nope.keras"), "--dataset", "digits"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["demo", "--task", "image_clasifier"]) == 2
    assert not any(tmp_path.glob("**/*.tmp*"))


def test_predict_rejects_missing_files(tmp_path, capsys):
    model = kr.image_classifier(num_classes=3, image_shape=(8, 8, 1), width=8, depth=2)
    path = str(tmp_path / "m.keras")
    model.save(path)
    assert main(["predict", path, str(tmp_path / "missing.png")]) == 2
    assert "must be image files" in capsys.readouterr().err
    np.testing.assert_equal(os.path.exists(path), True)


def test_printed_tensorboard_command_binds_to_loopback(capsys):
    from keras_recipes.cli import _print_summary

    _print_summary(
        {
            "test_metrics": {"accuracy": 0.5},
            "epochs_run": 1,
            "exports": {},
            "tensorboard_dir": os.path.join("tb_logs", "task", "run"),
            "summary_file": "summary.json",
            "seconds": 1.0,
        }
    )
    lines = capsys.readouterr().out.splitlines()
    command = [line for line in lines if "tensorboard --logdir" in line]
    assert len(command) == 1 and command[0].endswith("--host 127.0.0.1"), lines


# ------------------------------------------------------- hardening (#35)
def _one_line_exit_2(argv, capsys, match):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert re.search(match, err), err
    return err


def test_broken_yaml_in_set_is_one_line_exit_2(tmp_path, capsys):
    recipe = os.path.join(REPO, "templates", "image_classification.yaml")
    out = tmp_path / "run"
    for command in ("train", "tune"):
        argv = [command, recipe, "--set", "fit.epochs=[1"]
        err = _one_line_exit_2(argv, capsys, r"--set 'fit.epochs=\[1' is not valid")
        assert err.startswith(f"keras-recipes {command}: error:")
    _one_line_exit_2(
        [
            "launch",
            recipe,
            "--workers",
            "1",
            "--set",
            "model={width: [",
            "--output-dir",
            str(out),
        ],
        capsys,
        r"--set 'model=\{width: \[' is not valid YAML",
    )
    assert not out.exists()


def test_invalid_export_format_is_refused_before_training(tmp_path, capsys):
    recipe = os.path.join(REPO, "templates", "image_classification.yaml")
    out = tmp_path / "run"
    _one_line_exit_2(
        [
            "train",
            recipe,
            "--set",
            "export.formats=[keras, pdf]",
            "--set",
            "data.limit=20",
            "--output-dir",
            str(out),
        ],
        capsys,
        r"`export.formats\[1\]` must be one of .* Received: export.formats\[1\]='pdf'",
    )
    assert not out.exists() and os.listdir(tmp_path) == []


def test_bad_recipe_files_are_one_line_exit_2(tmp_path, capsys):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("a: &a [x, x]\nb: [*a, *a]\ntask: image_classifier\n")
    _one_line_exit_2(["train", str(bomb)], capsys, r"anchors or aliases")
    heavy = tmp_path / "heavy.yaml"
    heavy.write_text(
        "task: image_classifier\ndata: {dataset: digits}\nfit: {class_weight: heavy}\n"
    )
    _one_line_exit_2(["train", str(heavy)], capsys, r"`fit.class_weight`")
    _one_line_exit_2(["tune", str(heavy)], capsys, r"`fit.class_weight`")
    assert sorted(os.listdir(tmp_path)) == ["bomb.yaml", "heavy.yaml"]
