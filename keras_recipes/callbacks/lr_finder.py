"""`LRFinder` callback and the `lr_find` range test behind `Task.lr_find`."""

import inspect
import math
import os
import warnings

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
    if protocol.is_task(model):  # a subclass's `fit(*args, **kwargs)` too
        return {"lr_schedule": None}
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


def _smooth(values, width):
    """Centred moving average over `width` points (shrinking at the ends)."""
    kernel = np.ones(width)
    half = width // 2
    padded = np.pad(values, half, constant_values=0.0)
    counts = np.convolve(np.pad(np.ones_like(values), half), kernel, "valid")
    return np.convolve(padded, kernel, "valid") / counts


def _suggest(learning_rates, losses, min_descent=0.05):
    """`(suggested_lr, None)`, or `(None, why)` when the curve has no descent.

    Its callers check `min_descent` (`lr_find` before it trains).
    """
    lrs = np.asarray(learning_rates, "float64")
    losses = np.asarray(losses, "float64")
    if lrs.shape != losses.shape or lrs.ndim != 1:
        raise ValueError(
            "`learning_rates` and `losses` must be 1-D and of the same length. "
            f"Received: {lrs.shape} learning rates and {losses.shape} losses"
        )
    # The curve ends where the loss first stops being finite (it diverged).
    bad = np.flatnonzero(~np.isfinite(losses))
    end = int(bad[0]) if len(bad) else len(losses)
    lrs, losses = lrs[:end], losses[:end]
    if len(lrs) < 5:
        raise ValueError(
            "The LR range test recorded fewer than 5 finite losses: lower "
            f"`start_lr` or raise `num_steps`. Received: {len(lrs)} points"
        )
    log_lr = np.log10(lrs)
    per_decade = (len(lrs) - 1) / max(log_lr[-1] - log_lr[0], 1e-12)
    # A centred window of about half a decade: no lag, and the noise of single
    # batches cannot make a minimum or a "steepest" point on its own.
    width = max(3, int(round(per_decade / 2)) | 1)
    width = min(width, (len(lrs) // 3) | 1)
    smooth = _smooth(losses, width)
    best = int(np.argmin(smooth))
    # Noise: robust spread of the curve around a one-decade smoothing.
    wide = _smooth(losses, min(max(width, int(round(per_decade)) | 1), len(lrs) | 1))
    stop = min(len(lrs), best + width)
    noise = 1.4826 * float(np.median(np.abs(losses[:stop] - wide[:stop])))
    # The descent: from the highest point before the minimum down to it.
    peak = int(np.argmax(smooth[: best + 1]))
    start = float(smooth[peak])
    drop = start - float(smooth[best])
    scale = max(abs(start), 1e-12)
    # Wiggle: the largest move against the trend of a genuine curve (a rise
    # on the way down, a fall after the minimum). Noise that looks like a
    # descent comes with wiggles as large as that "descent".
    down, after = smooth[peak : best + 1], smooth[best:]
    wiggle = max(
        float(np.max(down - np.minimum.accumulate(down))),
        float(np.max(np.maximum.accumulate(after) - after)),
    )
    rise = float(np.max(smooth[best:])) - float(smooth[best])
    if best < width and rise >= max(min_descent * scale, 3.0 * noise):
        return None, (
            "the loss is lowest at the start of the sweep and only rises after "
            f"it (lowest near lr={lrs[best]:.2e}): lower `start_lr` (or, if the "
            "curve is short and noisy, raise `num_steps` or the batch size)"
        )
    if best < width or drop < max(min_descent * scale, 3.0 * noise, 2.0 * wiggle):
        return None, (
            f"the smoothed loss drops only {drop:.3g} ({100 * drop / scale:.1f}%) "
            f"from {start:.4g} to its minimum at lr={lrs[best]:.2e}, while it "
            f"moves by {max(noise, wiggle):.3g} in noise; a range test needs a "
            f"clear descent (at least {100 * min_descent:g}%, 3x the noise and "
            "2x any rebound). This is typical of a model that is already "
            "trained: keep its learning rate, or run `lr_find` on a freshly "
            "built model"
        )
    slopes = np.gradient(smooth[peak : best + 1], log_lr[peak : best + 1])
    steep = peak + int(np.argmin(slopes))
    lr_steep = float(lrs[steep])
    lr_min = float(lrs[best]) / 10.0
    suggestion = float(np.sqrt(lr_steep * lr_min))
    return float(np.clip(suggestion, lrs[0], lrs[best])), None


def suggest_learning_rate(learning_rates, losses, min_descent=0.05):
    """Suggests a learning rate from a range-test curve, or `None`.

    The losses are smoothed again with a centred moving average of about
    half a decade of learning rate (no lag, and single noisy batches cannot
    make a minimum on their own). The curve must then show a clear descent:
    the smoothed loss must fall from its starting level to its minimum by at
    least `min_descent` of that level and by 3 times the noise of the curve.
    If it does, the suggestion is the geometric mean of fastai's two classic
    rules: the learning rate of the steepest descent before the minimum, and
    `lr_at_minimum / 10`.

    Without a clear descent (the curve of an already trained model is flat
    and noisy; a sweep that starts too high only rises) it returns `None`
    and warns saying why, rather than pick a point in the noise.

    Args:
        learning_rates: the learning rates tried, increasing.
        losses: the loss at each (the `LRFinder` records them smoothed).
        min_descent: the smallest relative drop of the smoothed loss, in
            `[0, 1)`, that counts as a descent.

    Returns:
        The suggested learning rate (a float), or `None`.

    Example:

    >>> lrs = np.logspace(-5, 0, 50)
    >>> losses = 2 - np.tanh(np.log10(lrs) + 3) + (lrs > 0.1) * 5
    >>> 1e-4 < suggest_learning_rate(lrs, losses) < 1e-2
    True
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     print(suggest_learning_rate(lrs, np.full(50, 0.1)))
    None
    """
    validation.check_float(
        "min_descent", min_descent, minimum=0.0, maximum=1.0, include_max=False
    )
    suggestion, why = _suggest(learning_rates, losses, min_descent)
    if suggestion is None:
        warnings.warn(f"No learning rate suggested: {why}.", stacklevel=2)
    return suggestion


class LRFinderResult:
    """The curve of a range test: `learning_rates`, `losses`, `suggested_lr`.

    Attributes:
        learning_rates: learning rates tried (one per batch).
        losses: smoothed losses.
        suggested_lr: the suggested learning rate, or `None` when the curve
            shows no clear descent (see `message`).
        message: why there is no suggestion (`None` when there is one).
        plot_path: the PNG written (or `None`).
    """

    def __init__(
        self, learning_rates, losses, suggested_lr, plot_path=None, message=None
    ):
        self.learning_rates = list(learning_rates)
        self.losses = list(losses)
        self.suggested_lr = suggested_lr
        self.message = message
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
        lr = "None" if self.suggested_lr is None else f"{self.suggested_lr:.3g}"
        return (
            f"LRFinderResult(suggested_lr={lr}, "
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
    min_descent=0.05,
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
        min_descent: the smallest relative drop of the smoothed loss that
            counts as a descent (see `suggest_learning_rate`).

    Returns:
        An `LRFinderResult`. Its `suggested_lr` is `None`, with a warning and
        the reason in `message`, when the curve shows no clear descent: the
        curve of an already trained model is typically flat and noisy until
        it diverges, and any point of it would be a guess.
    """
    _check_lr_range(start_lr, end_lr, num_steps)
    validation.check_float(
        "min_descent", min_descent, minimum=0.0, maximum=1.0, include_max=False
    )
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
    suggestion, why = _suggest(finder.learning_rates, finder.losses, min_descent)
    result = LRFinderResult(
        finder.learning_rates, finder.losses, suggestion, message=why
    )
    if why is not None:
        warnings.warn(f"`lr_find` suggests no learning rate: {why}.", stacklevel=2)
    if plot_path == "auto":
        name = getattr(model, "task_name", None) or model.name
        plot_path = os.path.join(
            utils.tb_root(), name, f"lr_find-{utils.run_name()}.png"
        )
    if plot_path is not None:
        result.plot(plot_path)
    return result
