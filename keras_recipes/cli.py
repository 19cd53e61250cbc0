"""`keras-recipes`: the command line.

    keras-recipes demo [--task image_classifier] [--epochs N] [--output-dir D] [--quiet]
    keras-recipes train RECIPE.yaml [--set fit.epochs=3 ...]
    keras-recipes tune RECIPE.yaml [--set tune.max_trials=5 ...]
    keras-recipes evaluate MODEL.keras (--dataset NAME | --data PATH [--target COL])
    keras-recipes predict MODEL.keras INPUT [INPUT ...]
    keras-recipes export MODEL.keras --format onnx [--output PATH]
    keras-recipes launch RECIPE.yaml --workers 2 [--set fit.epochs=3 ...]

Errors in arguments, recipes or data print one clear line and exit with 2.

`--help` and argument errors answer before TensorFlow loads: the modules that
import it are imported inside the subcommands. TensorFlow's native log lines
(cuInit errors without a GPU, oneDNN notes) go to a temporary file, shown only
when a command fails unexpectedly.
"""

import argparse
import json
import os
import sys

import keras_recipes as kr  # light: its public names load TensorFlow on use
from keras_recipes import quiet
from keras_recipes import registry
from keras_recipes.validation import check_choice

TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "templates")


def _demo_recipe(task, epochs, output_dir):
    """The demo's recipe dict: the task's template, not yet validated.

    The caller validates it once, whole, with `recipe.load(config)`.
    """
    # Imports TensorFlow: kept out of --help and argument errors.
    from keras_recipes.export.formats import FORMATS
    from keras_recipes.recipe_schema import read_file

    path = os.path.join(TEMPLATES, f"{_TEMPLATE_FILES.get(task, task)}.yaml")
    if os.path.isfile(path):
        base = read_file(path)  # a fresh plain dict
    else:
        base = {"task": task, "data": {"dataset": registry.DEMO_DATASETS[task]}}
    base["output_dir"] = output_dir
    if epochs is not None:
        base.setdefault("fit", {})["epochs"] = epochs
    base["export"] = {"formats": list(FORMATS)}
    return base


_TEMPLATE_FILES = {
    "image_classifier": "image_classification",
    "tabular_classifier": "tabular_classification",
    "text_classifier": "text_classification",
    "seq2seq_transformer": "translation",
    "image_regressor": "image_regression",
    "text_regressor": "text_regression",
}


def _print_summary(summary):
    print("\n=== keras-recipes run summary ===")
    for name, value in summary["test_metrics"].items():
        shown = f"{value:.4f}"
        if "accuracy" in name:
            shown += f"  ({value * 100:.2f}%)"
        print(f"test {name:<18} {shown}")
    print(f"epochs run          {summary['epochs_run']}")
    for fmt, path in summary["exports"].items():
        print(f"export {fmt:<12} {os.path.abspath(path)}")
    for fmt, report in summary.get("export_reports", {}).items():
        if "max_abs_error" in report:
            print(f"{fmt} parity        max abs error {report['max_abs_error']:.2e}")
    for name, path in summary.get("plots", {}).items():
        print(f"plot {name:<14} {os.path.abspath(path)}")
    if summary.get("tensorboard_dir"):
        tb = os.path.abspath(summary["tensorboard_dir"])
        print(f"tensorboard logs    {tb}")
        # Loopback only: TensorBoard serves the logs to anyone who can reach it.
        print(
            f"  view with:        tensorboard --logdir {os.path.dirname(tb)} "
            "--host 127.0.0.1"
        )
    print(f"summary             {os.path.abspath(summary['summary_file'])}")
    print(f"total time          {summary['seconds']} s")


def cmd_demo(args):
    check_choice("--task", args.task, tuple(registry.DEMO_DATASETS))
    # Imports TensorFlow: kept out of --help and argument errors.
    from keras_recipes import recipe as recipe_lib

    config = _demo_recipe(args.task, args.epochs, args.output_dir)
    summary = recipe_lib.load(config).train(verbose=0 if args.quiet else 2)
    _print_summary(summary)


def cmd_train(args):
    # Imports TensorFlow: kept out of --help and argument errors.
    from keras_recipes import recipe as recipe_lib

    overrides = list(args.set or [])
    if args.output_dir:
        overrides.append(("output_dir", args.output_dir))  # a path, not YAML
    summary = recipe_lib.load(args.recipe, overrides).train(verbose=2)
    _print_summary(summary)


def cmd_tune(args):
    import yaml

    # Imports TensorFlow: kept out of --help and argument errors.
    from keras_recipes import recipe as recipe_lib

    overrides = list(args.set or [])
    recipe = recipe_lib.load(args.recipe, overrides)
    result = recipe.tune()
    result.summary()
    if result.best_model_kwargs is not None:
        # Constructor arguments of the best trial (searched + fixed): paste
        # them over the recipe's `model:` section to train with them.
        best = {k: v for k, v in result.best_model_kwargs.items() if k != "target"}
        print(f"\nbest {result.objective} {result.best_score:.4f}; as recipe keys:")
        print(yaml.safe_dump({"model": best}, sort_keys=True).rstrip())
    print(f"tuner project       {os.path.abspath(result.tuner.project_dir)}")


def _load(model_path):
    return kr.load_model(model_path)


def cmd_evaluate(args):
    # Imports TensorFlow: kept out of --help and argument errors.
    from keras_recipes import recipe as recipe_lib

    model = _load(args.model)
    if args.dataset:
        _, test = registry.load_dataset(args.dataset)
    elif args.data:
        task = _task_of(model)
        data = {"path": args.data, "test_size": 0.2}
        if args.target:
            data["target"] = args.target
        _, test = recipe_lib._load_path(
            task, data, names={"path": "--data", "target": "--target"}
        )
    else:
        raise ValueError(
            "evaluate needs --dataset NAME or --data PATH. Received: neither"
        )
    metrics = model.evaluate(test, verbose=0)
    print(json.dumps({k: float(v) for k, v in metrics.items()}, indent=2))


def _task_of(model):
    return getattr(model, "task_name", "task")


def cmd_predict(args):
    model = _load(args.model)
    task = _task_of(model)
    inputs = args.inputs
    if task == "image_classifier":
        for path in inputs:
            if not os.path.isfile(path) and not os.path.isdir(path):
                raise ValueError(f"`inputs` must be image files. Received: {path!r}")
        # Decoded in tf.data, upright by EXIF, resized by the model's rule.
        table = model.predict_files(inputs)
        for file, label, probability in table.itertuples(index=False):
            line = {"file": file, "label": str(label)}
            print(json.dumps({**line, "probability": round(float(probability), 4)}))
        return
    elif task == "image_regressor":
        for path in inputs:
            if not os.path.isfile(path) and not os.path.isdir(path):
                raise ValueError(f"`inputs` must be image files. Received: {path!r}")
        table = model.predict_files(inputs)  # a file column, then one per target
        for row in table.to_dict("records"):
            values = {k: round(float(v), 6) for k, v in row.items() if k != "file"}
            print(json.dumps({"file": row["file"], **values}))
        return
    elif task == "tabular_classifier":
        import pandas as pd

        x = pd.concat([pd.read_csv(p) for p in inputs], ignore_index=True)
    elif task == "seq2seq_transformer":
        for text in model.translate(list(inputs)):
            print(text)
        return
    else:
        x = list(inputs)
    if hasattr(model, "predict_values"):  # a regressor: values in the target's units
        for _, row in model.predict_values(x).iterrows():
            print(json.dumps({name: round(float(v), 6) for name, v in row.items()}))
        return
    probs = model.predict(x, verbose=0)
    labels = model.predict_labels(x)
    if getattr(model, "multi_label", False):  # a list of tags per input
        names = model.class_names or [str(i) for i in range(probs.shape[-1])]
        for tags, p in zip(labels, probs):
            scores = {str(n): round(float(v), 4) for n, v in zip(names, p)}
            print(json.dumps({"labels": [str(t) for t in tags], "scores": scores}))
        return
    for label, p in zip(labels, probs):
        print(json.dumps({"label": str(label), "confidence": round(float(p.max()), 4)}))


def cmd_export(args):
    # Imports TensorFlow: kept out of --help and argument errors.
    from keras_recipes.export import cli as export_cli

    export_cli.export_command(args)


def cmd_launch(args):
    # Imports TensorFlow: kept out of --help and argument errors.
    from keras_recipes.distribute.launch import launch_command

    launch_command(args)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="keras-recipes", description="Keras 3 task templates from the shell."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="train a template on its bundled demo data")
    demo.add_argument("--task", default="image_classifier")
    demo.add_argument("--epochs", type=int, default=None)
    demo.add_argument("--output-dir", default="demo_output")
    demo.add_argument(
        "--quiet", action="store_true", help="no per-epoch progress lines"
    )
    # Progress is the default now; --verbose stays accepted for old scripts.
    demo.add_argument("--verbose", action="store_true", help=argparse.SUPPRESS)
    demo.set_defaults(func=cmd_demo)

    for name, func, text in (
        ("train", cmd_train, "train a YAML recipe"),
        ("tune", cmd_tune, "hyperparameter search for a YAML recipe"),
    ):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("recipe")
        cmd.add_argument(
            "--set",
            action="append",
            metavar="KEY=VALUE",
            help="override a recipe key, e.g. fit.epochs=3",
        )
        if name == "train":
            cmd.add_argument("--output-dir", default=None)
        cmd.set_defaults(func=func)

    evaluate = sub.add_parser("evaluate", help="evaluate a saved .keras model")
    evaluate.add_argument("model")
    evaluate.add_argument("--dataset", default=None)
    evaluate.add_argument("--data", default=None)
    evaluate.add_argument("--target", default=None)
    evaluate.set_defaults(func=cmd_evaluate)

    predict = sub.add_parser("predict", help="predict with a saved .keras model")
    predict.add_argument("model")
    predict.add_argument(
        "inputs",
        nargs="+",
        help="image files or folders (one JSON line per file: file, label, "
        "probability), texts or CSV files",
    )
    predict.set_defaults(func=cmd_predict)

    export = sub.add_parser("export", help="export a saved .keras model")
    export.add_argument("model")
    # Checked against kr.export.formats.FORMATS in the subcommand (importing
    # that table here would load TensorFlow for every --help).
    export.add_argument(
        "--format", default="onnx", help="keras, saved_model or onnx (default: onnx)"
    )
    export.add_argument("--output", default=None)
    export.set_defaults(func=cmd_export)

    launch = sub.add_parser(
        "launch", help="train a recipe on N local workers (MultiWorkerMirrored)"
    )
    launch.add_argument("recipe")
    launch.add_argument("--workers", type=int, default=2)
    launch.add_argument("--set", action="append", metavar="KEY=VALUE")
    launch.add_argument("--output-dir", default=None)
    launch.set_defaults(func=cmd_launch)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    # The package's default, "2", lets E-level lines (cuInit) through; this is
    # read when TensorFlow is first imported, inside the subcommand.
    if os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2") == "2":
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    # Python-side warnings (table_initializer) hidden; native lines to a file.
    with quiet.logger_levels(), quiet.native_stderr() as native:
        try:
            args.func(args)
        except (ValueError, TypeError) as error:
            print(f"keras-recipes {args.command}: error: {error}", file=sys.stderr)
            return 2
        except RuntimeError as error:
            # Imported here: TensorFlow is loaded by then, and --help stays fast.
            from keras_recipes.callbacks.terminate_on_nan import NonFiniteLossError

            if not isinstance(error, NonFiniteLossError):
                _show_native_log(native)
                raise
            # Training diverged: not a usage error.
            print(f"keras-recipes {args.command}: error: {error}", file=sys.stderr)
            return 1
        except Exception:
            _show_native_log(native)
            raise
    return 0


def _show_native_log(native):
    """On an unexpected failure, TensorFlow's native log may say why."""
    text = quiet.tail(native.read())
    if text:
        print(f"TensorFlow's native log (last lines):\n{text}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
