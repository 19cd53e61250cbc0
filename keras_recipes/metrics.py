"""`kr.metrics`: Cohen's kappa, multi-class MCC and corpus BLEU."""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from keras_recipes import validation

WEIGHTAGES = (None, "linear", "quadratic")


class _ConfusionMatrixMetric(keras.metrics.Metric):
    """Accumulates a `(num_classes, num_classes)` confusion matrix."""

    def __init__(self, num_classes, sparse_labels=True, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        validation.check_int("num_classes", num_classes, minimum=2)
        if not isinstance(sparse_labels, bool):
            raise TypeError(
                "`sparse_labels` must be True or False. "
                f"Received: sparse_labels={sparse_labels!r}"
            )
        self.num_classes = num_classes
        self.sparse_labels = sparse_labels
        n = int(num_classes)
        self.confusion = self.add_variable(
            shape=(n, n), initializer="zeros", dtype="float32", name="confusion"
        )

    def _indices(self, values, labels):
        values = ops.convert_to_tensor(values)
        n = int(self.num_classes)
        ranked = len(values.shape) >= 2
        if labels:
            one_hot = not self.sparse_labels
            if not one_hot and ranked and values.shape[-1] == n:
                raise ValueError(
                    "`y_true` must hold class indices with sparse_labels=True; "
                    "for one-hot labels pass sparse_labels=False. "
                    f"Received: y_true with shape {tuple(values.shape)}"
                )
        else:
            one_hot = ranked and values.shape[-1] == n
        if one_hot:
            values = ops.argmax(values, axis=-1)
        elif "float" in str(values.dtype):
            values = ops.round(values)
        return ops.reshape(ops.cast(values, "int32"), (-1,))

    def update_state(self, y_true, y_pred, sample_weight=None):
        n = int(self.num_classes)
        true = ops.clip(self._indices(y_true, True), 0, n - 1)
        pred = ops.clip(self._indices(y_pred, False), 0, n - 1)
        weights = ops.ones_like(true, dtype="float32")
        if sample_weight is not None:
            weights = ops.reshape(ops.cast(sample_weight, "float32"), (-1,))
        flat = true * n + pred
        counts = ops.segment_sum(weights, flat, num_segments=n * n)
        self.confusion.assign_add(ops.reshape(counts, (n, n)))

    def reset_state(self):
        self.confusion.assign(ops.zeros_like(self.confusion))

    def get_config(self):
        config = super().get_config()
        config.update(
            {"num_classes": self.num_classes, "sparse_labels": self.sparse_labels}
        )
        return config


@keras.saving.register_keras_serializable(package="keras_recipes")
class CohenKappa(_ConfusionMatrixMetric):
    """Cohen's kappa: agreement between labels and predictions beyond chance.

    `kappa = 1 - sum(W * O) / sum(W * E)`, with `O` the confusion matrix, `E`
    the one expected by chance and `W` the disagreement weights: 0/1
    (`weightage=None`), `|i - j|` (`"linear"`) or `(i - j) ** 2`
    (`"quadratic"`, the usual choice for ordinal grades). Matches
    `sklearn.metrics.cohen_kappa_score`.

    Args:
        num_classes: number of classes (>= 2).
        weightage: `None`, `"linear"` or `"quadratic"`.
        sparse_labels: `y_true` holds class indices (`True`) or one-hot rows.
            `y_pred` may hold probabilities (argmax is taken when its last
            axis has `num_classes` entries) or class indices.
        name: metric name.
        dtype: metric dtype.

    Example:

    >>> import numpy as np
    >>> metric = CohenKappa(num_classes=3, weightage="quadratic")
    >>> metric.update_state(np.array([0, 1, 2, 2]), np.array([0, 2, 2, 1]))
    >>> round(float(metric.result()), 4)
    0.6364
    """

    def __init__(
        self,
        num_classes,
        weightage=None,
        sparse_labels=True,
        name="cohen_kappa",
        dtype=None,
    ):
        if weightage is not None:
            validation.check_choice("weightage", weightage, ("linear", "quadratic"))
        super().__init__(num_classes, sparse_labels, name=name, dtype=dtype)
        self.weightage = weightage

    def result(self):
        n = int(self.num_classes)
        confusion = self.confusion
        index = ops.cast(ops.arange(n), "float32")
        diff = ops.abs(index[:, None] - index[None, :])
        if self.weightage == "linear":
            weights = diff
        elif self.weightage == "quadratic":
            weights = ops.square(diff)
        else:
            weights = ops.cast(diff > 0, "float32")
        total = ops.sum(confusion)
        expected = ops.divide_no_nan(
            ops.sum(confusion, axis=1)[:, None] * ops.sum(confusion, axis=0)[None, :],
            total,
        )
        observed = ops.sum(weights * confusion)
        chance = ops.sum(weights * expected)
        return 1.0 - ops.divide_no_nan(observed, chance)

    def get_config(self):
        config = super().get_config()
        config.update({"weightage": self.weightage})
        return config


@keras.saving.register_keras_serializable(package="keras_recipes")
class MatthewsCorrelationCoefficient(_ConfusionMatrixMetric):
    """Multi-class Matthews correlation coefficient (Gorodkin's R_K).

    A balanced single-number summary of the confusion matrix in `[-1, 1]`
    (1: perfect, 0: chance). Matches `sklearn.metrics.matthews_corrcoef`.

    Args:
        num_classes: number of classes (>= 2).
        sparse_labels: `y_true` holds class indices (`True`) or one-hot rows;
            `y_pred` may hold probabilities or class indices.
        name: metric name.
        dtype: metric dtype.

    Example:

    >>> import numpy as np
    >>> metric = MatthewsCorrelationCoefficient(num_classes=3)
    >>> metric.update_state(np.array([0, 1, 2, 2]), np.array([0, 2, 2, 1]))
    >>> round(float(metric.result()), 4)
    0.2
    """

    def __init__(self, num_classes, sparse_labels=True, name="mcc", dtype=None):
        super().__init__(num_classes, sparse_labels, name=name, dtype=dtype)

    def result(self):
        confusion = self.confusion
        total = ops.sum(confusion)
        correct = ops.trace(confusion)
        true_sums = ops.sum(confusion, axis=1)
        pred_sums = ops.sum(confusion, axis=0)
        cov_tp = correct * total - ops.sum(true_sums * pred_sums)
        cov_pp = total * total - ops.sum(pred_sums * pred_sums)
        cov_tt = total * total - ops.sum(true_sums * true_sums)
        return ops.divide_no_nan(cov_tp, ops.sqrt(cov_pp * cov_tt))


# --------------------------------------------------------------------- BLEU
def _to_sentences(values, pad_id, end_id):
    values = np.asarray(values)
    if values.dtype.kind in "SUO":
        flat = values.reshape(len(values), -1)[:, 0] if values.ndim > 1 else values
        return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in flat]
    if values.dtype.kind == "f" and values.ndim == 3:
        values = values.argmax(-1)
    sentences = []
    for row in values.astype("int64").reshape(len(values), -1):
        tokens = []
        for token in row:
            if end_id is not None and token == end_id:
                break
            if token != pad_id:
                tokens.append(str(int(token)))
        sentences.append(" ".join(tokens))
    return sentences


def bleu_statistics(references, hypotheses, tokenize="13a", max_ngram_order=4):
    """Corpus BLEU sufficient statistics, computed by sacrebleu on the host.

    Args:
        references: list of reference strings (one per hypothesis).
        hypotheses: list of hypothesis strings.
        tokenize: sacrebleu tokenizer (`"13a"`, `"none"`, `"intl"`, ...).
        max_ngram_order: highest n-gram order.

    Returns:
        A float64 array `[correct_1..n, total_1..n, sys_len, ref_len]`.

    Example:

    >>> bleu_statistics(["a b c"], ["a b d"], max_ngram_order=2).tolist()
    [2.0, 1.0, 3.0, 2.0, 3.0, 3.0]
    """
    from sacrebleu.metrics import BLEU  # optional dependency, loaded on first use

    bleu = BLEU(tokenize=tokenize, max_ngram_order=max_ngram_order)
    score = bleu.corpus_score(list(hypotheses), [list(references)])
    return np.asarray(
        [*score.counts, *score.totals, score.sys_len, score.ref_len], "float64"
    )


def translation_scores(references, hypotheses, tokenize="13a"):
    """Corpus BLEU (`sacrebleu.corpus_bleu`) and exact-match rate.

    Args:
        references: list of reference strings (one per hypothesis).
        hypotheses: list of hypothesis strings (e.g. translations).
        tokenize: sacrebleu tokenizer (`"13a"`, `"char"`, `"intl"`, ...).

    Returns:
        `{"bleu": float in [0, 100], "exact_match": float in [0, 1],
        "num_samples": int}`.

    Example:

    >>> scores = translation_scores(["a b c d", "e f"], ["a b c d", "e g"])
    >>> scores["exact_match"], scores["num_samples"]
    (0.5, 2)
    """
    import sacrebleu  # optional dependency, loaded on first use

    bleu = sacrebleu.corpus_bleu(
        list(hypotheses), [list(references)], tokenize=tokenize
    )
    exact = np.mean([h == t for h, t in zip(hypotheses, references)])
    return {
        "bleu": float(bleu.score),
        "exact_match": float(exact),
        "num_samples": len(references),
    }


@keras.saving.register_keras_serializable(package="keras_recipes")
class CorpusBLEU(keras.metrics.Metric):
    """Corpus-level BLEU (sacrebleu-compatible), accumulated over batches.

    Accepts token ids (`(batch, length)` ints, or `(batch, length, vocab)`
    probabilities, argmax taken) or strings (`(batch,)`). Token ids equal to
    `pad_id` are dropped and a sequence stops at `end_id`; ids are compared as
    whitespace-separated tokens (`tokenize="none"`), strings with the sacrebleu
    `tokenize` tokenizer. The result is on the 0-100 scale and equals
    `sacrebleu.corpus_bleu` (smoothing `"exp"`, the sacrebleu default, or
    `"none"`) over everything seen since the last reset.

    Host computation: the n-gram statistics of each batch are computed by
    sacrebleu in Python (through `tf.numpy_function`, TensorFlow backend
    only); only four-gram counts are accumulated in metric variables, and
    `result()` is computed with `keras.ops`. This costs a host round trip
    per batch, so use it for validation rather than on every training step.

    Args:
        pad_id: padding token id to drop (token-id inputs).
        end_id: optional end-of-sequence id; tokens after it are dropped.
        tokenize: sacrebleu tokenizer for string inputs.
        smooth_method: `"exp"` (sacrebleu default) or `"none"`.
        max_ngram_order: highest n-gram order (default 4).
        name: metric name.
        dtype: metric dtype.

    Example:

    >>> import numpy as np
    >>> metric = CorpusBLEU()
    >>> refs = np.array(["the cat sat on the mat"])
    >>> metric.update_state(refs, np.array(["the cat sat on a mat"]))
    >>> round(float(metric.result()), 2)
    53.73
    """

    def __init__(
        self,
        pad_id=0,
        end_id=None,
        tokenize="13a",
        smooth_method="exp",
        max_ngram_order=4,
        name="bleu",
        dtype=None,
    ):
        super().__init__(name=name, dtype=dtype)
        validation.check_int("pad_id", pad_id)
        if end_id is not None:
            validation.check_int("end_id", end_id)
        validation.check_choice("smooth_method", smooth_method, ("exp", "none"))
        validation.check_int("max_ngram_order", max_ngram_order, minimum=1)
        from sacrebleu.metrics.bleu import _TOKENIZERS  # optional, loaded on use

        validation.check_choice("tokenize", tokenize, tuple(_TOKENIZERS))
        self.pad_id = pad_id
        self.end_id = end_id
        self.tokenize = tokenize
        self.smooth_method = smooth_method
        self.max_ngram_order = max_ngram_order
        self.stats = self.add_variable(
            shape=(2 * int(max_ngram_order) + 2,),
            initializer="zeros",
            dtype="float64",
            name="stats",
        )

    def _batch_stats(self, y_true, y_pred):
        references = _to_sentences(y_true, self.pad_id, self.end_id)
        hypotheses = _to_sentences(y_pred, self.pad_id, self.end_id)
        strings = np.asarray(y_true).dtype.kind in "SUO"
        return bleu_statistics(
            references,
            hypotheses,
            tokenize=self.tokenize if strings else "none",
            max_ngram_order=int(self.max_ngram_order),
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        if tf.executing_eagerly():
            stats = self._batch_stats(np.asarray(y_true), np.asarray(y_pred))
        else:
            stats = tf.numpy_function(
                self._batch_stats, [y_true, y_pred], "float64", stateful=False
            )
            stats = tf.ensure_shape(stats, self.stats.shape)
        self.stats.assign_add(stats)

    def result(self):
        n = int(self.max_ngram_order)
        correct, total = self.stats[:n], self.stats[n : 2 * n]
        sys_len, ref_len = self.stats[2 * n], self.stats[2 * n + 1]
        if self.smooth_method == "exp":
            zero = ops.cast(ops.logical_and(correct == 0, total > 0), "float64")
            smooth = ops.power(2.0, ops.cumsum(zero))
            fallback = ops.divide_no_nan(ops.ones_like(total), smooth * total)
        else:
            fallback = ops.zeros_like(total)
        precision = ops.where(correct > 0, ops.divide_no_nan(correct, total), fallback)
        any_zero = ops.any(precision <= 0)
        log_mean = ops.mean(ops.log(ops.where(precision > 0, precision, 1.0)))
        ratio = ops.divide_no_nan(ref_len, sys_len)
        brevity = ops.where(sys_len < ref_len, ops.exp(1.0 - ratio), 1.0)
        score = 100.0 * brevity * ops.exp(log_mean)
        score = ops.where(ops.logical_or(any_zero, sys_len <= 0), 0.0, score)
        return ops.cast(score, "float32")

    def reset_state(self):
        self.stats.assign(ops.zeros_like(self.stats))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "pad_id": self.pad_id,
                "end_id": self.end_id,
                "tokenize": self.tokenize,
                "smooth_method": self.smooth_method,
                "max_ngram_order": self.max_ngram_order,
            }
        )
        return config


__all__ = [
    "CohenKappa",
    "CorpusBLEU",
    "MatthewsCorrelationCoefficient",
    "bleu_statistics",
    "translation_scores",
]
