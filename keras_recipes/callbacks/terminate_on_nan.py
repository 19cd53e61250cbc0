"""`TerminateOnNaN`: fail loudly, naming the epoch and batch, keep good weights."""

import math

import keras
import tensorflow as tf

from keras_recipes.callbacks.base import StatelessCallback
from keras_recipes.callbacks.base import all_finite
from keras_recipes.callbacks.base import read_values


class NonFiniteLossError(RuntimeError, FloatingPointError):
    """Training diverged: the loss (or the weights) became NaN or infinite.

    Raised by `kr.callbacks.TerminateOnNaN` and so by `Task.fit` (which adds
    that callback unless `terminate_on_nan=False`). It is a `RuntimeError`,
    like other failures of a running `fit`, and a `FloatingPointError`, so
    `except RuntimeError` and `except FloatingPointError` both catch it.

    Example:

    >>> issubclass(NonFiniteLossError, RuntimeError)
    True
    """


@keras.saving.register_keras_serializable(package="keras_recipes")
class TerminateOnNaN(StatelessCallback):
    """Stops training at the first NaN/inf loss with a clear error.

    Unlike `keras.callbacks.TerminateOnNaN`, which stops silently and leaves
    the diverged weights in the model, this raises `NonFiniteLossError` (a
    `RuntimeError`) naming the epoch and batch where the loss diverged (both
    1-based) with suggested fixes, and first puts back the last good state:
    the weights and optimizer state at the end of the last epoch whose
    weights were all finite (or at the start of training). Keeping that copy
    costs one read of every variable per epoch, never per batch (~2 ms for
    the tabular template, ~6 ms for the image template on a 2-core CPU,
    `benchmarks/README.md`); the copy is held as TensorFlow tensors. An
    epoch whose loss stayed finite but whose weights did not (a last batch
    that diverged) is caught at the epoch end.

    With `steps_per_execution` > 1 (what the templates' `"auto"` runs in long
    fits), Keras reports the loss once per chunk of batches, and the error
    names the chunk ("batches 17-32").

    The per-batch check is async-safe: where no other callback needs batch
    hooks (`verbose=0`), Keras runs it on a worker thread, so training never
    waits on the host for it. It only records the bad batch and sets
    `stop_training` (a step or two may still run; under a multi-worker
    strategy the epoch runs out, so all workers stop at the same step); the
    error is raised at the end of that epoch, before any later callback sees
    its weights.

    Args:
        monitor: the log key to check (default `"loss"`).
        restore_weights: put the last good weights back before raising.

    Example:

    >>> import numpy as np
    >>> dense = keras.layers.Dense(1, kernel_initializer="ones")
    >>> model = keras.Sequential([keras.Input((1,)), dense])
    >>> model.compile(keras.optimizers.SGD(1e30), "mse")
    >>> try:
    ...     model.fit(np.ones((8, 1)) * 1e20, np.ones((8, 1)), batch_size=4,
    ...               callbacks=[TerminateOnNaN()], verbose=0)
    ... except RuntimeError as error:
    ...     print(str(error)[:45])
    loss became inf at epoch 1, batch 1 (1-based)
    >>> all(np.isfinite(w).all() for w in model.get_weights())
    True
    """

    # Keras may dispatch `on_train_batch_end` on a worker thread (see above).
    async_safe = True
    # With several steps per call, the hook sees each chunk's last batch and
    # names the chunk (see `kr.tasks.steps_per_execution`).
    steps_per_execution_safe = True

    def __init__(self, monitor="loss", restore_weights=True):
        super().__init__()
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(
                f"`monitor` must be a log key such as 'loss'. Received: "
                f"monitor={monitor!r}"
            )
        if not isinstance(restore_weights, bool):
            raise TypeError(
                "`restore_weights` must be a bool. "
                f"Received: restore_weights={restore_weights!r}"
            )
        self.monitor = monitor
        self.restore_weights = restore_weights
        self._good = None
        self._bad = []  # (batch, value) of non-finite batches this epoch
        self._stop_early = True

    def get_config(self):
        return {"monitor": self.monitor, "restore_weights": self.restore_weights}

    # -------------------------------------------------------------- snapshot
    def _snapshot(self, epoch):
        """Keeps the current state if it is all finite; returns whether it was."""
        weights = read_values(self.model.weights)
        if not all_finite(weights):
            return False
        if self.restore_weights:
            optimizer = self.model.optimizer
            slots = None
            if optimizer is not None and optimizer.built:
                slots = read_values(optimizer.variables)
            self._good = (epoch, weights, slots)
        return True

    def _restore(self):
        if self._good is None:
            return ""
        epoch, weights, slots = self._good
        for variable, value in zip(self.model.weights, weights):
            variable.assign(value)
        optimizer = self.model.optimizer
        if slots is not None and len(optimizer.variables) == len(slots):
            for variable, value in zip(optimizer.variables, slots):
                variable.assign(value)
        when = "from before training" if epoch is None else f"of epoch {epoch + 1}"
        return f" The model holds the last finite weights ({when})."

    def _fail(self, what):
        self.model.stop_training = True
        restored = self._restore() if self.restore_weights else ""
        raise NonFiniteLossError(
            f"{what}.{restored} Try a lower learning rate (see `model.lr_find`), "
            "gradient clipping (`clipnorm=1.0`), or check the inputs for NaN/inf "
            "or unscaled values."
        )

    # ------------------------------------------------------------- callbacks
    def on_train_begin(self, logs=None):
        self._good = None
        self._snapshot(None)
        # Workers of a multi-worker strategy see the same (all-reduced) loss,
        # but an async batch hook could stop them after different steps and
        # leave one waiting in a collective: there, the epoch runs out and
        # every worker raises at its end, together.
        self._stop_early = not isinstance(
            self.model.distribute_strategy, tf.distribute.MultiWorkerMirroredStrategy
        )

    def on_epoch_begin(self, epoch, logs=None):
        self._bad = []

    def on_train_batch_end(self, batch, logs=None):
        # May run on a Keras worker thread, out of order: only record and ask
        # the loop to stop; `on_epoch_end` (after Keras has waited for every
        # batch hook) raises, naming the first bad batch.
        value = (logs or {}).get(self.monitor)
        if value is None:
            return
        value = float(value)
        if not math.isfinite(value):
            # Keras passes the chunk's last batch index; the loss is the
            # epoch's running mean, so the first bad batch lies in the chunk.
            chunk = int(getattr(self.model, "steps_per_execution", 1) or 1)
            first = max(0, batch - chunk + 1)
            steps = self.params.get("steps") if self.params else None
            last = min(batch, steps - 1) if steps else batch
            self._bad.append((first, last, value))
            if self._stop_early:
                self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if self._bad:
            first, last, value = min(self._bad, key=lambda bad: bad[0])
            where = f"batch {first + 1} (1-based)"
            if last > first:
                where = (
                    f"batches {first + 1}-{last + 1} (1-based, run in one call: "
                    "compile with `steps_per_execution=1` to name the batch)"
                )
            self._fail(f"{self.monitor} became {value} at epoch {epoch + 1}, {where}")
        if not self._snapshot(epoch):
            self._fail(
                f"the weights became NaN or infinite during epoch {epoch + 1} "
                f"(1-based) while the {self.monitor} stayed finite"
            )
