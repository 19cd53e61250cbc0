"""`kr.text_classifier` / `kr.tasks.TextClassifier`."""

import keras
import numpy as np
from keras import ops

from keras_recipes import validation
from keras_recipes.data.pipeline import Data
from keras_recipes.distribute import get_strategy
from keras_recipes.layers.attention_pooling import AttentionPooling
from keras_recipes.tasks.classifier import Classifier
from keras_recipes.tasks.classifier import check_classes
from keras_recipes.tasks.factory_data import check_factory_data
from keras_recipes.tasks.text_preprocessor import TextPreprocessor
from keras_recipes.tasks.text_preprocessor import check_text_options
from keras_recipes.tasks.text_preprocessor import check_texts
from keras_recipes.tasks.text_preprocessor import is_text
from keras_recipes.utils import set_seed

RNNS = ("lstm", "gru")
POOLINGS = ("attention", "last")


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
        standardize: `"lower_and_strip_punctuation"`, `"lower"`,
            `"strip_punctuation"` or `None`; as in `TextVectorization`.
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

    def __init__(
        self,
        vocabulary,
        num_classes,
        sequence_length=128,
        standardize="lower_and_strip_punctuation",
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
        **kwargs,
    ):
        # The preprocessor checks vocabulary, sequence_length and the text
        # options (standardize, split, ngrams).
        preprocessor = TextPreprocessor(
            vocabulary, sequence_length, standardize, split, ngrams
        )
        num_classes = check_classes(num_classes, class_names)
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

        # === Layers ===
        core = _build_core(
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
        )

        # === Functional Model ===
        inputs = keras.Input(shape=(), dtype="string", name="text")
        outputs = core(preprocessor(inputs))
        super().__init__(
            inputs=inputs, outputs=outputs, class_names=class_names, **kwargs
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
            }
        )
        return config

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
        }


def _build_core(
    vocab_size,
    num_classes,
    embedding_dim,
    rnn,
    bidirectional,
    rnn_layers,
    units,
    pooling,
    dropout,
    embedding_dropout,
    recurrent_dropout,
):
    """The token-id model: `(batch, time)` int ids -> class probabilities."""
    rnn_class = keras.layers.LSTM if rnn == "lstm" else keras.layers.GRU
    token_ids = keras.Input(shape=(None,), dtype="int64", name="token_ids")
    x = keras.layers.Embedding(
        vocab_size, embedding_dim, mask_zero=True, name="embedding"
    )(token_ids)
    if embedding_dropout:
        x = keras.layers.Dropout(embedding_dropout, name="embedding_dropout")(x)
    for i in range(rnn_layers):
        last = i == rnn_layers - 1
        layer = rnn_class(
            units,
            return_sequences=not (last and pooling == "last"),
            recurrent_dropout=recurrent_dropout,
            name=f"{rnn}_{i}",
        )
        if bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"bidirectional_{i}")
        x = layer(x)
        if not last and dropout:
            x = keras.layers.Dropout(dropout, name=f"rnn_dropout_{i}")(x)
    if pooling == "attention":
        x = AttentionPooling(name="attention_pooling")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    outputs = keras.layers.Dense(
        num_classes, activation="softmax", dtype="float32", name="predictions"
    )(x)
    return keras.Model(token_ids, outputs, name="core")


def text_classifier(
    data=None,
    vocabulary=None,
    num_classes=None,
    class_names=None,
    max_tokens=20000,
    standardize="lower_and_strip_punctuation",
    split="whitespace",
    ngrams=None,
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
        max_tokens: vocabulary size cap (padding and OOV tokens included).
        standardize: `"lower_and_strip_punctuation"`, `"lower"`,
            `"strip_punctuation"` or `None`.
        split: `"whitespace"` or `"character"`.
        ngrams: `None` or `n` to add 1..n-grams as tokens.
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
    check_text_options(standardize, split, ngrams)
    source = data.source if isinstance(data, Data) else None
    if source is not None:  # one streaming pass: vocabulary and labels
        vocabulary, class_names, num_classes = _infer_from_stream(
            source, vocabulary, class_names, num_classes, max_tokens,
            standardize, split, ngrams,
        )  # fmt: skip
    elif data is not None:
        data, texts, inferred_classes, inferred_names = _infer_from_data(data)
        class_names = class_names or inferred_names
        num_classes = num_classes or inferred_classes
        if vocabulary is None:
            vocabulary = TextPreprocessor.adapt_vocabulary(
                texts, max_tokens, standardize, split, ngrams, name="data"
            )
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
            standardize=standardize,
            split=split,
            ngrams=ngrams,
            **kwargs,
        )
    if data is not None and source is None:
        check_factory_data(model, data)
    return model


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


def _infer_from_data(data):
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
        num_classes, names = validation.infer_classes(
            "data.y", data.y, regressor="kr.text_regressor"
        )
        return data, texts, num_classes, names
    if isinstance(data, str) or not (isinstance(data, tuple | list) and len(data) == 2):
        raise TypeError(
            "`data` must be a (texts, labels) pair or a kr.data.Data. "
            f"Received: data of type {type(data).__name__}"
        )
    x, y = data
    texts = check_texts("data[0]", x)
    y = validation.as_array("data[1]", y)
    validation.check_same_length("data[0]", texts, "data[1]", y)
    num_classes, names = validation.infer_classes(
        "data[1]", y, regressor="kr.text_regressor"
    )
    return (texts, y), texts, num_classes, names
