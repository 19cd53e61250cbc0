"""`model.interpret`: confusion matrix, report, most confused, top losses."""

import numpy as np
import tensorflow as tf
from sklearn.metrics import confusion_matrix

import keras_recipes as kr


def test_interpret_a_trained_task(digits, tmp_path):
    (x, y), (xv, yv) = digits
    kr.set_seed(0)
    model = kr.tasks.ImageClassifier(
        num_classes=10,
        image_shape=(8, 8, 1),
        width=8,
        depth=2,
        augmentation=None,
        class_names=[f"d{i}" for i in range(10)],
    )
    model.fit(
        (x[:300], [f"d{i}" for i in y[:300]]),
        epochs=1,
        batch_size=32,
        verbose=0,
        tensorboard=False,
    )
    labels = [f"d{i}" for i in yv]
    result = model.interpret((xv, labels), top_k=5, output_dir=str(tmp_path))
    probs = model.predict(xv, verbose=0)
    pred = probs.argmax(-1)
    np.testing.assert_array_equal(
        result.confusion_matrix, confusion_matrix(yv, pred, labels=range(10))
    )
    assert result.accuracy == (pred == yv).mean()
    assert set(result.report) >= {"d0", "d9", "macro avg", "weighted avg"}
    assert 0 <= result.report["d3"]["f1-score"] <= 1
    counts = [c for _, _, c in result.most_confused]
    assert counts == sorted(counts, reverse=True) and counts
    true_name, pred_name, count = result.most_confused[0]
    i, j = int(true_name[1:]), int(pred_name[1:])
    off = result.confusion_matrix - np.diag(np.diag(result.confusion_matrix))
    assert count == result.confusion_matrix[i, j] == off.max()
    losses = [t["loss"] for t in result.top_losses]
    assert len(losses) == 5 and losses == sorted(losses, reverse=True)
    worst = result.top_losses[0]
    assert worst["loss"] == np.max(
        -np.log(np.clip(probs[np.arange(len(yv)), yv], 1e-12, 1))
    )
    with open(result.plot_path, "rb") as file:
        assert file.read(4) == b"\x89PNG"
    # tf.data input of (raw images, class indices) gives the same matrix.
    ds = tf.data.Dataset.from_tensor_slices((xv.astype("float32"), yv)).batch(64)
    again = kr.interpret.interpret(model, ds, output_dir=None)
    np.testing.assert_array_equal(again.confusion_matrix, result.confusion_matrix)
    assert again.plot_path is None and "accuracy" in repr(again)
