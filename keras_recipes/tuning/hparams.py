"""TensorBoard HParams for `kr.tune`: one run per trial, the full domain."""

import os

import tensorflow as tf


def _api():
    from tensorboard.plugins.hparams import api as hp_api

    return hp_api


def _domain(hp_api, param):
    from keras_tuner.engine import hyperparameters as kt_hp

    if isinstance(param, kt_hp.Boolean):
        return hp_api.Discrete([False, True])
    if isinstance(param, kt_hp.Fixed):
        return hp_api.Discrete([param.value])
    if isinstance(param, kt_hp.Choice):
        return hp_api.Discrete(list(param.values))
    if isinstance(param, kt_hp.Int):
        return hp_api.IntInterval(int(param.min_value), int(param.max_value))
    if isinstance(param, kt_hp.Float):
        return hp_api.RealInterval(float(param.min_value), float(param.max_value))
    return None


def _metric(hp_api, name):
    group, tag = (
        ("validation", name[4:]) if name.startswith("val_") else ("train", name)
    )
    return hp_api.Metric(f"epoch_{tag}", group=group, display_name=name)


def write_config(logdir, hyperparameters, objective_name, metric_names=()):
    """Writes the experiment (HParams domain + metrics) at the log root.

    Args:
        logdir: the search's TensorBoard root; trials log under
            `logdir/trial_<id>/`.
        hyperparameters: the oracle's `HyperParameters` (its full space).
        objective_name: the objective (shown first among the metrics).
        metric_names: other Keras log names to show (`"loss"`, `"val_loss"`).
    """

    hp_api = _api()
    params = []
    for param in hyperparameters.space:
        domain = _domain(hp_api, param)
        params.append(hp_api.HParam(param.name, domain))
    names = [objective_name] + [m for m in metric_names if m != objective_name]
    metrics = [_metric(hp_api, name) for name in names]
    os.makedirs(logdir, exist_ok=True)
    with tf.summary.create_file_writer(logdir).as_default():
        hp_api.hparams_config(hparams=params, metrics=metrics)


def write_trial(logdir, trial):
    """Writes one trial's hyperparameter values (the HParams session start)."""

    hp_api = _api()
    values = {
        name: value
        for name, value in trial.hyperparameters.values.items()
        if not name.startswith("tuner/") and isinstance(value, bool | int | float | str)
    }
    os.makedirs(logdir, exist_ok=True)
    writer = tf.summary.create_file_writer(logdir)
    with writer.as_default():
        hp_api.hparams(values, trial_id=f"trial_{trial.trial_id}")
    writer.close()
