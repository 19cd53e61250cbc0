"""`kr.text_regressor` / `kr.tasks.TextRegressor`."""

import keras
from keras import ops

from keras_recipes import validation
from keras_recipes.data.pipeline import Data
from keras_recipes.distribute import get_strategy
from keras_recipes.tasks.factory_data import check_factory_data
from keras_recipes.tasks.regression_targets import resolve_targets
from keras_recipes.tasks.regression_targets import target_names_of
from keras_recipes.tasks.regressor import Regressor
from keras_recipes.tasks.regressor import check_target_transform
from keras_recipes.tasks.regressor import regression_head
from keras_recipes.tasks.text_backbone import POOLINGS
from keras_recipes.tasks.text_backbone import RNNS
from keras_recipes.tasks.text_backbone import deep_features
from keras_recipes.tasks.text_classifier import TextClassifier
from keras_recipes.tasks.text_preprocessor import TextPreprocessor
from keras_recipes.tasks.text_preprocessor import check_text_options
from keras_recipes.tasks.text_preprocessor import check_texts
from keras_recipes.tasks.text_preprocessor import is_text
from keras_recipes.utils import set_seed


@keras.saving.register_keras_serializable(package="keras_recipes")
class TextRegressor(Regressor):
    """Text regressor: raw strings in, one or several numbers out.

    The vectorizer and deep encoder are `TextClassifier`'s (a
    `TextPreprocessor` inside the model, then `deep_features`: masked
    embeddings, a stack of (bidirectional) LSTM or GRU layers, attention or
    last-state pooling; the classifier's wide `NgramBag` path is not used
    here yet, as with its `architecture="lstm"`); the head is a
    `Dense(num_targets)` predicting standardized targets and a
    `kr.layers.TargetScale` that maps them back to the target's units
    (`target_transform`, computed by `kr.text_regressor` from the training
    targets). So `predict`, a saved
    `.keras` file and a SavedModel take raw strings and return values in
    the target's units; the ONNX export holds `model.core` (token ids ->
    values, the scaling included) with the vocabulary in a JSON sidecar.
    The loss is MSE (or Huber) on the standardized scale; the metrics are
    RMSE, MAE and R² in the target's units.

    Args:
        vocabulary: list of unique tokens, most frequent first, without the
            padding `""` and OOV `"[UNK]"` tokens (as in `TextClassifier`).
        num_targets: number of numeric targets predicted per text.
        sequence_length: maximum number of tokens kept per text.
        standardize: as in `TextClassifier`.
        split: `"whitespace"` or `"character"`.
        ngrams: `None` or `n` to add 1..n-grams as tokens.
        embedding_dim: embedding width.
        rnn: `"lstm"` or `"gru"`.
        bidirectional: wrap each recurrent layer in `Bidirectional`.
        rnn_layers: number of stacked recurrent layers.
        units: units of each recurrent layer (per direction).
        pooling: `"attention"` or `"last"`.
        dropout: dropout between recurrent layers and before the head.
        embedding_dropout: dropout on the embeddings.
        recurrent_dropout: recurrent dropout of the RNN cells.
        learning_rate: AdamW learning rate used by `compile("auto")`.
        target_names: names of the targets (`"target"` by default).
        target_transform: the statistics dict of
            `kr.tasks.regressor.fit_target_transform` (`None`: identity).
        regression_loss: `"mse"` (default) or `"huber"`.
        **kwargs: `keras.Model` keyword arguments (`name`, ...).

    Example:

    >>> model = TextRegressor(["good", "bad", "movie"], embedding_dim=4, units=4)
    >>> model.predict(["a good movie", ""], verbose=0).shape
    (2, 1)
    """

    task_name = "text_regressor"
    # As the text classifier (same encoder, same step cost).
    auto_min_steps = TextClassifier.auto_min_steps
    # `fit()` without `epochs`: as the text classifier (the recurrent path
    # overfits within a few epochs; the best epoch is restored).
    auto_max_epochs = TextClassifier.auto_max_epochs
    auto_patience = TextClassifier.auto_patience

    def __init__(
        self,
        vocabulary,
        num_targets=1,
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
        target_names=None,
        target_transform=None,
        regression_loss="mse",
        **kwargs,
    ):
        preprocessor = TextPreprocessor(
            vocabulary, sequence_length, standardize, split, ngrams
        )
        num_targets = validation.check_size(
            "num_targets", num_targets, validation.MAX_CLASSES
        )
        stats = check_target_transform(target_transform, num_targets)
        _check_encoder(
            embedding_dim,
            rnn,
            bidirectional,
            rnn_layers,
            units,
            pooling,
            dropout,
            embedding_dropout,
            recurrent_dropout,
        )
        validation.check_float("learning_rate", learning_rate, minimum=0.0)

        # === Layers ===
        # The token-id model (what ONNX export converts): ids -> values.
        token_ids = keras.Input(shape=(None,), dtype="int64", name="token_ids")
        features = deep_features(
            token_ids,
            preprocessor.vocabulary_size,
            int(embedding_dim),
            rnn,
            bidirectional,
            int(rnn_layers),
            int(units),
            pooling,
            float(dropout),
            float(embedding_dropout),
            float(recurrent_dropout),
        )
        core = keras.Model(
            token_ids, regression_head(num_targets, stats)(features), name="core"
        )

        # === Functional Model ===
        inputs = keras.Input(shape=(), dtype="string", name="text")
        outputs = core(preprocessor(inputs))
        super().__init__(
            inputs=inputs,
            outputs=outputs,
            target_names=target_names,
            target_transform=stats,
            regression_loss=regression_loss,
            **kwargs,
        )
        # `call` also takes token ids (from the tf.data pipeline).
        self.input_spec = None

        # === Config ===
        self.preprocessor = preprocessor
        self.vectorizer = preprocessor.vectorizer
        self.core = core
        self.vocabulary = list(vocabulary)
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
            return self.core(ops.cast(inputs, "int64"), training=training)
        return super().call(inputs, training=training, mask=mask, **kwargs)

    # The classifier's text handling: same preprocessor, same inputs.
    token_ids = TextClassifier.token_ids
    preprocess_batch = TextClassifier.preprocess_batch
    _frame_to_inputs = TextClassifier._frame_to_inputs
    check_x = TextClassifier.check_x

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

    def onnx_core(self):
        """ONNX export protocol: `core` (token ids -> values) + vocabulary sidecar.

        See `TextClassifier.onnx_core`; the sidecar names the targets.
        """
        sidecar = self.preprocessor.onnx_sidecar(None)
        sidecar["target_names"] = list(self.target_names)
        return self.core, sidecar, "text_tokens"

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary": self.vocabulary,
                "num_targets": self.num_targets,
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


def _check_encoder(
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
    """Checks the encoder arguments, as `TextClassifier` does."""
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
        validation.check_float(name, value, minimum=0.0, maximum=1.0, include_max=False)


def text_regressor(
    data=None,
    vocabulary=None,
    num_targets=None,
    target_names=None,
    target_transform="auto",
    max_tokens=20000,
    standardize="lower_and_strip_punctuation",
    split="whitespace",
    ngrams=None,
    strategy=None,
    seed=None,
    **kwargs,
):
    """Builds a compiled `TextRegressor`, adapting its vocabulary on `data`.

    Args:
        data: `(texts, targets)`: texts as lists, numpy arrays or pandas
            Series; targets of shape `(n,)` or `(n, k)` (a pandas Series or
            DataFrame names them), or a labelled `kr.data.Data`. The texts
            give the vocabulary, the targets `num_targets` and the
            statistics of `target_transform`. Checked as `fit` checks it,
            with `fit`'s messages naming `data`.
        vocabulary: a ready vocabulary (skips adapting).
        num_targets: number of targets; inferred from `data`.
        target_names: names of the targets; inferred from a Series or
            DataFrame, else `"target"` (`"target_0"`, ... for several).
        target_transform: `"auto"` (default) standardizes each target with
            the training mean and standard deviation, after `log1p` for a
            non-negative, skewed target (skewness above 1, made more
            symmetric by the log: counts, prices); `"log"` always takes
            `log1p` first; `"none"` never does. `model.summary()` and
            `model.describe_targets()` say what was chosen.
        max_tokens: vocabulary size cap (padding and OOV tokens included).
        standardize: `"lower_and_strip_punctuation"`, `"lower"`,
            `"strip_punctuation"` or `None`.
        split: `"whitespace"` or `"character"`.
        ngrams: `None` or `n` to add 1..n-grams as tokens.
        strategy: `None`, `"auto"`, `"mirrored"`, `"multi_worker"` or a
            `tf.distribute.Strategy`; the model is built and compiled in
            its scope.
        seed: optional seed for weight initialisation (`kr.set_seed`).
        **kwargs: any other `TextRegressor` argument (`sequence_length`,
            `rnn`, `units`, `regression_loss`, ...).

    Returns:
        A compiled `kr.tasks.TextRegressor`.

    Example:

    >>> import keras_recipes as kr
    >>> texts = ["tiny", "small cup", "large mug", "huge bucket"]
    >>> model = kr.text_regressor(data=(texts, [0.1, 0.3, 0.5, 9.0]),
    ...                           units=8, embedding_dim=8)
    >>> model.describe_targets()
    'Targets: target: log1p, then standardized (mean 0.7664, std 0.8937)'
    """
    validation.check_int("max_tokens", max_tokens, minimum=3)
    check_text_options(standardize, split, ngrams)
    stats = None
    if data is not None:
        data, texts, y, names = _infer_from_data(data)
        target_names = target_names or names
        stats, num_targets = resolve_targets(
            y,
            target_transform,
            target_names,
            num_targets,
            name="data.y" if isinstance(data, Data) else "data[1]",
        )
        if vocabulary is None:
            vocabulary = TextPreprocessor.adapt_vocabulary(
                texts, max_tokens, standardize, split, ngrams, name="data"
            )
    elif isinstance(target_transform, dict):
        stats = target_transform
    if vocabulary is None:
        raise ValueError(
            "`data` (texts and targets) is required unless `vocabulary` is "
            "given. Received: data=None, vocabulary=None"
        )
    if num_targets is None:
        num_targets = 1 if target_names is None else len(list(target_names))
    if seed is not None:
        set_seed(seed)
    with get_strategy(strategy).scope():
        model = TextRegressor(
            vocabulary=vocabulary,
            num_targets=num_targets,
            target_names=target_names,
            target_transform=stats,
            standardize=standardize,
            split=split,
            ngrams=ngrams,
            **kwargs,
        )
    if data is not None:
        check_factory_data(model, data)
    return model


def _infer_from_data(data):
    """`(data, texts, targets, target_names)` from factory `data`."""
    if isinstance(data, Data):
        if data.x is None:
            raise ValueError(
                "`data` as a tf.data.Dataset cannot be adapted on; pass "
                "`vocabulary=`, `num_targets=` and `target_transform=` (a "
                "statistics dict), or in-memory texts. "
                "Received: data=tf.data.Dataset"
            )
        texts = check_texts("data.x", data.x)
        if data.y is None:
            raise ValueError(
                "`data` must carry targets to fit the target scaling. "
                f"Received: {data!r} without targets"
            )
        return data, texts, data.y, data.info.get("target_names")
    if isinstance(data, str) or not (isinstance(data, tuple | list) and len(data) == 2):
        raise TypeError(
            "`data` must be a (texts, targets) pair or a kr.data.Data. "
            f"Received: data of type {type(data).__name__}"
        )
    x, y = data
    names = target_names_of(y)
    texts = check_texts("data[0]", x)
    y = validation.as_array("data[1]", y)
    validation.check_same_length("data[0]", texts, "data[1]", y)
    return (texts, y), texts, y, names
