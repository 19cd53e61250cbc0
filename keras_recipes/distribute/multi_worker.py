"""MultiWorkerMirroredStrategy from `TF_CONFIG`."""

import json
import os

import tensorflow as tf


def strategy():
    """Builds a MultiWorkerMirroredStrategy from the `TF_CONFIG` env variable."""
    config = os.environ.get("TF_CONFIG")
    if not config:
        raise ValueError(
            "`strategy='multi_worker'` needs the TF_CONFIG environment variable "
            "(cluster + task). Received: TF_CONFIG unset"
        )
    try:
        json.loads(config)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"TF_CONFIG must be JSON. Received: TF_CONFIG={config[:80]!r} ({error})"
        ) from None
    return tf.distribute.MultiWorkerMirroredStrategy()
