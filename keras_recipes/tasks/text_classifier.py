"""`kr.text_classifier` / `kr.tasks.TextClassifier`."""

import keras
import numpy as np
from keras import ops

from keras_recipes import validation
from keras_recipes.data.pipeline import Data
from keras_recipes.distribute import get_strategy
from keras_recipes.tasks.classifier import Classifier
from keras_recipes.tasks.classifier import check_classes
from keras_recipes.tasks.factory_data import check_factory_data
from keras_recipes.tasks.multi_label import head_activation
from keras_recipes.tasks.multi_label import infer_classes
from keras_recipes.tasks.multi_label import labels_array
from keras_recipes.tasks.text_backbone import ARCHITECTURES
from keras_recipes.tasks.text_backbone import POOLINGS
from keras_recipes.tasks.text_backbone import RNNS
from keras_recipes.tasks.text_backbone import adapt_bigrams
from keras_recipes.tasks.text_backbone import bigram_ids
from keras_recipes.tasks.text_backbone import check_bigrams
from keras_recipes.tasks.text_backbone import deep_features
from keras_recipes.tasks.text_backbone import wide_scores
from keras_recipes.tasks.text_preprocessor import TextPreprocessor
from keras_recipes.tasks.text_preprocessor import check_text_options
from keras_recipes.tasks.text_preprocessor import check_texts
from keras_recipes.tasks.text_preprocessor import is_text
from keras_recipes.utils import set_seed
from keras_recipes.validation import as_array

# A streamed file's wide-path bigrams are counted on its first texts.
STREAM_BIGRAM_TEXTS = 200_000
# Output multiplier of the wide path (its learning-rate multiplier under Adam).
WIDE_SCALE = 30.0


@keras.saving.register_keras_serializable(package="keras_recipes")
class TextClassifier(Classifier):
    """Text classifier: raw strings in, class probabilities out.

    `TextVectorization` (built from a fixed `vocabulary`) turns each string
    into token ids, padded with 0 to the longest text of the batch and
    truncated to `sequence_length`; an `Embedding(mask_zero=True)` feeds a
    stack of (bidirectional) LSTM or GRU layers, pooled by masked attention
    (`AttentionPooling`) or the last state, then a softmax head (2 units for
    binary problems). Padding is masked end to end, so a text gets the same
    prediction alone or in a batch of longer texts.

    With `architecture="wide_deep"` (the default) the head's logits are the
    sum of that deep path's and those of a "wide" path, `kr.layers.NgramBag`:
    a linear bag of the text's known words and `bigrams` (adapted from the
    training texts by the factory), what TF-IDF + logistic regression sees.
    On six real text sets (benchmarks/text_vs_tfidf.py) the deep path alone
    lost to that baseline; the sum beats it. `architecture="lstm"` is the
    deep path alone (the template before; configs saved then, which have no
    `architecture`, load as it). The layers between token ids and features
    live in `keras_recipes.tasks.text_backbone`, for other heads to reuse.

    The vectorizer (`model.preprocessor`, a `TextPreprocessor`) is part of the
    model: `predict`, a saved `.keras` file and a SavedModel export all take
    raw strings. For training speed, `fit` and `evaluate` vectorize in the
    tf.data pipeline (`preprocess_batch`), in parallel with the training
    step; the model's `call` accepts either raw strings or integer token ids.
    The token-id model is `model.core` (what ONNX export converts, with the
    vocabulary in a JSON sidecar: `TextVectorization` has no ONNX form; see
    `onnx_core`).

    The vocabulary is a constructor argument, so `get_config()` holds it and
    `kr.load_model` rebuilds the model without `custom_objects`. The factory
    `kr.text_classifier(data=...)` adapts it on the training texts.

    Args:
        vocabulary: list of unique tokens (strings), most frequent first,
            without the padding `""` and OOV `"[UNK]"` tokens (ids 0 and 1).
        num_classes: number of classes (>= 2).
        sequence_length: maximum number of tokens kept per text.
        standardize: `"lower_and_split_punctuation"` (punctuation becomes
            spaces), or as in `TextVectorization`:
            `"lower_and_strip_punctuation"`, `"lower"`, `"strip_punctuation"`
            or `None`.
        split: `"whitespace"` (words) or `"character"`.
        ngrams: `None`, or an integer `n` to add all 1..n-grams as tokens
            (the vocabulary must have been adapted with the same value).
        embedding_dim: embedding width.
        rnn: `"lstm"` or `"gru"`.
        bidirectional: wrap each recurrent layer in `Bidirectional`.
        rnn_layers: number of stacked recurrent layers.
        units: units of each recurrent layer (per direction).
        pooling: `"attention"` (masked `AttentionPooling` over all steps) or
            `"last"` (final state of the last recurrent layer).
        dropout: dropout between recurrent layers and before the head.
        embedding_dropout: dropout on the embeddings.
        recurrent_dropout: recurrent dropout of the RNN cells (note: any
            non-zero value disables the fused cuDNN kernels on GPU).
        learning_rate: AdamW learning rate used by `compile("auto")`.
        class_names: optional class names.
        architecture: `"wide_deep"` (deep path + `NgramBag` logits) or
            `"lstm"` (deep path alone).
        bigrams: the wide path's known bigrams, `"first second"` strings
            of vocabulary words (others are dropped); `None`: none.
        wide_scale: output multiplier of the wide path, its learning-rate
            multiplier under Adam (its weights are seen once per text).
        multi_label: a sigmoid head, one probability per tag (see
            `kr.tasks.Classifier`); `num_classes` counts the tags.
        thresholds: multi-label decision thresholds, one per tag.
        **kwargs: `keras.Model` keyword arguments (`name`, ...).

    Example:

    >>> model = TextClassifier(["good", "bad", "movie"], num_classes=2,
    ...                        embedding_dim=4, units=4)
    >>> model.predict(["a good movie", ""], verbose=0).shape
    (2, 2)
    """

    task_name = "text_classifier"
    # 16 steps per call from fits of 300 steps (break-even ~110, up to 340;
    # later fits 0.90x the time: benchmarks/overhead.py --section steps).
    auto_min_steps = 300
    # `fit()` without `epochs` (auto mode): at most this many epochs, stopped
    # `auto_patience` epochs after the best validation loss (restored). The
    # deep path overfits within a few epochs on the 2k-12k-text sets of
    # benchmarks/text_vs_tfidf.py, so the best epoch comes early.
    auto_max_epochs = 20
    auto_patience = 2

    def __init__(
        self,
        vocabulary,
        num_classes,
        sequence_length=128,
        standardize="lower_and_split_punctuation",
        split="whitespace",
        ngrams=None,
        embedding_dim=128,
        rnn="lstm",
        bidirectional=True,
        rnn_layers=1,
        units=64,
        pooling="attention",
        dropout=0.2,
        embedding_dropout=0.1,
        recurrent_dropout=0.0,
        learning_rate=1e-3,
        class_names=None,
        architecture="wide_deep",
        bigrams=None,
        wide_scale=WIDE_SCALE,
        multi_label=False,
        thresholds=None,
        **kwargs,
    ):
        # The preprocessor checks vocabulary, sequence_length and the text
        # options (standardize, split, ngrams).
        preprocessor = TextPreprocessor(
            vocabulary, sequence_length, standardize, split, ngrams
        )
        num_classes = check_classes(num_classes, class_names, multi_label)
        validation.check_size("embedding_dim", embedding_dim, validation.MAX_UNITS)
        validation.check_choice("rnn", rnn, RNNS)
        if not isinstance(bidirectional, bool):
            raise TypeError(
                "`bidirectional` must be True or False. "
                f"Received: bidirectional={bidirectional!r}"
            )
        validation.check_size("rnn_layers", rnn_layers, validation.MAX_LAYERS)
        validation.check_size("units", units, validation.MAX_UNITS)
        validation.check_choice("pooling", pooling, POOLINGS)
        for name, value in (
            ("dropout", dropout),
            ("embedding_dropout", embedding_dropout),
            ("recurrent_dropout", recurrent_dropout),
        ):
            validation.check_float(
                name, value, minimum=0.0, maximum=1.0, include_max=False
            )
        validation.check_float("learning_rate", learning_rate, minimum=0.0)
        validation.check_choice("architecture", architecture, ARCHITECTURES)
        bigrams = check_bigrams(bigrams)
        validation.check_float("wide_scale", wide_scale, minimum=0.0)

        # === Layers ===
        core = _build_core(
            architecture=architecture,
            bigrams=bigram_ids(bigrams, preprocessor.vocabulary),
            wide_scale=float(wide_scale),
            vocab_size=preprocessor.vocabulary_size,
            num_classes=num_classes,
            embedding_dim=int(embedding_dim),
            rnn=rnn,
            bidirectional=bidirectional,
            rnn_layers=int(rnn_layers),
            units=int(units),
            pooling=pooling,
            dropout=float(dropout),
            embedding_dropout=float(embedding_dropout),
            recurrent_dropout=float(recurrent_dropout),
            activation=head_activation(multi_label),
        )

        # === Functional Model ===
        inputs = keras.Input(shape=(), dtype="string", name="text")
        outputs = core(preprocessor(inputs))
        super().__init__(
            inputs=inputs,
            outputs=outputs,
            class_names=class_names,
            multi_label=multi_label,
            thresholds=thresholds,
            **kwargs,
        )
        # `call` also takes token ids (from the tf.data pipeline), whose shape
        # differs from the string input's: the inputs are checked by `check_x`.
        self.input_spec = None

        # === Config ===
        self.preprocessor = preprocessor
        self.vectorizer = preprocessor.vectorizer
        self.core = core
        self.vocabulary = list(vocabulary)
        self.num_classes = num_classes
        self.sequence_length = sequence_length
        self.standardize = standardize
        self.split = split
        self.ngrams = ngrams
        self.embedding_dim = embedding_dim
        self.rnn = rnn
        self.bidirectional = bidirectional
        self.rnn_layers = rnn_layers
        self.units = units
        self.pooling = pooling
        self.dropout = dropout
        self.embedding_dropout = embedding_dropout
        self.recurrent_dropout = recurrent_dropout
        self.learning_rate = learning_rate
        self.architecture = architecture
        self.bigrams = bigrams
        self.wide_scale = wide_scale
        self.compile()

    # ------------------------------------------------------------- model API
    def call(self, inputs, training=None, mask=None, **kwargs):
        """Runs on raw strings, or on int token ids straight into `core`."""
        if not is_text(inputs):
            # Keras' distributed symbolic build feeds a MEAN-reduced (float)
            # copy of a batch here, hence the cast.
            return self.core(ops.cast(inputs, "int64"), training=training)
        return super().call(inputs, training=training, mask=mask, **kwargs)

    def token_ids(self, texts):
        """Token ids of `texts`, exactly as the model sees them.

        Args:
            texts: a string, or a list/array of strings.

        Returns:
            An int `(n, length)` numpy array, 0-padded to the longest text
            (at most `sequence_length`, at least 1).
        """
        return self.preprocessor.token_ids(texts)

    def onnx_core(self):
        """ONNX export protocol (see `keras_recipes.export.onnx`).

        `TextVectorization` has no ONNX form: the ONNX file holds `core`
        (int token ids -> probabilities) and a JSON sidecar holds the
        vocabulary and tokenization settings, replayed in numpy by
        `keras_recipes.export.onnx_preprocess.text_tokens`. Texts are padded
        to `sequence_length` there; padding is masked, so it changes nothing.
        """
        return (
            self.core,
            self.preprocessor.onnx_sidecar(self.class_names),
            "text_tokens",
        )

    # ------------------------------------------------------------- data path
    def preprocess_batch(self, x, y=None):
        """Vectorizes a batch of strings in tf.data (ids pass through)."""
        return self.preprocessor.preprocess_batch(x, y)

    def _frame_to_inputs(self, x, name):
        return self.preprocessor.frame_to_inputs(x, name)

    def check_x(self, x, name="x"):
        return check_texts(name, x)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary": self.vocabulary,
                "num_classes": self.num_classes,
                "sequence_length": self.sequence_length,
                "standardize": self.standardize,
                "split": self.split,
                "ngrams": self.ngrams,
                "embedding_dim": self.embedding_dim,
                "rnn": self.rnn,
                "bidirectional": self.bidirectional,
                "rnn_layers": self.rnn_layers,
                "units": self.units,
                "pooling": self.pooling,
                "dropout": self.dropout,
                "embedding_dropout": self.embedding_dropout,
                "recurrent_dropout": self.recurrent_dropout,
                "learning_rate": self.learning_rate,
                "architecture": self.architecture,
                "bigrams": self.bigrams,
                "wide_scale": self.wide_scale,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        # A config saved before `architecture` existed (issue #39) is the
        # deep-only model of that time.
        config = dict(config)
        config.setdefault("architecture", "lstm")
        return super().from_config(config)

    @classmethod
    def search_space(cls, hp):
        """Default KerasTuner search space for `kr.tune`."""
        return {
            "embedding_dim": hp.Choice("embedding_dim", [64, 128]),
            "units": hp.Choice("units", [32, 64, 128]),
            "rnn_layers": hp.Int("rnn_layers", 1, 2),
            "rnn": hp.Choice("rnn", list(RNNS)),
            "dropout": hp.Float("dropout", 0.0, 0.5, step=0.1),
            "learning_rate": hp.Float("learning_rate", 1e-4, 1e-2, sampling="log"),
            "wide_scale": hp.Choice("wide_scale", [3.0, 10.0, 30.0]),
        }


def _build_core(
    architecture, bigrams, wide_scale, num_classes, activation="softmax", **deep
):
    """The token-id model: `(batch, time)` int ids -> class probabilities.

    Deep path (`deep_features`) -> `Dense(num_classes)`; with
    `architecture="wide_deep"` the `NgramBag` scores are added to those
    logits before the softmax (sigmoid for multi-label: `activation`).
    """
    token_ids = keras.Input(shape=(None,), dtype="int64", name="token_ids")
    vocab_size = deep.pop("vocab_size")
    features = deep_features(token_ids, vocab_size, **deep)
    if architecture == "lstm":
        outputs = keras.layers.Dense(
            num_classes, activation=activation, dtype="float32", name="predictions"
        )(features)
        return keras.Model(token_ids, outputs, name="core")
    logits = keras.layers.Dense(num_classes, dtype="float32", name="deep_logits")(
        features
    )
    wide = wide_scores(token_ids, vocab_size, num_classes, bigrams, wide_scale)
    logits = keras.layers.Add(name="logits")([logits, wide])
    outputs = keras.layers.Activation(activation, dtype="float32", name="predictions")(
        logits
    )
    return keras.Model(token_ids, outputs, name="core")


def text_classifier(
    data=None,
    vocabulary=None,
    num_classes=None,
    class_names=None,
    multi_label=False,
    max_tokens=20000,
    standardize="lower_and_split_punctuation",
    split="whitespace",
    ngrams=None,
    max_bigrams=50000,
    strategy=None,
    seed=None,
    **kwargs,
):
    """Builds a compiled `TextClassifier`, adapting its vocabulary on `data`.

    Args:
        data: `(texts, labels)` (lists, numpy arrays or pandas Series), or a
            `kr.data.Data` such as `kr.data.text_folder("reviews/")`. Its
            texts give the vocabulary; its labels the classes. Checked as
            `fit` checks it, with `fit`'s messages naming `data`. Streamed
            data (`kr.data.text_file`/`text_folder` above the memory
            budget, or with `streaming=True`) is read once, chunk by chunk:
            the vocabulary is adapted on every text and the classes come
            from every label of that pass.
        vocabulary: a ready vocabulary (skips adapting).
        num_classes: number of classes; inferred from `data` when omitted.
        class_names: class names; inferred from string labels or folders.
        multi_label: several classes (tags) per text, or none: labels are
            tag lists or a 0/1 matrix (see `kr.tasks.Classifier`).
        max_tokens: vocabulary size cap (padding and OOV tokens included).
        standardize: `"lower_and_split_punctuation"`,
            `"lower_and_strip_punctuation"`, `"lower"`, `"strip_punctuation"`
            or `None`.
        split: `"whitespace"` or `"character"`.
        ngrams: `None` or `n` to add 1..n-grams as tokens.
        max_bigrams: how many of the training texts' most frequent bigrams
            the wide path of `architecture="wide_deep"` learns a weight for
            (adapted unless `bigrams=` is given).
        strategy: `None`, `"auto"`, `"mirrored"`, `"multi_worker"` or a
            `tf.distribute.Strategy`; the model is built and compiled in
            its scope.
        seed: optional seed for weight initialisation (`kr.set_seed`).
        **kwargs: any other `TextClassifier` argument (`sequence_length`,
            `rnn`, `units`, `pooling`, ...).

    Returns:
        A compiled `kr.tasks.TextClassifier`.

    Example:

    >>> import keras_recipes as kr
    >>> texts = ["great fun", "awful plot", "loved it", "boring"]
    >>> model = kr.text_classifier(data=(texts, ["pos", "neg", "pos", "neg"]),
    ...                            units=8, embedding_dim=8)
    >>> model.class_names, len(model.vocabulary)
    (['neg', 'pos'], 7)
    """
    validation.check_int("max_tokens", max_tokens, minimum=3)
    validation.check_int("max_bigrams", max_bigrams, minimum=0)
    check_text_options(standardize, split, ngrams)
    source = data.source if isinstance(data, Data) else None
    if source is not None:  # one streaming pass: vocabulary and labels
        if multi_label:
            raise ValueError(
                "`multi_label=True` needs the texts in memory; a streamed file is "
                f"not supported. Received: data={data!r}"
            )
        vocabulary, class_names, num_classes = _infer_from_stream(
            source, vocabulary, class_names, num_classes, max_tokens,
            standardize, split, ngrams,
        )  # fmt: skip
    elif data is not None:
        data, texts, inferred_classes, inferred_names = _infer_from_data(
            data, multi_label
        )
        class_names = class_names or inferred_names
        num_classes = num_classes or inferred_classes
        if vocabulary is None:
            vocabulary = TextPreprocessor.adapt_vocabulary(
                texts, max_tokens, standardize, split, ngrams, name="data"
            )
    if source is not None and vocabulary is not None:
        # The bigrams of the wide path from the stream's first texts (all of
        # them for a file of up to `STREAM_BIGRAM_TEXTS`, as in memory).
        texts = []
        for _, x, _ in source.pieces(with_labels=False):
            texts.extend(np.asarray(x).tolist())
            if len(texts) >= STREAM_BIGRAM_TEXTS:
                break
        texts = np.asarray(texts[:STREAM_BIGRAM_TEXTS], dtype=object)
    if (
        (data is not None)
        and kwargs.get("architecture", "wide_deep") != "lstm"
        and kwargs.get("bigrams") is None
        and vocabulary is not None
        and len(texts)
    ):
        pre = TextPreprocessor(
            vocabulary,
            kwargs.get("sequence_length", 128),
            standardize,
            split,
            ngrams,
        )
        ids = np.concatenate(
            [
                _pad(pre.token_ids(texts[i : i + 4096]), pre.sequence_length)
                for i in range(0, len(texts), 4096)
            ]
        )
        kwargs["bigrams"] = adapt_bigrams(ids, vocabulary, max_bigrams)
    if num_classes is None and class_names is not None:
        num_classes = len(class_names)
    if vocabulary is None or num_classes is None:
        raise ValueError(
            "`data` (texts and labels) is required unless both `vocabulary` and "
            f"`num_classes` are given. Received: data=None, vocabulary="
            f"{'None' if vocabulary is None else '...'}, num_classes={num_classes}"
        )
    if seed is not None:
        set_seed(seed)
    with get_strategy(strategy).scope():
        model = TextClassifier(
            vocabulary=vocabulary,
            num_classes=num_classes,
            class_names=class_names,
            multi_label=multi_label,
            standardize=standardize,
            split=split,
            ngrams=ngrams,
            **kwargs,
        )
    if data is not None and source is None:
        check_factory_data(model, data)
        if model.architecture == "wide_deep" and not model.multi_label:
            _start_at_class_priors(model, data)
    return model


def _start_at_class_priors(model, data):
    """Starts the head's bias at the log class frequencies of `data`.

    The untrained model then answers the majority class (what a linear
    model's intercept learns first) and moves away from it only as the
    texts give evidence: on near-unpredictable short texts (pet names ->
    species) a zero bias left it below the majority class.
    """
    if isinstance(data, Data):
        if data.y is None:
            return
        y = model.encode_data_y(data, "data")
    else:
        y = model.encode_y(data[1], "data[1]")
    y = np.asarray(y)
    if y.ndim == 2:
        y = y.argmax(axis=-1)
    counts = np.bincount(y.astype(int).ravel(), minlength=int(model.num_classes))
    log_prior = np.log((counts + 1.0) / (counts.sum() + len(counts)))
    with model.distribute_strategy.scope():
        model.core.get_layer("deep_logits").bias.assign(
            (log_prior - log_prior.mean()).astype("float32")
        )


def _pad(ids, length):
    return np.pad(ids, [(0, 0), (0, length - ids.shape[1])])


def _infer_from_stream(
    source, vocabulary, class_names, num_classes, max_tokens, standardize, split,
    ngrams,
):  # fmt: skip
    """`(vocabulary, class_names, num_classes)` from one pass over a stream."""
    labels = None
    if vocabulary is None:
        vocabulary, labels = TextPreprocessor.adapt_vocabulary_stream(
            source, max_tokens, standardize, split, ngrams, name="data"
        )
    class_names = class_names or source.class_names
    if class_names is None and num_classes is None:
        if labels is None:  # a ready vocabulary: a pass over the labels only
            labels = set()
            for _, _, y in source.pieces(with_labels=True):
                labels.update(np.unique(np.asarray(y)).tolist())
            labels = np.asarray(sorted(labels))
        labels = np.asarray(labels)
        whole = labels.dtype.kind != "f" or not np.any(labels[np.isfinite(labels)] % 1)
        continuous = not whole
        num_classes, class_names = validation.infer_classes(
            "data.y", labels, regressor="kr.text_regressor" if continuous else None
        )
    return vocabulary, class_names, num_classes


def _infer_from_data(data, multi_label=False):
    """`(data, texts, num_classes, class_names)` from factory `data`.

    A pair comes back as `(texts, labels)` arrays, already checked.
    """
    if isinstance(data, Data):
        if data.x is None:
            raise ValueError(
                "`data` as a tf.data.Dataset cannot be adapted on; pass "
                "`vocabulary=` and `num_classes=`, or in-memory texts. "
                "Received: data=tf.data.Dataset"
            )
        texts = check_texts("data.x", data.x)
        names = data.class_names
        if names is not None:
            return data, texts, len(names), names
        if data.y is None:
            raise ValueError(
                "`data` must carry labels to infer the classes. "
                f"Received: {data!r} without labels"
            )
        num_classes, names = infer_classes(
            "data.y", data.y, multi_label, regressor="kr.text_regressor"
        )
        return data, texts, num_classes, names
    if isinstance(data, str) or not (isinstance(data, tuple | list) and len(data) == 2):
        raise TypeError(
            "`data` must be a (texts, labels) pair or a kr.data.Data. "
            f"Received: data of type {type(data).__name__}"
        )
    x, y = data
    texts = check_texts("data[0]", x)
    y = labels_array("data[1]", y) if multi_label else as_array("data[1]", y)
    validation.check_same_length("data[0]", texts, "data[1]", y)
    num_classes, names = infer_classes(
        "data[1]", y, multi_label, regressor="kr.text_regressor"
    )
    return (texts, y), texts, num_classes, names
