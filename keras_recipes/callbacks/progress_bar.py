"""`ProgressBar`: a rich progress bar for `fit` (use with `verbose=0`)."""

import sys

import keras

from keras_recipes.callbacks.base import StatelessCallback


@keras.saving.register_keras_serializable(package="keras_recipes")
class ProgressBar(StatelessCallback):
    """A `rich` progress bar per epoch with live metrics (Colab friendly).

    Pass `verbose=0` to `fit` so Keras' own bar is off. Without a terminal
    (or `rich`), prints one summary line per epoch instead. Replaces TF
    Addons' `TQDMProgressBar`.

    Args:
        file: stream to write to; default `sys.stderr` at train time.
        show_epoch_summary: print the epoch metrics when an epoch ends.

    Example:

    >>> import io, numpy as np
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> stream = io.StringIO()
    >>> _ = model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=2, verbose=0,
    ...               callbacks=[ProgressBar(file=stream)])
    >>> "epoch 2/2" in stream.getvalue()
    True
    """

    # Moves once per chunk when Keras runs several batches per call.
    steps_per_execution_safe = True

    def __init__(self, file=None, show_epoch_summary=True):
        super().__init__()
        if file is not None and not hasattr(file, "write"):
            raise TypeError(
                "`file` must be None or a writable text stream. "
                f"Received: file={file!r}"
            )
        self.file = file
        self.show_epoch_summary = show_epoch_summary

    def on_train_begin(self, logs=None):
        from rich.console import Console
        from rich.progress import BarColumn
        from rich.progress import MofNCompleteColumn
        from rich.progress import Progress
        from rich.progress import TextColumn
        from rich.progress import TimeRemainingColumn

        self._console = Console(file=self.file or sys.stderr)
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[metrics]}"),
            console=self._console,
            transient=True,
        )
        self._progress.start()
        self._task = None

    def on_epoch_begin(self, epoch, logs=None):
        epochs = self.params.get("epochs")
        self._description = f"epoch {epoch + 1}/{epochs}"
        self._task = self._progress.add_task(
            self._description, total=self.params.get("steps"), metrics=""
        )

    @staticmethod
    def _format(logs):
        return " ".join(
            f"{k}={float(v):.4g}"
            for k, v in (logs or {}).items()
            if isinstance(v, int | float) or hasattr(v, "__float__")
        )

    def on_train_batch_end(self, batch, logs=None):
        if self._task is not None:
            steps = self.params.get("steps")  # a last, shorter chunk ends early
            done = batch + 1 if steps is None else min(batch + 1, steps)
            self._progress.update(
                self._task, completed=done, metrics=self._format(logs)
            )

    def on_epoch_end(self, epoch, logs=None):
        if self._task is not None:
            self._progress.remove_task(self._task)
            self._task = None
        if self.show_epoch_summary:
            self._console.print(
                f"{self._description}: {self._format(logs)}", highlight=False
            )

    def on_train_end(self, logs=None):
        self._progress.stop()

    def get_config(self):
        return {"file": self.file, "show_epoch_summary": self.show_epoch_summary}
