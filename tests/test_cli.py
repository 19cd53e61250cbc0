import json
import os
import re
import subprocess
import sys

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
    # Progress by default: one line per epoch (`--quiet` turns it off).
    assert "Epoch 1/" in printed and " - loss: " in printed
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
    # Each line names its file, with the label's probability.
    assert [line["file"] for line in lines] == paths
    assert all(0.0 < line["probability"] <= 1.0 for line in lines)


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


def _fresh(code):
    """Runs `code` in a fresh interpreter (this one has imported TF already)."""
    env = dict(os.environ, PYTHONPATH=REPO, CUDA_VISIBLE_DEVICES="")
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_help_and_argument_errors_do_not_import_tensorflow():
    """`keras-recipes --help` answered in ~1 s, not after TensorFlow's ~9 s."""
    done = _fresh(
        "import sys\n"
        "sys.argv[0] = '/venv/bin/keras-recipes'  # as the console script runs\n"
        "import keras_recipes.cli as cli\n"
        "print('after import', 'tensorflow' in sys.modules, 'keras' in sys.modules)\n"
        "try:\n"
        "    cli.main(['--help'])\n"
        "except SystemExit as exit:\n"
        "    print('help exit', exit.code)\n"
        "print('code', cli.main(['demo', '--task', 'image_clasifier']))\n"
        "print('after errors', 'tensorflow' in sys.modules)\n"
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert "after import False False" in out
    assert "help exit 0" in out and "usage: keras-recipes" in out
    assert "code 2" in out and "after errors False" in out
    assert "Did you mean 'image_classifier'" in done.stderr
    # Nothing but the one error line on stderr: no TensorFlow start-up noise.
    assert done.stderr.strip().count("\n") == 0, done.stderr


def test_import_registers_everything_and_the_command_stays_light():
    # A plain import registers the templates (Keras' own load_model finds
    # them); under the console script's name the package stays light and
    # still exposes every public name on first use.
    plain = _fresh(
        "import sys\n"
        "import keras_recipes as kr\n"
        "import keras\n"
        "name = 'keras_recipes>ImageClassifier'\n"
        "print('registered', keras.saving.get_registered_object(name) is not None)\n"
    )
    assert plain.returncode == 0, plain.stderr[-2000:]
    assert "registered True" in plain.stdout
    command = _fresh(
        "import sys\n"
        "sys.argv[0] = '/venv/bin/keras-recipes'\n"
        "import keras_recipes as kr\n"
        "print('lazy', 'tensorflow' in sys.modules)\n"
        "print('factory', callable(kr.image_classifier))\n"
        "print('tf', 'tensorflow' in sys.modules)\n"
        "print('all', all(hasattr(kr, name) for name in kr.__all__))\n"
    )
    assert command.returncode == 0, command.stderr[-2000:]
    assert "lazy False" in command.stdout and "factory True" in command.stdout
    assert "tf True" in command.stdout and "all True" in command.stdout


def test_native_log_lines_stay_off_the_terminal(capfd):
    """TensorFlow's native lines (cuInit, oneDNN) go to a file, not stderr."""
    from keras_recipes import quiet

    with quiet.native_stderr() as native:
        os.write(2, b"E0000 cuda_platform.cc:52] failed call to cuInit\n")
    assert "failed call to cuInit" not in capfd.readouterr().err
    with quiet.native_stderr() as native:
        os.write(2, b"E0000 failed call to cuInit\n")
        assert "failed call to cuInit" in native.read()
    err = capfd.readouterr().err
    assert "cuInit" not in err
