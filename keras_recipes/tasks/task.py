"""`kr.tasks.Task`: the base class of every template."""

import os

import keras
import tensorflow as tf

from keras_recipes import export as export_lib
from keras_recipes import utils
from keras_recipes import validation
from keras_recipes.callbacks.epoch_cosine_decay import EpochCosineDecay
from keras_recipes.callbacks.lr_finder import lr_find
from keras_recipes.callbacks.one_cycle import fit_one_cycle
from keras_recipes.callbacks.terminate_on_nan import NonFiniteLossError
from keras_recipes.callbacks.terminate_on_nan import TerminateOnNaN
from keras_recipes.data.pipeline import Data
from keras_recipes.data.pipeline import cardinality
from keras_recipes.data.pipeline import make_dataset
from keras_recipes.data.pipeline import num_samples
from keras_recipes.data.pipeline import predict_by_batches
from keras_recipes.data.pipeline import split
from keras_recipes.data.stream_pipeline import stream_dataset
from keras_recipes.data.stream_pipeline import stream_errors
from keras_recipes.distribute import round_batch_size
from keras_recipes.distribute.build import maybe_symbolic_build
from keras_recipes.optimizers import FastAdamW
from keras_recipes.tasks import auto_epochs as auto_epochs_lib
from keras_recipes.tasks import resume
from keras_recipes.tasks import steps_per_execution as steps_policy

# What keras.Model (functional) itself takes; anything else is a typo.
_MODEL_KWARGS = ("inputs", "outputs", "name", "trainable")


@keras.saving.register_keras_serializable(package="keras_recipes")
class Task(keras.Model):
    """Base class of the templates: a functional `keras.Model` with a data path.

    A task builds its functional graph in `__init__`, compiles itself with
    defaults (`optimizer="auto"`, `loss="auto"`, `metrics="auto"`) and keeps its
    constructor arguments as its config, so `.keras` files load back into the
    same class without `custom_objects`.

    On top of Keras, `fit`, `evaluate` and `predict` accept an `(x, y)` tuple,
    numpy arrays, pandas objects, `kr.data` adapters and `tf.data.Dataset`s;
    inputs are validated before training (each problem is a `ValueError` naming
    the argument) and turned into one cached, shuffled, prefetched tf.data
    pipeline. `fit` writes TensorBoard logs under `tb_logs/<task>/<run>/` unless
    `tensorboard=False`.

    `Task` holds only what every task shares: the input -> pipeline path,
    the `fit` plumbing, compile defaults, save and export. What a kind of
    output adds sits in a base between `Task` and the templates:
    `kr.tasks.Classifier` (class names, `predict_labels`, `interpret`, its
    loss and metrics); the translation task derives from `Task` directly.
    Subclasses set `task_name` (and `auto_min_steps`, see `compile`) and
    override `default_loss` and `default_metrics`, and may override
    `default_optimizer`, `check_x` (input validation), `encode_y` (target
    encoding) and `preprocess_batch` (per-batch map in tf.data).

    Args:
        **kwargs: passed to `keras.Model` (`inputs`, `outputs`, `name`, ...).
    """

    task_name = "task"
    default_batch_size = 32
    # The fewest train (or test) steps, of one `fit` (or `evaluate`) call or
    # of this model's calls since its compile together, from which
    # `steps_per_execution="auto"` runs 16 steps per call before that
    # function is traced: its longer first trace must pay for itself.
    # Templates set their own, measured by `benchmarks/overhead.py --section steps`.
    auto_min_steps = steps_policy.AUTO_MIN_STEPS
    # `fit()` without `epochs`: train up to `auto_max_epochs` epochs and stop
    # once `auto_monitor` has not improved for `auto_patience` epochs, then
    # restore the best epoch's weights. Without validation data, a seeded
    # `auto_validation_split` is held out (`keras_recipes.tasks.auto_epochs`).
    auto_max_epochs = 100
    auto_patience = 10
    auto_monitor = "val_loss"
    auto_validation_split = 0.1

    def __init__(self, *args, **kwargs):
        # Keras' functional Model silently ignores unknown keyword arguments,
        # so a misspelled template argument (`widht=8`) would be dropped.
        validation.check_known_arguments(type(self), kwargs, _MODEL_KWARGS)
        super().__init__(*args, **kwargs)
        self.last_log_dir = None

    # ------------------------------------------------------------------ compile
    def default_optimizer(self):
        # The template's `learning_rate` argument (1e-3 for a Task without one).
        learning_rate = float(getattr(self, "learning_rate", 1e-3))
        return FastAdamW(learning_rate=learning_rate, weight_decay=1e-4)

    def default_loss(self):
        """The loss `compile(loss="auto")` uses; each kind of task sets one."""
        raise NotImplementedError(
            f"{type(self).__name__} has no default loss: pass `loss=` to "
            "`compile`, or override `default_loss`."
        )

    def default_metrics(self):
        """The metrics `compile(metrics="auto")` uses (none by default)."""
        return []

    def compile(
        self,
        optimizer="auto",
        loss="auto",
        metrics="auto",
        steps_per_execution="auto",
        **kwargs,
    ):
        """Compiles with task defaults for every argument left at `"auto"`.

        Args:
            optimizer: a Keras optimizer (or name); `"auto"`: the task's.
            loss: a Keras loss; `"auto"`: the task's.
            metrics: a list of Keras metrics; `"auto"`: the task's.
            steps_per_execution: train steps per `tf.function` call. `"auto"`
                (default): 16 in a `fit` (or `evaluate`) of at least the
                template's `auto_min_steps` steps (500 tabular, 300 image and
                text, `kr.tasks.steps_per_execution.AUTO_MIN_STEPS`
                = 1000 otherwise),
                counting the steps of this model's earlier calls at one step
                per call, and in every later one once that function is
                traced, else 1 (the longer tracing would not pay for itself);
                1 as well when a callback of the call needs every batch
                (`lr_find`, one-cycle, your own per-batch hooks; see
                `kr.tasks.steps_per_execution.chunk_safe`) and under a distribution
                strategy (Keras 3.15's multi-step loop fails there). An
                integer is used as given, with Keras' meaning.
            **kwargs: passed to `keras.Model.compile`.
        """
        if isinstance(optimizer, str) and optimizer == "auto":
            optimizer = self.default_optimizer()
        if isinstance(loss, str) and loss == "auto":
            loss = self.default_loss()
        if isinstance(metrics, str) and metrics == "auto":
            metrics = self.default_metrics()
        setting = steps_policy.check_steps_per_execution(steps_per_execution)
        super().compile(
            optimizer=optimizer,
            loss=loss,
            metrics=metrics,
            steps_per_execution=1 if setting == "auto" else setting,
            **kwargs,
        )
        # Saved as given, so a loaded model resolves "auto" again; it is also
        # what `fit` reads (a direct `keras.Model.compile` stores its integer).
        self._compile_config.config["steps_per_execution"] = setting
        steps_policy.reset(self)

    def _use_steps_per_execution(self, steps):
        steps_policy.use(self, steps)

    def compile_from_config(self, config):
        """Restores the saved compile arguments (and optimizer slots) on load."""
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if self.built:
            self.optimizer.build(self.trainable_variables)

    # --------------------------------------------------------------- data path
    def check_x(self, x, name="x"):
        """Validates in-memory inputs; subclasses check shapes and values."""
        validation.check_not_empty(name, x)
        return x

    def encode_y(self, y, name="y"):
        """Turns raw targets into what the loss expects (as given by default)."""
        return y

    def encode_data_y(self, data, name="x"):
        """Encodes the targets of a labelled `kr.data.Data` (adapters' output)."""
        return self.encode_y(data.y, f"{name}.y")

    def check_class_weight(self, class_weight):
        """Validates `fit(class_weight=)`: `{class index: weight}` for Keras."""
        return validation.check_class_weight("class_weight", class_weight)

    def preprocess_batch(self, x, y=None):
        """Per-batch tf.data map applied to training and evaluation data."""
        return x if y is None else (x, y)

    def _num_outputs(self):
        shape = self.outputs[0].shape
        return int(shape[-1]) if shape[-1] is not None else None

    def to_data(self, x, y=None, name="x", with_labels=True):
        """Normalises any accepted input into a validated `kr.data.Data`."""
        if isinstance(x, Data):
            data = x
            if data.x is None:
                return data
            if with_labels and data.y is None:
                raise ValueError(
                    f"`{name}` must carry labels for training or evaluation. "
                    f"Received: {data!r} without labels"
                )
            x_raw, loader = data.x, data.loader
            if data.loader is None:
                x_raw = self.check_x(x_raw, name)
            if not with_labels:
                return Data(x=x_raw, loader=loader, info=data.info)
            y_enc = self.encode_data_y(data, name)
            return Data(x=x_raw, y=y_enc, loader=loader, info=data.info)
        if isinstance(x, tf.data.Dataset):
            return Data(dataset=x)
        if isinstance(x, tuple) and y is None and len(x) == 2 and with_labels:
            x, y = x
        elif (
            isinstance(x, tuple)
            and not with_labels
            and len(x) == 2
            and (self._looks_like_pair(x))
        ):
            x = x[0]
        x = self._frame_to_inputs(x, name)
        x = self.check_x(x, name)
        if not with_labels:
            return Data(x=x)
        if y is None:
            raise ValueError(
                f"Labels are missing: pass `(x, y)`, `x=..., y=...` or a labelled "
                f"dataset. Received: {name} without labels"
            )
        y = validation.as_array("y", y)
        validation.check_same_length(name, x, "y", y)
        return Data(x=x, y=self.encode_y(y, "y"))

    def _looks_like_pair(self, x):
        return len(self.inputs) == 1

    def _frame_to_inputs(self, x, name):
        """Converts pandas/list inputs into numpy; subclasses may override."""
        if x is None:
            raise ValueError(f"`{name}` is required. Received: {name}=None")
        if isinstance(x, dict):
            return x
        return validation.as_array(name, x)

    def make_dataset(
        self, data, batch_size=None, training=False, seed=None, first_pass=0
    ):
        """Builds the tf.data pipeline for validated `Data`.

        `training` shuffles (seeded with `seed`, reshuffled each pass) and
        `first_pass` starts the shuffle at that pass (see
        `kr.data.make_dataset`). A `tf.data.Dataset` given by the user is
        used as it is; streamed data (`data.source`) goes through
        `stream_dataset`.
        """
        if data.source is not None:
            return self.stream_dataset(data, batch_size, training, seed)
        if data.dataset is not None:
            ds = data.dataset
            if self._needs_batch_map():
                ds = ds.map(self._batch_map(), num_parallel_calls=tf.data.AUTOTUNE)
            return ds
        batch_size = self._resolve_batch_size(batch_size)
        return make_dataset(
            data.x,
            data.y,
            batch_size=batch_size,
            shuffle=training,
            seed=seed,
            loader=data.loader,
            # An adapter's choice (`image_folder`: memory, a disk folder or
            # none, by its budget); in memory otherwise.
            cache=data.info.get("cache", True),
            map_fn=self._batch_map() if self._needs_batch_map() else None,
            cache_mapped=self._cache_batch_map,
            first_pass=first_pass,
        )

    def stream_dataset(
        self, data, batch_size=None, training=False, seed=None, with_labels=True
    ):
        """The pipeline over streamed `Data`: chunks converted by `to_data`.

        Each chunk of `data.source` passes through this task's `to_data`
        (the checks and conversion of in-memory data), is shuffled within
        the chunk when `training`, cut into batches and mapped by
        `preprocess_batch` (see `keras_recipes.data.stream_pipeline.stream_dataset`).
        """

        def convert(x, y):
            piece = self.to_data(x if y is None else (x, y), None, "x", with_labels)
            return piece.x, piece.y

        ds = stream_dataset(
            data.source,
            convert,
            self._resolve_batch_size(batch_size),
            shuffle=training,
            seed=seed,
            with_labels=with_labels,
        )
        if self._needs_batch_map():
            ds = ds.map(self._batch_map(), num_parallel_calls=tf.data.AUTOTUNE)
        return ds

    def _needs_batch_map(self):
        return type(self).preprocess_batch is not Task.preprocess_batch

    def _batch_map(self):
        """The function the pipeline maps over batches: `preprocess_batch`."""
        return self.preprocess_batch

    # True in a template whose `preprocess_batch` is deterministic and per
    # sample: in-memory data is then mapped once, before the pipeline's cache
    # (`make_dataset(cache_mapped=)`).
    _cache_batch_map = False

    def _resolve_batch_size(self, batch_size):
        if batch_size is None:
            batch_size = self.default_batch_size
        batch_size = validation.check_batch_size(batch_size)
        return round_batch_size(batch_size, self.distribute_strategy)

    # ----------------------------------------------------------- train & infer
    def fit(
        self,
        x=None,
        y=None,
        batch_size=None,
        epochs=None,
        verbose="auto",
        callbacks=None,
        validation_split=0.0,
        validation_data=None,
        shuffle=True,
        seed=None,
        tensorboard=True,
        lr_schedule="cosine",
        resume_dir=None,
        terminate_on_nan=True,
        **kwargs,
    ):
        """Trains on any accepted input; see the class docstring.

        Args:
            x: `(x, y)` tuple, array-like, DataFrame, `kr.data.Data` or a
                batched `tf.data.Dataset` of `(x, y)`.
            y: labels when `x` holds only the inputs.
            batch_size: global batch size (rounded up to a multiple of the
                replica count under a distribution strategy).
            epochs: number of epochs, as in Keras. `None` (default): train
                until the validation loss stops improving (for the
                template's `auto_patience` epochs, at most
                `auto_max_epochs`), then restore the weights of the best
                epoch, at a constant learning rate (no `lr_schedule`).
                Without `validation_data` or `validation_split`, a seeded
                `auto_validation_split` (0.1, stratified by class) of the
                data is held out for it; with fewer than 50 rows, or a
                `tf.data.Dataset` and no `validation_data`, the training
                loss is watched instead. `history.history` shows where it
                stopped. With `resume_dir`, a resumed run counts patience
                from its restart.
            verbose: as in `keras.Model.fit`.
            callbacks: extra Keras callbacks. One with a callable
                `initial_epoch()` (the resume hook, e.g.
                `kr.callbacks.CoordinatedBackup`) continues an earlier run:
                training starts at the epoch it returns (unless `None`),
                with that epoch's data order.
            validation_split: fraction held out for validation, split with a
                seeded shuffle and stratified by class (not the last rows).
            validation_data: same kinds of input as `x`.
            shuffle: shuffle the training data each epoch.
            seed: shuffle/split seed.
            tensorboard: `True` (log under `tb_logs/<task>/<run>/`), `False`,
                or a log directory path.
            lr_schedule: `"cosine"` decays the optimizer's learning rate from
                its value to ~0 over `epochs` (once per epoch, restored after
                `fit`); `None` keeps it constant. Ignored when the optimizer
                already has a `LearningRateSchedule`.
            resume_dir: folder for crash-safe per-epoch checkpoints. When it
                holds a checkpoint, training continues after its epoch, with
                weights, optimizer state, RNG state and LR schedule restored and
                the data order continued: after a kill and a rerun of the same
                call, the final weights equal an uninterrupted run's (with
                `kr.set_seed(seed, deterministic=True)` and `fit(seed=seed)`).
            terminate_on_nan: stop at the first batch whose loss is NaN or
                infinite by raising `kr.callbacks.NonFiniteLossError` (a
                `RuntimeError`) that names the epoch and batch, after putting
                the last good weights and optimizer state back into the model
                (those of the last finished epoch, kept in memory once per
                epoch; see `kr.callbacks.TerminateOnNaN`). With `resume_dir`,
                that epoch's checkpoint stays the latest on disk, so a rerun
                resumes from it. `False` trains on regardless (as Keras does).
            **kwargs: passed to `keras.Model.fit` (e.g. `class_weight`).
                With `initial_epoch=k`, epoch k gets the batches it gets in a
                call that starts at 0 (the shuffle continues at its k-th
                pass): a run stopped after k epochs and continued with
                `fit(..., initial_epoch=k)` on the same model trains as an
                uninterrupted one (what `kr.tune` does with a trial stopped
                by its time budget), except for the image template's `mixup`,
                whose draws start over.

        Returns:
            A `keras.callbacks.History`.
        """
        auto_epochs = epochs is None
        if not auto_epochs:
            validation.check_int("epochs", epochs, minimum=0)
        if kwargs.get("class_weight") is not None:  # else Keras fails mid-epoch
            kwargs["class_weight"] = self.check_class_weight(kwargs["class_weight"])
        data = self.to_data(x, y, "x")
        val = None
        if validation_data is not None:
            val = self.to_data(validation_data, None, "validation_data")
        elif validation_split:
            data, val = split(data, validation_split, seed=seed)
        elif auto_epochs and auto_epochs_lib.holds_out(data):
            data, val = split(data, self.auto_validation_split, seed=seed)
        if data.x is not None and len(data) == 0:
            raise ValueError("`x` is empty: expected at least one sample.")
        callbacks = list(callbacks or [])
        if auto_epochs:
            epochs = int(self.auto_max_epochs)
            callbacks.append(auto_epochs_lib.early_stopping(self, val is not None))
        if terminate_on_nan and not any(
            isinstance(c, keras.callbacks.TerminateOnNaN | TerminateOnNaN)
            for c in callbacks
        ):
            # First: an epoch that ends with non-finite weights (or a NaN
            # batch, found on Keras' async batch-hook thread) raises before the
            # resume checkpoint or any of the user's callbacks sees its end.
            callbacks.insert(0, TerminateOnNaN())
        # Without a strategy, Keras builds the optimizer while tracing the
        # first train step, and a tf.function that creates variables is traced
        # twice: building it first halves the first epoch's tracing (image
        # template on digits: 8.9 s -> 4.8 s, benchmarks/RESULTS.md).
        # A resume checkpoint also needs the slots to load the optimizer state.
        if self.optimizer is not None and not self.optimizer.built:
            with self.distribute_strategy.scope():
                self.optimizer.build(self.trainable_variables)
        initial_epoch = validation.check_int(
            "initial_epoch", kwargs.pop("initial_epoch", 0), minimum=0
        )
        if lr_schedule is not None:  # checked before `resume_dir` is locked
            validation.check_choice("lr_schedule", lr_schedule, ("cosine",))
        checkpoint = None
        if resume_dir is not None:  # locked until the end of `fit`
            checkpoint, initial_epoch = resume.start(self, data, resume_dir)
            callbacks.append(checkpoint)
        if initial_epoch >= epochs:  # finished before (or nothing asked): no epochs
            if checkpoint is not None:
                checkpoint.unlock()
            history = keras.callbacks.History()
            history.set_model(self)
            return history
        # Epoch k trains on pass k of the seeded shuffle, also in a call that
        # starts at `initial_epoch` (a resumed run): same order as the
        # uninterrupted run. That needs one iterator per epoch, as each one
        # draws the next permutation: without `steps_per_epoch`, Keras 3.15
        # opens one at each epoch's start and another, never read, at its
        # end (`EpochIterator._enumerate_iterator`); with it, only the one at
        # the end, which the next epoch reads. (Half the iterator set-ups,
        # ~14 ms each for the text template's pipeline: < 1% of its epoch.)
        # A callback that continues an earlier run says at which epoch
        # through its `initial_epoch()` (`None`: nothing to continue), the
        # resume hook documented in `keras_recipes.callbacks.epoch_checkpoint`.
        for callback in callbacks:
            continues_at = getattr(callback, "initial_epoch", None)
            if callable(continues_at):
                epoch = continues_at()
                if epoch is not None:
                    initial_epoch = int(epoch)
        train_ds = self.make_dataset(
            data, batch_size, training=shuffle, seed=seed, first_pass=initial_epoch
        )
        val_ds = None if val is None else self.make_dataset(val, batch_size)
        user_steps = kwargs.get("steps_per_epoch"), kwargs.get("validation_steps")
        if data.x is not None and user_steps[0] is None:
            kwargs["steps_per_epoch"] = cardinality(train_ds)
        if val is not None and val.x is not None and user_steps[1] is None:
            kwargs["validation_steps"] = cardinality(val_ds)
        if lr_schedule is not None and epochs > 1 and not auto_epochs:
            callbacks.append(EpochCosineDecay(epochs))
        log_dir = utils.tensorboard_dir(tensorboard, self.task_name)
        if log_dir is not None and not any(
            isinstance(c, keras.callbacks.TensorBoard) for c in callbacks
        ):
            callbacks.append(keras.callbacks.TensorBoard(log_dir=log_dir))
        self.last_log_dir = log_dir
        steps_per_epoch = kwargs.get("steps_per_epoch") or cardinality(train_ds)
        steps_policy.resolve_for_call(
            self,
            callbacks,
            "train",
            steps=user_steps,  # the counts of finite pipelines need no divisor
            planned_steps=None
            if steps_per_epoch is None
            else (epochs - initial_epoch) * steps_per_epoch,
        )
        try:
            with stream_errors(data, val):  # a chunk's own error, not TF's
                return super().fit(
                    train_ds,
                    epochs=epochs,
                    verbose=verbose,
                    callbacks=callbacks,
                    validation_data=val_ds,
                    shuffle=False,  # the tf.data pipeline already shuffles, seeded
                    initial_epoch=initial_epoch,
                    **kwargs,
                )
        except NonFiniteLossError:
            for callback in callbacks:  # Keras skips on_train_end on errors
                if isinstance(callback, EpochCosineDecay):
                    callback.on_train_end()  # puts the base learning rate back
            raise
        finally:
            if checkpoint is not None:
                checkpoint.unlock()

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Under a strategy, Keras 3.15 builds from a batch of a throw-away
        # iterator (shifting the shuffle order, crashing on uneven batches and
        # string inputs); build from the dataset's shapes instead.
        return maybe_symbolic_build(
            self,
            super()._maybe_symbolic_build,
            iterator=iterator,
            data_batch=data_batch,
        )

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", **kwargs):
        """Evaluates on any accepted input; returns a dict of metrics."""
        if kwargs.get("_use_cached_eval_dataset"):  # fit's validation
            return super().evaluate(x, y, verbose=verbose, **kwargs)
        kwargs.setdefault("return_dict", True)
        data = self.to_data(x, y, "x")
        ds = self.make_dataset(data, batch_size)
        steps_policy.resolve_for_call(
            self,
            kwargs.get("callbacks") or (),
            "test",
            steps=(kwargs.get("steps"),),
            planned_steps=kwargs.get("steps") or cardinality(ds),
        )
        with stream_errors(data):
            return super().evaluate(ds, verbose=verbose, **kwargs)

    def predict(self, x, batch_size=None, verbose="auto", **kwargs):
        """Returns class probabilities for raw inputs of any accepted kind.

        In-memory inputs (arrays, frames, lists of sentences) skip the
        `tf.data` pipeline and Keras' predict loop: the rows go batch by batch
        through the model's predict function (`predict_on_batch`), with the
        same numbers as Keras' `predict`. On a 2-core CPU that is ~3 instead
        of ~16 ms for one sample, 2.8x faster for the 69 penguins test rows
        and 1.1-1.4x for hundreds to thousands of samples
        (`benchmarks/README.md`). The progress bar shows when asked
        for (`verbose=1` or `2`) and, with `verbose="auto"`, for more than one
        batch. Files to decode, a `tf.data.Dataset`, `steps`, `callbacks`,
        several replicas or an integer `steps_per_execution` above 1 take
        Keras' loop. The predict function is traced for the first batch
        size, once more for the next (then any size fits).
        """
        data = self.to_data(x, None, "x", with_labels=False)
        steps_policy.resolve_for_predict(self)
        if data.dataset is not None:
            ds = data.dataset
        elif data.source is not None:
            ds = self.stream_dataset(data, batch_size, with_labels=False)
        else:
            batch_size = self._resolve_batch_size(batch_size)
            if self._predict_by_batches(data, kwargs):
                return predict_by_batches(
                    self.predict_on_batch, data.x, batch_size, verbose
                )
            ds = make_dataset(
                data.x, batch_size=batch_size, loader=data.loader, cache=False
            )
        with stream_errors(data):
            return super().predict(ds, verbose=verbose, **kwargs)

    def _predict_by_batches(self, data, kwargs):
        """Whether `predict` may call `predict_on_batch` batch by batch."""
        return (
            data.loader is None  # files to decode: the pipeline's parallel map
            and not kwargs  # `steps`, `callbacks`: Keras' loop
            and self.steps_per_execution == 1
            and self.distribute_strategy.num_replicas_in_sync == 1
            and num_samples(data.x) > 0
        )

    # ------------------------------------------------------------ persistence
    def save(self, filepath, overwrite=True, **kwargs):
        """Saves atomically: a crash mid-save never leaves a half-written file."""
        filepath = os.fspath(filepath)
        if not filepath.endswith(".keras"):
            raise ValueError(
                "`filepath` must end with '.keras' (use `export()` for other "
                f"formats). Received: filepath={filepath!r}"
            )
        if os.path.exists(filepath) and not overwrite:
            raise ValueError(
                f"`filepath` exists and overwrite=False. Received: {filepath!r}"
            )
        try:
            with utils.atomic_path(filepath) as tmp:
                super().save(tmp, **kwargs)
        except OSError as error:
            raise ValueError(
                f"`filepath` is not writable. Received: filepath={filepath!r} "
                f"({error.strerror or error})"
            ) from None

    def export(self, filepath, format="keras", verify=True, **kwargs):
        """Exports to `.keras`, a raw-input SavedModel, or verified ONNX.

        Args:
            filepath: output path.
            format: `"keras"`, `"saved_model"` or `"onnx"`.
            verify: for ONNX, check the graph and Keras/ONNX Runtime parity.

        Returns:
            The path for `"keras"`/`"saved_model"`; a report dict for `"onnx"`.
        """
        return export_lib.export(self, filepath, format=format, verify=verify, **kwargs)

    # ------------------------------------------------- training helpers (#6)
    def lr_find(self, x=None, y=None, **kwargs):
        """LR range test; weights are restored. See `kr.callbacks.lr_find`.

        Returns:
            An `LRFinderResult` (`learning_rates`, `losses`, `suggested_lr`,
            `plot_path` of the PNG plot).
        """
        return lr_find(self, x, y, **kwargs)

    def fit_one_cycle(self, x=None, y=None, epochs=1, max_lr=None, **kwargs):
        """`fit` with the one-cycle LR policy. See `kr.callbacks.fit_one_cycle`."""
        return fit_one_cycle(self, x, y, epochs=epochs, max_lr=max_lr, **kwargs)

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            # The dtype policy the layers were built under (Keras' global
            # policy at the time, e.g. "mixed_float16"): `from_config` builds
            # them under it again, so a model trained in mixed precision
            # loads as one, whatever the loading session's policy.
            "dtype": self.dtype_policy.name,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        dtype = config.pop("dtype", None)  # absent in older files: global policy
        if dtype is None:
            return cls(**config)
        with utils.dtype_policy(dtype):
            return cls(**config)
