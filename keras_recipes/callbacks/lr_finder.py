"""`LRFinder` callback and the `lr_find` range test behind `Task.lr_find`."""

import inspect
import math
import os

import keras
import numpy as np

from keras_recipes import plots
from keras_recipes import protocol
from keras_recipes import utils
from keras_recipes import validation
from keras_recipes.callbacks.base import StatelessCallback
from keras_recipes.callbacks.base import read_values


def _check_lr_range(start_lr, end_lr, num_steps):
    validation.check_float("start_lr", start_lr)
    if start_lr <= 0:
        raise ValueError(f"`start_lr` must be > 0. Received: start_lr={start_lr}")
    validation.check_float("end_lr", end_lr)
    if end_lr <= start_lr:
        raise ValueError(
            f"`end_lr` must be > start_lr={start_lr}. Received: end_lr={end_lr}"
        )
    validation.check_int("num_steps", num_steps, minimum=5)


def task_fit_overrides(model):
    """`fit` kwargs that turn off a Task's own per-epoch LR schedule.

    `Task.fit` cosine-decays the learning rate per epoch by default; callbacks
    that set the learning rate per batch (range test, one-cycle) must own it.
    """
    params = inspect.signature(model.fit).parameters
    return {"lr_schedule": None} if "lr_schedule" in params else {}


def settable_learning_rate(optimizer, who):
    """Raises unless `optimizer.learning_rate` can be assigned a float."""
    schedules = keras.optimizers.schedules.LearningRateSchedule
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    if optimizer is None or isinstance(
        getattr(inner, "_learning_rate", None), schedules
    ):
        raise ValueError(
            f"`{who}` sets the learning rate each step, so the model must be "
            "compiled with a float learning rate, not a LearningRateSchedule. "
            f"Received: optimizer={optimizer!r}"
        )


@keras.saving.register_keras_serializable(package="keras_recipes")
class LRFinder(StatelessCallback):
    """Learning-rate range test (Smith, 2015; fastai's `lr_find`).

    Raises the learning rate exponentially from `start_lr` to `end_lr` over
    `num_steps` batches, recording the (bias-corrected, exponentially
    smoothed) per-batch loss, and stops early once the loss exceeds
    `stop_factor` times its minimum. It changes the weights: use
    `model.lr_find(data)` (or `lr_find(model, data)`), which restores them.

    Args:
        start_lr: first learning rate (> 0).
        end_lr: last learning rate (> start_lr).
        num_steps: number of batches of the sweep (>= 5).
        smoothing: loss smoothing factor in `[0, 1)`.
        stop_factor: stop when the smoothed loss exceeds this multiple of the
            best one (> 1).

    Example:

    >>> import numpy as np
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> finder = LRFinder(1e-4, 1.0, num_steps=10)
    >>> _ = model.fit(np.ones((80, 2)), np.ones((80, 1)), batch_size=4,
    ...               epochs=5, callbacks=[finder], verbose=0)
    >>> len(finder.learning_rates) <= 10, finder.learning_rates[0]
    (True, 0.0001)
    """

    def __init__(
        self,
        start_lr=1e-7,
        end_lr=10.0,
        num_steps=100,
        smoothing=0.9,
        stop_factor=4.0,
    ):
        super().__init__()
        _check_lr_range(start_lr, end_lr, num_steps)
        validation.check_float(
            "smoothing", smoothing, minimum=0.0, maximum=1.0, include_max=False
        )
        validation.check_float("stop_factor", stop_factor)
        if stop_factor <= 1:
            raise ValueError(
                f"`stop_factor` must be > 1. Received: stop_factor={stop_factor}"
            )
        self.start_lr = start_lr
        self.end_lr = end_lr
        self.num_steps = num_steps
        self.smoothing = smoothing
        self.stop_factor = stop_factor
        self.learning_rates = []
        self.losses = []

    def _lr(self, step):
        ratio = float(self.end_lr) / float(self.start_lr)
        return float(self.start_lr) * ratio ** (step / (self.num_steps - 1))

    def on_train_begin(self, logs=None):
        settable_learning_rate(self.model.optimizer, "LRFinder")
        self.learning_rates, self.losses = [], []
        self._step = 0
        self._avg = 0.0
        self._best = math.inf
        self._prev_mean = 0.0
        self.model.optimizer.learning_rate = self._lr(0)

    def on_epoch_begin(self, epoch, logs=None):
        self._prev_mean = 0.0

    def on_train_batch_end(self, batch, logs=None):
        # Keras 3 logs the running mean of the epoch; recover this batch's loss.
        mean = float((logs or {}).get("loss", math.nan))
        loss = (batch + 1) * mean - batch * self._prev_mean
        self._prev_mean = mean
        beta = float(self.smoothing)
        self._avg = beta * self._avg + (1 - beta) * loss
        smoothed = self._avg / (1 - beta ** (self._step + 1))
        self.learning_rates.append(self._lr(self._step))
        self.losses.append(smoothed)
        self._step += 1
        if not math.isfinite(smoothed) or smoothed > self.stop_factor * self._best:
            self.model.stop_training = True
            return
        self._best = min(self._best, smoothed)
        if self._step >= self.num_steps:
            self.model.stop_training = True
            return
        self.model.optimizer.learning_rate = self._lr(self._step)

    def get_config(self):
        return {
            "start_lr": self.start_lr,
            "end_lr": self.end_lr,
            "num_steps": self.num_steps,
            "smoothing": self.smoothing,
            "stop_factor": self.stop_factor,
        }


def suggest_learning_rate(learning_rates, losses):
    """Suggests a learning rate from a range-test curve.

    Takes the learning rate of the steepest loss descent (in log-LR) before
    the minimum, and `lr_at_minimum / 10` (fastai's two classic rules), and
    returns their geometric mean, which is robust to a noisy curve.

    Example:

    >>> lrs = np.logspace(-5, 0, 50)
    >>> losses = 2 - np.tanh(np.log10(lrs) + 3) + (lrs > 0.1) * 5
    >>> 1e-4 < suggest_learning_rate(lrs, losses) < 1e-2
    True
    """
    lrs = np.asarray(learning_rates, "float64")
    losses = np.asarray(losses, "float64")
    finite = np.isfinite(losses)
    lrs, losses = lrs[finite], losses[finite]
    if len(lrs) < 3:
        raise ValueError(
            "The LR range test recorded fewer than 3 finite losses: lower "
            f"`start_lr` or raise `num_steps`. Received: {len(lrs)} points"
        )
    best = int(np.argmin(losses))
    lr_min = lrs[best] / 10.0
    # Slope of the loss over half a decade of learning rate: a wide stencil
    # keeps the noise of single batches from picking a spurious "steepest".
    log_lr = np.log10(lrs)
    per_decade = (len(lrs) - 1) / max(log_lr[-1] - log_lr[0], 1e-12)
    width = max(1, int(round(per_decade / 2)))
    lr_steep = lr_min
    if best >= width:
        starts = np.arange(0, best - width + 1)
        slopes = (losses[starts + width] - losses[starts]) / (
            log_lr[starts + width] - log_lr[starts]
        )
        lr_steep = float(
            np.sqrt(lrs[starts] * lrs[starts + width])[int(np.argmin(slopes))]
        )
    return float(np.sqrt(lr_min * lr_steep))


class LRFinderResult:
    """The curve of a range test: `learning_rates`, `losses`, `suggested_lr`.

    Attributes:
        learning_rates: learning rates tried (one per batch).
        losses: smoothed losses.
        suggested_lr: the suggested learning rate.
        plot_path: the PNG written (or `None`).
    """

    def __init__(self, learning_rates, losses, suggested_lr, plot_path=None):
        self.learning_rates = list(learning_rates)
        self.losses = list(losses)
        self.suggested_lr = suggested_lr
        self.plot_path = plot_path

    def plot(self, path):
        """Writes the loss-vs-learning-rate curve to a PNG; returns the path."""
        figure = plots.lr_finder_figure(
            self.learning_rates, self.losses, self.suggested_lr
        )
        plots.save_png(figure, path)
        self.plot_path = os.fspath(path)
        return self.plot_path

    def __repr__(self):
        return (
            f"LRFinderResult(suggested_lr={self.suggested_lr:.3g}, "
            f"points={len(self.losses)}, plot_path={self.plot_path!r})"
        )


def lr_find(
    model,
    x=None,
    y=None,
    start_lr=1e-7,
    end_lr=10.0,
    num_steps=100,
    batch_size=None,
    plot_path="auto",
    seed=None,
    verbose=0,
):
    """Runs an LR range test on a compiled model, then restores its state.

    The weights and the optimizer state are snapshotted before the sweep and
    put back after it, so the model is exactly as before (only the suggestion
    is new).

    Args:
        model: a compiled `keras.Model` (a `kr.tasks.Task` accepts every
            input kind its `fit` accepts).
        x: training data (`(x, y)`, arrays, `kr.data.Data`, batched
            `tf.data.Dataset`).
        y: labels when `x` holds only inputs.
        start_lr: first learning rate.
        end_lr: last learning rate.
        num_steps: batches of the sweep (data is repeated as needed).
        batch_size: batch size.
        plot_path: PNG path, `"auto"` (next to the TensorBoard logs:
            `tb_logs/<task>/lr_find-<run>.png`) or `None` for no plot.
        seed: shuffle seed.
        verbose: `fit` verbosity.

    Returns:
        An `LRFinderResult`.
    """
    _check_lr_range(start_lr, end_lr, num_steps)
    optimizer = model.optimizer
    settable_learning_rate(optimizer, "lr_find")
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    weights = read_values(model.weights)
    opt_state = read_values(optimizer.variables)
    finder = LRFinder(start_lr, end_lr, num_steps)
    epochs = 10_000  # the finder stops the run after `num_steps` batches
    try:
        if protocol.is_task(model):
            model.fit(
                x,
                y,
                batch_size=batch_size,
                epochs=epochs,
                callbacks=[finder],
                seed=seed,
                tensorboard=False,
                verbose=verbose,
                terminate_on_nan=False,  # it diverges
                **task_fit_overrides(model),
            )
        else:
            model.fit(
                x,
                y,
                batch_size=batch_size,
                epochs=epochs,
                callbacks=[finder],
                verbose=verbose,
            )
    finally:
        model.set_weights(weights)
        for variable, value in zip(optimizer.variables, opt_state):
            variable.assign(value)
        model.stop_training = False
    suggestion = suggest_learning_rate(finder.learning_rates, finder.losses)
    result = LRFinderResult(finder.learning_rates, finder.losses, suggestion)
    if plot_path == "auto":
        name = getattr(model, "task_name", None) or model.name
        plot_path = os.path.join(
            utils.tb_root(), name, f"lr_find-{utils.run_name()}.png"
        )
    if plot_path is not None:
        result.plot(plot_path)
    return result
