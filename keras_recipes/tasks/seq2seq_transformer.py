"""`kr.seq2seq_transformer` / `kr.tasks.Seq2SeqTransformer`."""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from keras_recipes import validation
from keras_recipes.data.pipeline import Data
from keras_recipes.distribute import get_strategy
from keras_recipes.export import onnx_seq2seq
from keras_recipes.layers.transformer import TokenAndPositionEmbedding
from keras_recipes.layers.transformer import TransformerDecoder
from keras_recipes.layers.transformer import TransformerEncoder
from keras_recipes.metrics import translation_scores
from keras_recipes.optimizers import FastAdamW
from keras_recipes.samplers import TracedDecoder
from keras_recipes.tasks.factory_data import check_factory_data
from keras_recipes.tasks.seq2seq_preprocessor import END_ID
from keras_recipes.tasks.seq2seq_preprocessor import PAD_ID
from keras_recipes.tasks.seq2seq_preprocessor import START_ID
from keras_recipes.tasks.seq2seq_preprocessor import Seq2SeqPreprocessor
from keras_recipes.tasks.seq2seq_preprocessor import check_pair
from keras_recipes.tasks.steps_per_execution import AUTO_MIN_STEPS
from keras_recipes.tasks.task import Task
from keras_recipes.utils import set_seed


@keras.saving.register_keras_serializable(package="keras_recipes")
class Seq2SeqTransformer(Task):
    """Encoder-decoder Transformer that translates sentences into sentences.

    The functional graph maps `{"encoder_ids", "decoder_ids"}` (int token ids,
    0 = padding) to next-token logits; padding masks reach every attention and
    the decoder is causal. The raw-string side is `model.preprocessor` (a
    `Seq2SeqPreprocessor`): the vocabularies are constructor arguments (so
    they are saved in the config) and strings are split and looked up in the
    tf.data pipeline (`preprocess_batch`) for training, and in `translate`
    for inference.

    Training data is `(sources, targets)`, two lists of strings. The loss is
    the cross-entropy of the next target token with padding ignored; the
    `accuracy` metric is the token accuracy over non-padding positions.

    `translate` decodes in graph (`tf.function` + `tf.while_loop`), running
    the encoder once per batch: greedy (`beam_width=1`,
    `kr.samplers.GreedySampler`) or beam search with a GNMT length penalty
    (`kr.samplers.BeamSampler`).

    Args:
        source_vocabulary: list of source tokens (characters or words), or
            `None` for a model trained on token ids only.
        target_vocabulary: list of target tokens, or `None`.
        source_vocabulary_size: number of source ids; only needed without a
            `source_vocabulary` (it is `len(source_vocabulary) + 4`).
        target_vocabulary_size: number of target ids, likewise.
        sequence_length: maximum source length in tokens.
        target_sequence_length: decoder length (target tokens + 1); defaults
            to `sequence_length`.
        source_split: `"character"` or `"whitespace"` tokenization.
        target_split: `"character"` or `"whitespace"`.
        embedding_dim: model width.
        num_heads: attention heads (must divide `embedding_dim`).
        intermediate_dim: feed-forward hidden size.
        num_encoder_layers: encoder blocks.
        num_decoder_layers: decoder blocks.
        dropout: dropout rate.
        activation: `"relu"` or `"gelu_approximate"` (exact gelu does not
            export to ONNX).
        norm_first: pre-norm (`True`) or post-norm (`False`) blocks.
        learning_rate: AdamW learning rate used by `compile("auto")`.
        **kwargs: `keras.Model` keyword arguments (`name`, ...).

    Example:

    >>> model = Seq2SeqTransformer(
    ...     source_vocabulary=list("abc"), target_vocabulary=list("xyz"),
    ...     sequence_length=8, embedding_dim=8, num_heads=2, intermediate_dim=8,
    ...     num_encoder_layers=1, num_decoder_layers=1)
    >>> len(model.translate(["abc", "cab"], max_length=3))
    2
    """

    task_name = "seq2seq_transformer"
    default_batch_size = 64
    # No gain from 16 steps per call on a 2-core CPU (~230 ms steps: later
    # fits 1.02x the time, ~2.5 s more tracing; benchmarks/overhead.py
    # --section steps): the kit's default.
    auto_min_steps = AUTO_MIN_STEPS

    def __init__(
        self,
        source_vocabulary=None,
        target_vocabulary=None,
        source_vocabulary_size=None,
        target_vocabulary_size=None,
        sequence_length=32,
        target_sequence_length=None,
        source_split="character",
        target_split="character",
        embedding_dim=128,
        num_heads=4,
        intermediate_dim=256,
        num_encoder_layers=2,
        num_decoder_layers=2,
        dropout=0.1,
        activation="relu",
        norm_first=True,
        learning_rate=1e-3,
        **kwargs,
    ):
        preprocessor = Seq2SeqPreprocessor(
            source_vocabulary=source_vocabulary,
            target_vocabulary=target_vocabulary,
            source_vocabulary_size=source_vocabulary_size,
            target_vocabulary_size=target_vocabulary_size,
            sequence_length=sequence_length,
            target_sequence_length=target_sequence_length,
            source_split=source_split,
            target_split=target_split,
        )
        validation.check_size("embedding_dim", embedding_dim, validation.MAX_UNITS)
        validation.check_size("num_heads", num_heads, validation.MAX_UNITS)
        if int(embedding_dim) % int(num_heads):
            raise ValueError(
                "`embedding_dim` must be divisible by `num_heads`. "
                f"Received: embedding_dim={embedding_dim}, num_heads={num_heads}"
            )
        validation.check_size(
            "intermediate_dim", intermediate_dim, validation.MAX_UNITS
        )
        validation.check_size(
            "num_encoder_layers", num_encoder_layers, validation.MAX_LAYERS
        )
        validation.check_size(
            "num_decoder_layers", num_decoder_layers, validation.MAX_LAYERS
        )
        validation.check_float(
            "dropout", dropout, minimum=0.0, maximum=1.0, include_max=False
        )
        validation.check_float("learning_rate", learning_rate, minimum=0.0)

        # === Layers ===
        block_args = dict(
            intermediate_dim=int(intermediate_dim),
            num_heads=int(num_heads),
            dropout=float(dropout),
            activation=activation,
            norm_first=bool(norm_first),
        )
        self.source_embedding = TokenAndPositionEmbedding(
            preprocessor.source_size,
            int(sequence_length),
            int(embedding_dim),
            name="source_embedding",
        )
        self.target_embedding = TokenAndPositionEmbedding(
            preprocessor.target_size,
            preprocessor.target_length,
            int(embedding_dim),
            name="target_embedding",
        )
        self.source_dropout = keras.layers.Dropout(float(dropout), name="src_drop")
        self.target_dropout = keras.layers.Dropout(float(dropout), name="tgt_drop")
        self.encoder_layers = [
            TransformerEncoder(**block_args, name=f"encoder_{i}")
            for i in range(int(num_encoder_layers))
        ]
        self.decoder_layers = [
            TransformerDecoder(**block_args, name=f"decoder_{i}")
            for i in range(int(num_decoder_layers))
        ]
        # Pre-norm stacks end with a normalization; post-norm blocks already do.
        self.encoder_norm = self.decoder_norm = None
        if norm_first:
            self.encoder_norm = keras.layers.LayerNormalization(
                epsilon=1e-5, name="encoder_norm"
            )
            self.decoder_norm = keras.layers.LayerNormalization(
                epsilon=1e-5, name="decoder_norm"
            )
        self.logits_dense = keras.layers.Dense(
            preprocessor.target_size, dtype="float32", name="logits"
        )

        # === Functional Model ===
        encoder_ids = keras.Input(shape=(None,), dtype="int32", name="encoder_ids")
        decoder_ids = keras.Input(shape=(None,), dtype="int32", name="decoder_ids")
        encoded, encoder_mask = self._encoder_forward(encoder_ids)
        logits = self._decoder_forward(decoder_ids, encoded, encoder_mask)
        super().__init__(
            inputs={"encoder_ids": encoder_ids, "decoder_ids": decoder_ids},
            outputs=logits,
            **kwargs,
        )

        # === Config ===
        self.preprocessor = preprocessor
        # The tokenization arguments (`source_vocabulary`, ...), as given.
        for key, value in preprocessor.get_config().items():
            setattr(self, key, value)
        self.embedding_dim = embedding_dim
        self.num_heads = num_heads
        self.intermediate_dim = intermediate_dim
        self.num_encoder_layers = num_encoder_layers
        self.num_decoder_layers = num_decoder_layers
        self.dropout = dropout
        self.activation = activation
        self.norm_first = norm_first
        self.learning_rate = learning_rate
        self._state = _State(self, preprocessor)
        self.compile()

    # ------------------------------------------------------------- the graph
    def _encoder_forward(self, encoder_ids, training=None):
        mask = ops.not_equal(encoder_ids, PAD_ID)
        x = self.source_dropout(self.source_embedding(encoder_ids), training=training)
        for layer in self.encoder_layers:
            x = layer(x, padding_mask=mask, training=training)
        if self.encoder_norm is not None:
            x = self.encoder_norm(x)
        return x, mask

    def _decoder_forward(self, decoder_ids, encoded, encoder_mask, training=None):
        mask = ops.not_equal(decoder_ids, PAD_ID)
        x = self.target_dropout(self.target_embedding(decoder_ids), training=training)
        for layer in self.decoder_layers:
            x = layer(
                x,
                encoded,
                decoder_padding_mask=mask,
                encoder_padding_mask=encoder_mask,
                training=training,
            )
        if self.decoder_norm is not None:
            x = self.decoder_norm(x)
        return self.logits_dense(x)

    # --------------------------------------------------------------- compile
    def default_optimizer(self):
        return FastAdamW(
            learning_rate=float(self.learning_rate),
            weight_decay=1e-4,
            beta_2=0.98,
            clipnorm=1.0,
        )

    def default_loss(self):
        return keras.losses.SparseCategoricalCrossentropy(
            from_logits=True, ignore_class=PAD_ID
        )

    def default_metrics(self):
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]

    def compile(self, optimizer="auto", loss="auto", metrics="auto", **kwargs):
        """Compiles with task defaults; `"auto"` metrics ignore padding.

        Keras passes sample weights only to `weighted_metrics`, so the default
        token accuracy is compiled as a weighted metric, weighted by the
        padding mask that `preprocess_batch` yields.
        """
        if isinstance(metrics, str) and metrics == "auto":
            kwargs.setdefault("weighted_metrics", self.default_metrics())
            metrics = None
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    # ------------------------------------------------------------- data path
    def check_x(self, x, name="x"):
        """Validates source sentences (or passes a dict of token ids through)."""
        return self.preprocessor.check_x(x, name)

    def encode_y(self, y, name="y"):
        """Validates target sentences; the pipeline vectorizes them."""
        return self.preprocessor.check_y(y, name)

    def _frame_to_inputs(self, x, name):
        if x is None:
            raise ValueError(f"`{name}` is required. Received: {name}=None")
        return x

    def vectorize_sources(self, sources):
        """Source strings (a `tf.string` batch) -> `(batch, sequence_length)` ids."""
        return self.preprocessor.vectorize_sources(sources)

    def vectorize_targets(self, targets):
        """Target strings -> `(decoder_ids, labels)`, both `(batch, length)`."""
        return self.preprocessor.vectorize_targets(targets)

    def check_class_weight(self, class_weight):
        """Refuses `fit(class_weight=)`: the targets are token sequences."""
        raise ValueError(
            "`class_weight` is not supported for translation: the targets are "
            "token sequences, already weighted per token (padding 0). "
            f"Received: class_weight={class_weight!r:.60}"
        )

    def preprocess_batch(self, x, y=None, sample_weight=None):
        """Strings -> `({"encoder_ids", "decoder_ids"}, labels, weights)`.

        Weights are 1 for target tokens and 0 for padding (times any given
        `sample_weight`); batches of token ids pass through unchanged.
        """
        return self.preprocessor.preprocess_batch(x, y, sample_weight)

    # Fixed-length vectorization, the same every epoch: in-memory sentences
    # are vectorized on the first pass only (`Task._cache_batch_map`; the
    # pipeline's later passes 0.13 -> 0.02 s on the dates demo). The cache
    # holds token ids instead of strings.
    _cache_batch_map = True

    def _batch_map(self):
        # Traced once per model and kept with the lookup tables (the
        # vocabularies, splits and lengths are fixed at construction): the
        # pipeline each `fit`/`evaluate` call builds then reuses the trace
        # instead of tracing the vectorization again (dates demo, 2-core CPU:
        # pipeline build and first pass 0.50 -> 0.26 s per call,
        # `benchmarks/README.md`, Settled questions).
        fn = self._state.fns.get("preprocess_batch")
        if fn is None:
            fn = tf.function(self.preprocess_batch, reduce_retracing=True)
            self._state.fns["preprocess_batch"] = fn
        return fn

    # ------------------------------------------------------------ inference
    def predict(self, x, batch_size=None, verbose="auto", **kwargs):
        """Teacher-forced next-token logits.

        Args:
            x: a `(sources, targets)` pair of string lists, a dict of token
                ids `{"encoder_ids", "decoder_ids"}`, or a batched
                `tf.data.Dataset` of such dicts.

        Returns:
            Logits of shape `(batch, target_length, target_vocabulary_size)`.
            Use `translate()` to translate sentences.
        """
        if isinstance(x, tuple | list) and len(x) == 2:
            data = self.to_data(x, None, "x")  # vectorized by the pipeline
            x = Data(dataset=self.make_dataset(data, batch_size).map(_inputs_only))
        elif not isinstance(x, tf.data.Dataset | dict):
            raise TypeError(
                "`x` must be a (sources, targets) pair, a dict of token ids or "
                "a tf.data.Dataset; use `translate(sentences)` to translate. "
                f"Received: x of type {type(x).__name__}"
            )
        return super().predict(x, batch_size=batch_size, verbose=verbose, **kwargs)

    def generate_ids(
        self,
        encoder_ids,
        beam_width=1,
        max_length=None,
        length_penalty=0.6,
        method=None,
    ):
        """Decodes target token ids from source token ids, in graph.

        Args:
            encoder_ids: `(batch, source_length)` int source ids.
            beam_width: beams per sentence (1 = greedy by default).
            max_length: maximum number of generated tokens (the end token
                included); at most `target_sequence_length - 1`.
            length_penalty: GNMT length-penalty exponent `alpha` used to rank
                finished beams: `score / ((5 + length) / 6) ** alpha`.
            method: `"greedy"`, `"beam"`, or `None` (greedy when
                `beam_width == 1`).

        Returns:
            Int numpy array `(batch, max_length + 1)`: the start token, the
            generated tokens, the end token, then padding.
        """
        beam_width, max_length, length_penalty = self._state.decoder.check_arguments(
            beam_width, max_length, length_penalty
        )
        fn = self._state.decoder.function(beam_width, max_length, method=method)
        ids = tf.convert_to_tensor(np.asarray(encoder_ids), dtype="int32")
        return fn(ids, tf.constant(length_penalty, "float32")).numpy()

    def translate(
        self,
        sentences,
        beam_width=1,
        max_length=None,
        length_penalty=0.6,
        batch_size=None,
    ):
        """Translates sentences.

        Decoding runs in graph with the encoder run once per batch; sources
        longer than `sequence_length` tokens are truncated (one warning per
        call).

        Args:
            sentences: a list of source strings (or one string).
            beam_width: 1 for greedy decoding, `k > 1` for beam search.
            max_length: maximum generated tokens; defaults to
                `target_sequence_length - 1`.
            length_penalty: GNMT length-penalty exponent for beam search.
            batch_size: sentences decoded at once.

        Returns:
            A list of translated strings, one per sentence.
        """
        sentences = self.preprocessor.check_sources(sentences, "sentences")
        beam_width, max_length, length_penalty = self._state.decoder.check_arguments(
            beam_width, max_length, length_penalty
        )
        batch_size = validation.check_batch_size(
            self.default_batch_size if batch_size is None else batch_size
        )
        fn = self._state.decoder.function(beam_width, max_length, strings=True)
        penalty = tf.constant(length_penalty, "float32")
        outputs = []
        for start in range(0, len(sentences), batch_size):
            batch = tf.constant(sentences[start : start + batch_size])
            outputs.extend(self.detokenize(fn(batch, penalty).numpy()))
        return outputs

    def _next_logits(self, buffer, step, context):
        """Logits of token `step + 1` (the decoder reads the whole prefix)."""
        encoded, encoder_mask = context
        logits = self._decoder_forward(buffer, encoded, encoder_mask, training=False)
        return tf.gather(logits, step, axis=1) + self._state.logit_bias

    def detokenize(self, ids):
        """Target ids `(batch, length)` (starting with the start token) -> strings."""
        return self.preprocessor.detokenize(ids)

    def onnx_decoder_graphs(self):
        """The two ONNX graphs of greedy decoding, and their JSON sidecar.

        Used by `export(path, format="onnx")`; the graphs are built by
        `keras_recipes.export.onnx_seq2seq.decoder_graphs` (encoder:
        `encoder_ids` -> `encoded`, `encoder_mask`; decoder: `encoded`,
        `encoder_mask`, `decoder_ids` -> `logits`), share this model's weights
        and run with `training=False`.

        Returns:
            `(encoder, decoder, sidecar)`: two `keras.Model`s and a
            JSON-ready dict with everything the pure-Python tokenizer and
            greedy loop need (`onnx_preprocess.translate_onnx`).
        """
        sidecar = self.preprocessor.onnx_sidecar(self.task_name)
        encoder, decoder = onnx_seq2seq.decoder_graphs(
            self._encoder_forward,
            self._decoder_forward,
            int(self.embedding_dim),
            self.name,
        )
        return encoder, decoder, sidecar

    def evaluate_bleu(
        self,
        data,
        beam_width=1,
        max_length=None,
        length_penalty=0.6,
        batch_size=None,
        tokenize="13a",
    ):
        """Corpus BLEU (sacrebleu) and exact-match rate of `translate`.

        Args:
            data: a `(sources, targets)` pair of string lists.
            beam_width, max_length, length_penalty, batch_size: as in
                `translate`.
            tokenize: sacrebleu tokenizer (`"13a"`, `"char"`, `"intl"`, ...).

        Returns:
            `{"bleu": float in [0, 100], "exact_match": float in [0, 1],
            "num_samples": int}` (`kr.metrics.translation_scores`).
        """
        sources, targets = check_pair("data", data)
        hypotheses = self.translate(
            sources,
            beam_width=beam_width,
            max_length=max_length,
            length_penalty=length_penalty,
            batch_size=batch_size,
        )
        return translation_scores(targets, hypotheses, tokenize=tokenize)

    # ---------------------------------------------------------------- config
    def get_config(self):
        config = super().get_config()
        config.update(self.preprocessor.get_config())
        config.update(
            {
                "embedding_dim": self.embedding_dim,
                "num_heads": self.num_heads,
                "intermediate_dim": self.intermediate_dim,
                "num_encoder_layers": self.num_encoder_layers,
                "num_decoder_layers": self.num_decoder_layers,
                "dropout": self.dropout,
                "activation": self.activation,
                "norm_first": self.norm_first,
                "learning_rate": self.learning_rate,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        # Files saved before `kr.tasks.Classifier` existed hold
        # `class_names: None` for every task, this one included.
        config = {k: v for k, v in config.items() if k != "class_names"}
        return super().from_config(config)

    @classmethod
    def search_space(cls, hp):
        """Default KerasTuner search space for `kr.tune`."""
        return {
            "embedding_dim": hp.Choice("embedding_dim", [64, 128, 256]),
            "num_encoder_layers": hp.Int("num_encoder_layers", 1, 4),
            "num_decoder_layers": hp.Int("num_decoder_layers", 1, 4),
            "dropout": hp.Float("dropout", 0.0, 0.3, step=0.1),
            "learning_rate": hp.Float("learning_rate", 1e-4, 3e-3, sampling="log"),
        }


class _State:
    """Untracked helpers: the logit bias and the traced functions."""

    def __init__(self, model, preprocessor):
        self.logit_bias = tf.constant(preprocessor.logit_bias())
        self.fns = {}
        # Greedy and beam decoding (`kr.samplers`), the encoder run once.
        self.decoder = TracedDecoder(
            encode=lambda ids: model._encoder_forward(ids, training=False),
            next_logits=model._next_logits,
            start_id=START_ID,
            end_id=END_ID,
            max_length=preprocessor.target_length - 1,
            vectorize=model.vectorize_sources,
        )


def _inputs_only(inputs, labels, weights):
    return inputs


def seq2seq_transformer(
    data=None,
    source_vocabulary=None,
    target_vocabulary=None,
    sequence_length=None,
    target_sequence_length=None,
    source_split="character",
    target_split="character",
    max_vocabulary_size=20000,
    strategy=None,
    seed=None,
    **kwargs,
):
    """Builds a compiled `Seq2SeqTransformer`, adapting vocabularies to `data`.

    Args:
        data: `(sources, targets)`, two equally long lists of strings. Both
            vocabularies (when not given) and both sequence lengths (when not
            given: the longest sentence plus headroom, rounded up to 8) are
            inferred from it. Checked as `fit` checks it, with `fit`'s
            messages (and truncation warnings) naming `data`.
        source_vocabulary: optional list of source tokens.
        target_vocabulary: optional list of target tokens.
        sequence_length: maximum source length in tokens.
        target_sequence_length: decoder length (target tokens + 1).
        source_split: `"character"` or `"whitespace"`.
        target_split: `"character"` or `"whitespace"`.
        max_vocabulary_size: most frequent tokens kept per side (rarer ones
            map to `[UNK]`), including the 4 reserved ids.
        strategy: `None`, `"auto"`, `"mirrored"`, `"multi_worker"` or a
            `tf.distribute.Strategy`; the model is built in its scope.
        seed: optional seed for weight initialisation (`kr.set_seed`).
        **kwargs: any `Seq2SeqTransformer` argument (`embedding_dim`, ...).

    Returns:
        A compiled `kr.tasks.Seq2SeqTransformer`.

    Example:

    >>> import keras_recipes as kr
    >>> model = kr.seq2seq_transformer(
    ...     data=(["one", "two"], ["1", "2"]), embedding_dim=8, num_heads=2,
    ...     intermediate_dim=8, num_encoder_layers=1, num_decoder_layers=1)
    >>> model.target_vocabulary, model.sequence_length
    (['1', '2'], 8)
    """
    config = Seq2SeqPreprocessor.adapt_config(
        data,
        source_vocabulary=source_vocabulary,
        target_vocabulary=target_vocabulary,
        sequence_length=sequence_length,
        target_sequence_length=target_sequence_length,
        source_split=source_split,
        target_split=target_split,
        max_vocabulary_size=max_vocabulary_size,
    )
    if seed is not None:
        set_seed(seed)
    with get_strategy(strategy).scope():
        model = Seq2SeqTransformer(**config, **kwargs)
    if data is not None:
        check_factory_data(model, tuple(data))
    return model
