"""Greedy and beam decoding (`kr.samplers`) of a trained translator."""

import numpy as np
import tensorflow as tf

from keras_recipes.tasks.seq2seq_preprocessor import END_ID
from keras_recipes.tasks.seq2seq_preprocessor import START_ID


def test_beam_width_1_equals_greedy(trained_translator, dates):
    model, _ = trained_translator
    _, (x_test, _) = dates
    ids = model.vectorize_sources(tf.constant(x_test[:30])).numpy()
    greedy = model.generate_ids(ids, method="greedy")
    beam = model.generate_ids(ids, beam_width=1, method="beam")
    np.testing.assert_array_equal(beam, greedy)
    assert (greedy[:, 0] == START_ID).all() and (greedy == END_ID).any(axis=1).all()


def test_greedy_matches_teacher_forced_argmax(trained_translator, dates):
    """The in-graph decoder reproduces the functional model's predictions."""
    model, _ = trained_translator
    _, (x_test, _) = dates
    ids = model.vectorize_sources(tf.constant(x_test[:16])).numpy()
    out = model.generate_ids(ids, max_length=8)
    width = out.shape[1]
    logits = model.predict({"encoder_ids": ids, "decoder_ids": out}, verbose=0)
    predicted = np.argmax(logits[:, : width - 1, 4:], axis=-1) + 4
    for row, pred in zip(out, predicted):
        generated = row[1:]
        n = int((generated != 0).sum())
        if END_ID in generated:
            n = int(np.argmax(generated == END_ID))  # END itself is masked
        np.testing.assert_array_equal(pred[:n], generated[:n])
