"""kr.metrics against scikit-learn and sacrebleu."""

import keras
import numpy as np
import pytest
import sacrebleu
from sklearn.metrics import cohen_kappa_score
from sklearn.metrics import matthews_corrcoef

from keras_recipes import metrics

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("weightage", [None, "linear", "quadratic"])
def test_cohen_kappa_matches_sklearn_over_batches(weightage):
    y = RNG.integers(0, 4, 60)
    pred = np.where(RNG.random(60) < 0.6, y, RNG.integers(0, 4, 60))
    probs = np.eye(4)[pred] * 0.7 + 0.075
    metric = metrics.CohenKappa(num_classes=4, weightage=weightage)
    for start in range(0, 60, 16):  # batches, probabilities as y_pred
        metric.update_state(y[start : start + 16], probs[start : start + 16])
    expected = cohen_kappa_score(y, pred, weights=weightage)
    assert float(metric.result()) == pytest.approx(expected, abs=1e-5)
    with pytest.raises(ValueError, match="pass sparse_labels=False"):
        metric.update_state(np.eye(4)[y], pred)
    onehot = metrics.CohenKappa(4, weightage=weightage, sparse_labels=False)
    onehot.update_state(np.eye(4)[y], pred)
    assert float(onehot.result()) == pytest.approx(expected, abs=1e-5)


def test_mcc_matches_sklearn_and_works_in_fit():
    y = RNG.integers(0, 3, 50)
    pred = np.where(RNG.random(50) < 0.5, y, RNG.integers(0, 3, 50))
    metric = metrics.MatthewsCorrelationCoefficient(num_classes=3)
    metric.update_state(y, pred)
    assert float(metric.result()) == pytest.approx(matthews_corrcoef(y, pred), abs=1e-5)
    x = RNG.random((40, 3)).astype("float32")
    labels = x.argmax(-1)
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(inputs))
    model.compile(
        keras.optimizers.Adam(0.1),
        "sparse_categorical_crossentropy",
        metrics=[
            metrics.MatthewsCorrelationCoefficient(3),
            metrics.CohenKappa(3, weightage="quadratic"),
        ],
    )
    model.fit(x, labels, epochs=15, batch_size=8, verbose=0)
    logs = model.evaluate(x, labels, verbose=0, return_dict=True)
    pred = model.predict(x, verbose=0).argmax(-1)
    assert logs["mcc"] == pytest.approx(matthews_corrcoef(labels, pred), abs=1e-4)
    assert logs["cohen_kappa"] == pytest.approx(
        cohen_kappa_score(labels, pred, weights="quadratic"), abs=1e-4
    )


@pytest.mark.parametrize("smooth", ["exp", "none"])
def test_bleu_matches_sacrebleu_on_strings_and_ids(smooth):
    refs = [
        "the cat sat on the mat",
        "a dog ran in the park today",
        "hello world",
        "it is raining",
    ]
    hyps = ["the cat sat on a mat", "a dog runs in a park", "hello there world", "rain"]
    metric = metrics.CorpusBLEU(smooth_method=smooth)
    metric.update_state(np.array(refs[:2]), np.array(hyps[:2]))
    metric.update_state(np.array(refs[2:]), np.array(hyps[2:]))
    expected = sacrebleu.corpus_bleu(hyps, [refs], smooth_method=smooth).score
    assert float(metric.result()) == pytest.approx(expected, abs=1e-3)
    ids_ref = RNG.integers(1, 9, size=(6, 8))
    ids_hyp = np.where(RNG.random((6, 8)) < 0.7, ids_ref, 9)
    ids_ref[:, 6:] = 0  # padding
    metric = metrics.CorpusBLEU(smooth_method=smooth)
    metric.update_state(ids_ref, ids_hyp)
    strings = (
        [" ".join(str(t) for t in row if t) for row in ids_ref],
        [" ".join(str(t) for t in row if t) for row in ids_hyp],
    )
    expected = sacrebleu.corpus_bleu(
        strings[1], [strings[0]], tokenize="none", smooth_method=smooth
    ).score
    assert float(metric.result()) == pytest.approx(expected, abs=1e-3)


def test_bleu_end_id_truncates():
    metric = metrics.CorpusBLEU(end_id=2)
    metric.update_state(np.array([[5, 6, 7, 8, 2, 9]]), np.array([[5, 6, 7, 8, 2, 4]]))
    assert float(metric.result()) == pytest.approx(100.0)
