"""Child process for the SIGKILL resume test (run as a script, not imported).

Usage: python search_child.py DIRECTORY OUT_JSON [KILL]
With KILL, the process SIGKILLs itself in the middle of epoch 2 of the
second trial (after the epoch-1 backup was written).
"""

import json
import os
import signal
import sys

if __name__ == "__main__":
    import keras

    import keras_recipes as kr

    directory, out_path = sys.argv[1], sys.argv[2]
    kill = len(sys.argv) > 3

    class Probe(keras.callbacks.Callback):
        trainings = 0
        epochs = []

        def on_train_begin(self, logs=None):
            Probe.trainings += 1
            Probe.epochs.append([])

        def on_epoch_begin(self, epoch, logs=None):
            Probe.epochs[-1].append(int(epoch))

        def on_train_batch_end(self, batch, logs=None):
            if (
                kill
                and Probe.trainings == 2
                and Probe.epochs[-1][-1] == 1
                and (batch == 2)
            ):
                os.kill(os.getpid(), signal.SIGKILL)

    (x, y), _ = kr.datasets.load_digits()
    result = kr.tune(
        kr.image_classifier,
        (x[:300], y[:300]),
        tuner="random",
        max_trials=2,
        epochs=2,
        model_kwargs={"width": 8, "depth": 2, "augmentation": None, "dropout": 0.0},
        search_space={"learning_rate": (1e-3, 3e-2)},
        objective="val_loss",
        fit_kwargs={"shuffle": False},
        callbacks=[Probe()],
        directory=directory,
        project_name="killed",
        seed=7,
        tensorboard=False,
        verbose=1,
    )
    with open(out_path, "w") as file:
        json.dump(
            {
                "trials": result.trials,
                "best_score": result.best_score,
                "completed": result.completed_trials,
                "trials_run": result.trials_run,
                "epochs": Probe.epochs,
            },
            file,
        )
