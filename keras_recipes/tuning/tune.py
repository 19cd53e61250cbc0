"""`kr.tune`: KerasTuner search over any keras_recipes template."""

import os
import time

from keras_recipes import utils
from keras_recipes import validation
from keras_recipes.callbacks.time_budget import parse_duration
from keras_recipes.distribute import get_strategy
from keras_recipes.tuning import distributed as distributed_lib
from keras_recipes.tuning import hparams
from keras_recipes.tuning import space as space_lib
from keras_recipes.tuning.result import TuneResult

TUNERS = ("random", "bayesian", "hyperband", "grid")
# Keys accepted in the `tune:` section of a YAML recipe (see `tune`).
RECIPE_KEYS = (
    "tuner",
    "max_trials",
    "epochs",
    "objective",
    "search_space",
    "validation_split",
    "batch_size",
    "directory",
    "project_name",
    "time_budget",
    "strategy",
    "seed",
    "overwrite",
    "tensorboard",
    "tuner_options",
    "verbose",
    "fit_kwargs",
    "distributed",
)


def parse_time_budget(time_budget):
    """Parses `"20m"`, `"1h30m"`, `"90s"`, `"1.5h"` or seconds into seconds.

    `None` and `float("inf")` (no budget) give `None`; anything else goes
    through `kr.callbacks.parse_duration`, the package's one duration parser.

    Example:

    >>> parse_time_budget("1h30m"), parse_time_budget("20m"), parse_time_budget(45)
    (5400.0, 1200.0, 45.0)
    >>> parse_time_budget(float("inf")) is None
    True
    """
    if time_budget is None or time_budget == float("inf"):
        return None
    return parse_duration(time_budget, "time_budget")


def _objective(objective, metric_names):
    """Resolves and validates the objective against the model's metrics."""
    # keras_tuner is optional and heavy: loaded when a search is set up.
    import keras_tuner as kt

    known = ["loss", *metric_names]
    known = known + [f"val_{m}" for m in known]
    if objective is None:
        name = "val_accuracy" if "accuracy" in metric_names else "val_loss"
        return kt.Objective(name, "max" if name == "val_accuracy" else "min")
    if isinstance(objective, kt.Objective):
        name, direction = objective.name, objective.direction
    elif isinstance(objective, tuple | list) and len(objective) == 2:
        name, direction = objective
        validation.check_choice("objective direction", direction, ("min", "max"))
    elif isinstance(objective, str):
        name, direction = objective, None
    else:
        raise TypeError(
            "`objective` must be a metric name, a (name, 'min'|'max') pair or a "
            f"keras_tuner.Objective. Received: objective={objective!r}"
        )
    if metric_names is not None and name not in known:
        raise ValueError(
            f"`objective` must be one of the model's metrics {sorted(known)}."
            f"{validation.did_you_mean(name, known)} Received: objective={name!r}"
        )
    if direction is None:
        try:
            return kt.Objective(name, _infer_direction(name))
        except ValueError:
            raise ValueError(
                f"Cannot tell whether `objective` {name!r} should be minimised "
                f"or maximised; pass objective=({name!r}, 'max') or "
                f"({name!r}, 'min'). Received: objective={name!r}"
            ) from None
    return kt.Objective(name, direction)


def _infer_direction(name):
    base = name[4:] if name.startswith("val_") else name
    if "loss" in base or "error" in base or base in ("rmse", "mae", "mse"):
        return "min"
    maximise = (
        "acc",
        "auc",
        "precision",
        "recall",
        "f1",
        "bleu",
        "kappa",
        "mcc",
        "iou",
        "r2",
    )
    if any(token in base for token in maximise):
        return "max"
    raise ValueError(name)


def _metric_names(model):
    """Names of the compiled metrics of a model (without 'loss')."""
    try:
        config = model.get_compile_config() or {}
    except Exception:  # noqa: BLE001  (uncompiled or custom model)
        return None
    metrics = config.get("metrics")
    names = []

    def visit(item):
        if item is None:
            return
        if isinstance(item, list | tuple):
            for sub in item:
                visit(sub)
        elif isinstance(item, dict) and "config" in item:
            cfg = item["config"]
            names.append(cfg.get("name") if isinstance(cfg, dict) else str(cfg))
        elif isinstance(item, dict):
            for sub in item.values():
                visit(sub)
        elif isinstance(item, str):
            names.append(item)

    visit(metrics)
    return [n for n in names if n]


def tune(
    factory,
    data=None,
    *,
    tuner="random",
    max_trials=10,
    epochs=5,
    objective=None,
    search_space=None,
    model_kwargs=None,
    validation_split=0.2,
    validation_data=None,
    batch_size=None,
    fit_kwargs=None,
    callbacks=None,
    directory="runs/tune",
    project_name=None,
    time_budget=None,
    strategy=None,
    seed=None,
    overwrite=False,
    tensorboard=True,
    tuner_options=None,
    verbose=1,
    distributed=None,
):
    """Searches a template's hyperparameters with KerasTuner.

    Every trial builds its model through the public factory
    (`factory(data=data, strategy=..., seed=seed, **kwargs)`, one model-building
    path) and trains it with the task's own `fit` (so `data` is accepted in any
    form `Task.fit` takes). The search space is the task's default
    (`TaskClass.search_space(hp, fixed=model_kwargs)`), overridden or
    extended by `search_space`; what `model_kwargs` fixes is neither searched
    nor reported.

    Reliability: re-running the same call continues the search (finished
    trials are never re-run; an interrupted trial resumes from the end of
    its last finished epoch, with weights, optimizer state and the seed
    states of its dropout and augmentation layers restored from a per-trial
    backup in its trial folder, and its remaining epochs get the batches, in
    the order, they would have had without the interruption; the trial's
    final epoch is not backed up, as the trial completes right after it).
    `oracle.json`, `trial.json`, the tuner state, the backups and the
    best-epoch checkpoints are all written atomically (temporary file +
    rename), so a kill at any moment leaves a loadable project.
    `time_budget` is checked before each trial and at each epoch end: the
    search stops cleanly, the unfinished trial is kept for the next call,
    and the best finished model is returned. Memory is released before each
    trial's build (KerasTuner's `clear_session()` and `gc.collect()`) and
    once when the search ends.

    Objective: by default `"val_accuracy"` (maximised) when the task reports
    an `accuracy` metric, else `"val_loss"` (minimised). Accuracy is the
    default where it exists because the loss is not comparable across trials
    that tune `label_smoothing` or `mixup` (they change the loss itself).

    Distributed tuning uses KerasTuner's chief/worker mode: run the same
    call in several processes, one with `distributed={"role": "chief",
    "oracle_port": 8000}` (it hosts the oracle, runs no trials and returns
    when the search is over) and the others with `distributed={"role":
    "worker", "oracle_ip": "<chief address>", "oracle_port": 8000,
    "tuner_id": "tuner0"}` (a unique id each). The same works with the
    environment variables `KERASTUNER_ORACLE_IP`, `KERASTUNER_ORACLE_PORT`
    and `KERASTUNER_TUNER_ID` (`chief` / `tuner0`, ...) set by hand. All
    processes need the same `directory`/`project_name` on a shared file
    system. `strategy=` then distributes each trial within a worker.

    Args:
        factory: a keras_recipes factory (`kr.image_classifier`, ...) or any
            function `factory(data=, strategy=, seed=, **kwargs)` returning a
            compiled model whose class has a `search_space(hp)` classmethod.
        data: training data, as accepted by the task's `fit` (`(x, y)`,
            `kr.data.Data`, DataFrame, ...). The factory infers from it too.
        tuner: `"random"`, `"bayesian"`, `"hyperband"` or `"grid"`.
        max_trials: maximum number of trials (for Hyperband too: the search
            stops after `max_trials` trials or one Hyperband iteration).
        epochs: epochs per trial (Hyperband: `max_epochs`).
        objective: metric name (`"val_accuracy"`, `"val_loss"`, a
            regressor's `"val_rmse"`, `"val_mae"` or `"val_r2"`, ...), a
            `(name, "min" | "max")` pair or a `keras_tuner.Objective`;
            checked against the model's metrics before any trial runs.
            `None`: `"val_accuracy"` for a classifier, else `"val_loss"`.
        search_space: `None` (task default), a dict merged over the task
            default (keys: constructor arguments; values: a list ->
            `hp.Choice`, a `(low, high)` tuple -> `hp.Int` for integers else
            `hp.Float` (log-sampled when `0 < low` and `high/low >= 100`), a
            dict `{"min", "max", "step", "sampling"}` (same, YAML-friendly), a
            KerasTuner hyperparameter object, or a fixed value), or a function
            `fn(hp) -> dict` of constructor arguments replacing the default.
            Unknown names raise a `ValueError` with a did-you-mean.
        model_kwargs: fixed constructor arguments for every trial (removed
            from the default space, with the hyperparameters that would only
            feed them: the tabular template's `width` and `depth` when
            `hidden_units` is fixed). A space with a hyperparameter that
            changes no constructor argument raises a `ValueError` before
            any trial runs.
        validation_split: fraction held out (seeded, stratified), when
            `validation_data` is not given. Default 0.2.
        validation_data: validation data in any form `fit` accepts.
        batch_size: batch size of every trial (task default when `None`).
        fit_kwargs: other `fit` keyword arguments (e.g. `shuffle`,
            `class_weight`).
        callbacks: extra Keras callbacks (deep-copied for each trial).
        directory: folder holding the KerasTuner project.
        project_name: project folder name (default: the factory's name).
        time_budget: seconds or a duration string (`"90s"`, `"20m"`, `"1h"`,
            `"1h30m"`), or `None`.
        strategy: `None`, `"auto"`, `"mirrored"`, `"multi_worker"` or a
            `tf.distribute.Strategy`; passed to the tuner's constructor as
            `distribution_strategy` and to the factory.
        seed: seed of the oracle, of weight initialisation, of the
            validation split and of shuffling; with a seed, a search is
            repeatable.
        overwrite: start over, deleting an existing project of that name.
        tensorboard: `True` (logs under `tb_logs/tune/<project_name>/`), a
            folder, or `False`. One run per trial (`trial_<id>/`) with its
            hyperparameters, and the search domain at the root, for the
            TensorBoard HParams tab.
        tuner_options: extra oracle arguments (`factor` and
            `hyperband_iterations` for Hyperband, `num_initial_points`,
            `alpha`, `beta` for Bayesian, `max_retries_per_trial`,
            `max_consecutive_failed_trials`).
        verbose: 0 silent, 1 one line per trial (trial n/N, hyperparameters,
            score, best so far, ETA), 2 also the Keras epoch logs.
        distributed: `None`, or a dict: `role` (`"chief"` or `"worker"`),
            `oracle_port`, `oracle_ip` (default `"127.0.0.1"`) and
            `tuner_id` (required for workers, unique per worker: a worker
            re-started with the same id resumes its unfinished trial). Sets
            `KERASTUNER_TUNER_ID`, `KERASTUNER_ORACLE_IP` and
            `KERASTUNER_ORACLE_PORT` for the duration of the call. The
            chief's result is the final one; a worker's result holds the
            trials finished when it left (read from the shared project
            folder), and `overwrite` is ignored on workers (only the chief
            may delete the project). `time_budget` applies to each process;
            the chief waits until every worker has asked for a trial and
            been told the search is over (KerasTuner's rule).

    Recipe `tune:` keys (`tune_from_recipe`): `tuner`, `max_trials`,
    `epochs`, `objective`, `search_space` (lists, `{min, max, step,
    sampling}` dicts or fixed values), `validation_split`, `batch_size`,
    `directory`, `project_name`, `time_budget`, `strategy`, `seed`,
    `overwrite`, `tensorboard`, `tuner_options`, `verbose`, `fit_kwargs`,
    `distributed`.

    Returns:
        A `TuneResult` (`best_model`, `best_hyperparameters`, `best_score`,
        `summary()`, `tuner`, ...).

    Example:

    >>> import tempfile
    >>> import keras_recipes as kr
    >>> (x, y), _ = kr.datasets.load_digits()
    >>> result = kr.tune(
    ...     kr.image_classifier, (x[:120], y[:120]), max_trials=1, epochs=1,
    ...     model_kwargs={"width": 4, "depth": 1, "augmentation": None,
    ...                   "dropout": 0.0},
    ...     search_space={"learning_rate": [1e-3]}, seed=0, verbose=0,
    ...     directory=tempfile.mkdtemp(), tensorboard=False)
    >>> result.best_hyperparameters.values
    {'learning_rate': 0.001}
    >>> result.best_model.output_shape
    (None, 10)
    """
    # `tuners` imports keras_tuner, which `import keras_recipes` must not
    # load: it is imported when a search runs.
    from keras_recipes.tuning import tuners

    start = time.monotonic()
    if not callable(factory):
        raise TypeError(
            "`factory` must be a keras_recipes factory such as "
            f"kr.image_classifier. Received: factory={factory!r}"
        )
    validation.check_choice("tuner", tuner, TUNERS)
    max_trials = validation.check_int("max_trials", max_trials, minimum=1)
    epochs = validation.check_int("epochs", epochs, minimum=1)
    budget = parse_time_budget(time_budget)
    if validation_data is None:
        validation.check_float(
            "validation_split",
            validation_split,
            minimum=0.0,
            maximum=1.0,
            include_max=False,
        )
        if not validation_split:
            raise ValueError(
                "kr.tune needs validation data to score trials: pass "
                "`validation_split` > 0 or `validation_data`. "
                f"Received: validation_split={validation_split}"
            )
    if seed is not None:
        seed = validation.check_int("seed", seed, minimum=0)
    validation.check_int("verbose", verbose, minimum=0, maximum=2)
    dist_env = distributed_lib.check_distributed(distributed)
    if data is None:
        raise ValueError("`data` is required. Received: data=None")
    tuner_options = dict(tuner_options or {})
    model_kwargs = dict(model_kwargs or {})
    project_name = project_name or getattr(factory, "__name__", "tune")
    directory = utils.check_writable_dir("directory", directory)
    resolved_strategy = None if strategy is None else get_strategy(strategy)

    # One probe build: the task class (default space, valid argument names),
    # the metric names (objective check) and early errors in `model_kwargs`
    # or `data` — before any trial runs.
    probe = factory(data=data, strategy=resolved_strategy, seed=seed, **model_kwargs)
    task_class = type(probe)
    space = space_lib.SearchSpace(task_class, factory, search_space, model_kwargs)
    space.check()
    objective_ = _objective(objective, _metric_names(probe))
    if hasattr(probe, "to_data") and validation_data is not None:
        probe.to_data(validation_data, None, "validation_data")
    # Released by the clear_session() + gc.collect() before the first build.
    del probe

    fit_defaults = dict(fit_kwargs or {})
    for reserved in (
        "epochs",
        "validation_split",
        "validation_data",
        "callbacks",
        "initial_epoch",
        "tensorboard",
    ):
        if reserved in fit_defaults:
            raise ValueError(
                f"`fit_kwargs` may not set {reserved!r}: it is a kr.tune "
                f"argument. Received: fit_kwargs[{reserved!r}]"
            )
    if validation_data is not None:
        fit_defaults["validation_data"] = validation_data
    else:
        fit_defaults["validation_split"] = validation_split
    if batch_size is not None:
        fit_defaults["batch_size"] = batch_size
    fit_defaults.setdefault("verbose", 1 if verbose >= 2 else 0)
    hypermodel = tuners.TaskHyperModel(
        factory,
        space,
        data,
        strategy=resolved_strategy,
        seed=seed,
        fit_defaults=fit_defaults,
    )

    oracle_kwargs = {"objective": objective_, "seed": seed, **tuner_options}
    if tuner == "hyperband":
        oracle_kwargs["max_epochs"] = epochs
    else:
        oracle_kwargs["max_trials"] = max_trials
    try:
        oracle = tuners.ORACLES[tuner](**oracle_kwargs)
    except TypeError as error:
        raise ValueError(
            f"`tuner_options` has an argument the {tuner!r} tuner does not "
            f"take ({error}). Received: tuner_options={tuner_options!r}"
        ) from None
    if tuner == "hyperband":
        oracle.max_trials = max_trials

    if tensorboard is True:
        tb_dir = os.path.join(utils.tb_root(), "tune", project_name)
    elif tensorboard is False or tensorboard is None:
        tb_dir = None
    elif isinstance(tensorboard, str | os.PathLike):
        tb_dir = os.fspath(tensorboard)
    else:
        raise TypeError(
            "`tensorboard` must be True, False or a folder. "
            f"Received: tensorboard={tensorboard!r}"
        )

    with distributed_lib.environment(dist_env):
        role = distributed_lib.role()
        tuner_class = (
            tuners.HyperbandTuner if tuner == "hyperband" else tuners.SearchTuner
        )
        search_tuner = tuner_class(
            oracle=oracle,
            hypermodel=hypermodel,
            directory=directory,
            project_name=project_name,
            # Only the chief may delete the shared project.
            overwrite=overwrite and role != "worker",
            distribution_strategy=resolved_strategy,
            time_budget=budget,
            tensorboard=tb_dir,
            verbose=verbose,
        )
        if tb_dir is not None and role != "worker":
            hparams.write_config(
                tb_dir,
                oracle.get_space(),
                objective_.name,
                ("loss", "val_loss"),
            )
        if verbose:
            if role is None:
                where = f"{len(oracle.end_order)}/{max_trials} trials done"
            elif role == "chief":
                where = (
                    f"chief serving the oracle on "
                    f"{distributed_lib.address()}, "
                    f"{len(oracle.end_order)}/{max_trials} trials done"
                )
            else:
                where = (
                    f"worker {search_tuner.tuner_id} of the chief at "
                    f"{distributed_lib.address()}"
                )
            print(
                f"[kr.tune] {tuner} search of {project_name} in "
                f"{search_tuner.project_dir}: {len(oracle.get_space().space)} "
                f"hyperparameters, objective {objective_.name} "
                f"({objective_.direction}), {where}"
                + (f", time budget {budget:g}s" if budget else ""),
                flush=True,
            )
        search_tuner.search(epochs=epochs, callbacks=list(callbacks or []))
        result = TuneResult(search_tuner, space, time.monotonic() - start, role=role)
    # A worker may leave before any trial completed (the others ran them).
    if (
        result.best_hyperparameters is None
        and not result.stopped_by_budget
        and (role != "worker" or result.trials_run)
    ):
        failures = [
            search_tuner.oracle.trials[t["trial_id"]].message
            for t in result.trials
            if t["status"] == "FAILED"
        ]
        detail = (failures[-1] or "").strip().splitlines()[-1:] if failures else []
        raise RuntimeError(
            "kr.tune finished without a completed trial."
            + (f" Last error: {detail[0]}" if detail else "")
        )
    return result
