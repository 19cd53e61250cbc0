"""Child process of the distributed tuning test (run as a script).

Usage: python distributed_child.py ROLE TUNER_ID PORT DIRECTORY OUT_JSON

ROLE is "chief" or "worker". Workers mark the start of each trial in
DIRECTORY/started_<TUNER_ID>, and at the end of their first trial wait (up to
60 s) until every worker named in KR_TEST_WORKERS has started one: so each
worker runs at least one trial however unevenly the processes start.
The result (trials, trials run here, best score, restored environment) is
written to OUT_JSON.
"""

import json
import os
import sys
import time

if __name__ == "__main__":
    import keras

    import keras_recipes as kr

    role, tuner_id, port, directory, out_path = sys.argv[1:6]
    workers = os.environ.get("KR_TEST_WORKERS", "").split(",")

    class Barrier(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            open(os.path.join(directory, f"started_{tuner_id}"), "w").close()

        def on_train_end(self, logs=None):
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not all(
                os.path.exists(os.path.join(directory, f"started_{w}")) for w in workers
            ):
                time.sleep(0.05)

    (x, y), _ = kr.datasets.load_digits()
    distributed = {"role": role, "oracle_ip": "127.0.0.1", "oracle_port": int(port)}
    if role == "worker":
        distributed["tuner_id"] = tuner_id
    result = kr.tune(
        kr.image_classifier,
        (x[:300], y[:300]),
        tuner="random",
        max_trials=4,
        epochs=1,
        # 4 distinct sets: with max_trials=4, every set runs exactly once.
        search_space={"width": [8, 16], "depth": [1, 2]},
        model_kwargs={"augmentation": None, "dropout": 0.0, "learning_rate": 1e-2},
        callbacks=[Barrier()] if role == "worker" else None,
        directory=directory,
        project_name="dist",
        seed=3,
        tensorboard=False,
        verbose=1,
        distributed=distributed,
    )
    best = result.best_model
    with open(out_path, "w") as file:
        json.dump(
            {
                "role": result.role,
                "objective": result.objective,
                "trials": result.trials,
                "trial_ids_run": result.trial_ids_run,
                "best_score": result.best_score,
                "best_values": None
                if result.best_hyperparameters is None
                else dict(result.best_hyperparameters.values),
                "best_output_shape": None if best is None else list(best.output_shape),
                "env_after": {
                    k: os.environ.get(k)
                    for k in (
                        "KERASTUNER_TUNER_ID",
                        "KERASTUNER_ORACLE_IP",
                        "KERASTUNER_ORACLE_PORT",
                    )
                },
            },
            file,
        )
