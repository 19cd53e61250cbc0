"""Checks every task must pass; each task's test module calls them.

- `check_config_round_trip`: `from_config(get_config())` rebuilds an equal model.
- `check_save_load_fresh_process`: `.keras` save, load in a *fresh* Python
  process with `kr.load_model` (no `custom_objects`), same class, equal
  predictions (and equal predicted labels) on the given raw inputs.
- `check_fit_arrays_and_tf_data`: `fit` works on in-memory inputs and on a
  batched `tf.data.Dataset`, and the loss goes down.
- `check_predict_by_batches`: `predict` of in-memory rows (batch by batch, no
  tf.data pipeline) gives the numbers of Keras' loop over the pipeline.
"""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import tensorflow as tf

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A seq2seq Transformer small enough to train in seconds; it still learns the
# bundled dates corpus (shared by the seq2seq task and ONNX export tests).
TINY_SEQ2SEQ = dict(
    embedding_dim=32,
    num_heads=2,
    intermediate_dim=64,
    num_encoder_layers=1,
    num_decoder_layers=1,
    dropout=0.0,
    learning_rate=3e-3,
)


def check_config_round_trip(model, x):
    config = model.get_config()
    json.dumps(config)  # the config must be plain JSON
    clone = type(model).from_config(config)
    assert type(clone) is type(model)
    assert clone.get_config() == config
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(
        clone.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6
    )
    return clone


def _save_inputs(x, path):
    """Pickles raw inputs (arrays, string lists, dicts of columns)."""
    import pickle

    with open(path, "wb") as file:
        pickle.dump(x, file)


def check_save_load_fresh_process(model, x, tmp_path):
    """Saves, loads in a fresh interpreter, and compares predictions."""
    model_path = os.path.join(tmp_path, "model.keras")
    inputs_path = os.path.join(tmp_path, "inputs.pkl")
    out_path = os.path.join(tmp_path, "out.npz")
    model.save(model_path)
    _save_inputs(x, inputs_path)
    script = textwrap.dedent(
        f"""
        import json, pickle, numpy as np
        import keras_recipes as kr
        model = kr.load_model({model_path!r})
        with open({inputs_path!r}, "rb") as f:
            x = pickle.load(f)
        probs = model.predict(x, verbose=0)
        labels = [str(v) for v in model.predict_labels(x)]
        np.savez({out_path!r}, probs=probs, labels=np.array(labels),
                 cls=np.array(type(model).__name__))
        """
    )
    env = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = np.load(out_path)
    assert str(out["cls"]) == type(model).__name__
    np.testing.assert_allclose(out["probs"], model.predict(x, verbose=0), atol=1e-5)
    assert [str(v) for v in model.predict_labels(x)] == list(out["labels"])


def check_fit_arrays_and_tf_data(model, x, y, epochs=2, batch_size=16):
    """Fits on arrays then on a tf.data.Dataset built from the same data."""
    history = model.fit((x, y), epochs=epochs, batch_size=batch_size, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)), losses
    y_enc = model.encode_y(y)
    x_ready = model.check_x(x) if not isinstance(x, dict) else x
    ds = tf.data.Dataset.from_tensor_slices((x_ready, y_enc)).batch(batch_size)
    history = model.fit(ds, epochs=epochs, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    return history


def check_predict_by_batches(model, x, capsys):
    """`predict` of in-memory rows, batch by batch, vs Keras' loop on the pipeline.

    `x` holds 6 rows. Keras' own `predict` over the template's `tf.data`
    pipeline is the reference; the template's `predict` must give its numbers
    without entering that loop, at any batch size, and print a progress bar
    only when Keras would (not for a single batch under `verbose="auto"`).
    """

    def rows(stop):
        return x.iloc[:stop] if hasattr(x, "iloc") else x[:stop]

    ds = model.make_dataset(model.to_data(x, with_labels=False), batch_size=4)
    reference = keras.Model.predict(model, ds, verbose=0)
    capsys.readouterr()
    loop = keras.Model.predict
    keras.Model.predict = None  # any fall-back to Keras' loop fails here
    try:
        for batch_size in (2, 4, 6, 32):
            got = model.predict(x, batch_size=batch_size, verbose=0)
            np.testing.assert_allclose(got, reference, rtol=1e-5, atol=1e-6)
        assert capsys.readouterr().out == ""
        model.predict(x, batch_size=2)  # default verbose, three batches: a bar
        assert "3/3" in capsys.readouterr().out
        model.predict(rows(1), verbose=1)  # asked for: a bar even for one batch
        assert "1/1" in capsys.readouterr().out
        one = model.predict(rows(1))  # default verbose, one batch: silent
        assert capsys.readouterr().out == ""
    finally:
        keras.Model.predict = loop
    np.testing.assert_allclose(one, reference[:1], rtol=1e-5, atol=1e-6)
