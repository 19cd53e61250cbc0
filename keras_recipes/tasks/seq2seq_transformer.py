"""`kr.seq2seq_transformer` / `kr.tasks.Seq2SeqTransformer`."""

import collections
import math
import warnings

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from keras_recipes import validation
from keras_recipes.layers.transformer import TokenAndPositionEmbedding
from keras_recipes.layers.transformer import TransformerDecoder
from keras_recipes.layers.transformer import TransformerEncoder
from keras_recipes.optimizers import FastAdamW
from keras_recipes.tasks.steps_per_execution import AUTO_MIN_STEPS
from keras_recipes.tasks.task import Task

# Token ids shared by both sides: 0 is padding, then the reserved tokens, then
# the vocabulary (so a vocabulary of n tokens gives n + 4 ids).
PAD_ID, UNK_ID, START_ID, END_ID = 0, 1, 2, 3
RESERVED_TOKENS = ("", "[UNK]", "[START]", "[END]")
SPLITS = ("character", "whitespace")
NEG_INF = -1e9


@keras.saving.register_keras_serializable(package="keras_recipes")
class Seq2SeqTransformer(Task):
    """Encoder-decoder Transformer that translates sentences into sentences.

    The functional graph maps `{"encoder_ids", "decoder_ids"}` (int token ids,
    0 = padding) to next-token logits; padding masks reach every attention and
    the decoder is causal. The raw-string side lives in the model too: the
    vocabularies are constructor arguments (so they are saved in the config)
    and strings are split and looked up in the tf.data pipeline
    (`preprocess_batch`) for training, and in `translate` for inference.

    Training data is `(sources, targets)`, two lists of strings. The loss is
    the cross-entropy of the next target token with padding ignored; the
    `accuracy` metric is the token accuracy over non-padding positions.

    `translate` decodes in graph (`tf.function` + `tf.while_loop`), running
    the encoder once per batch: greedy (`beam_width=1`) or beam search with a
    GNMT length penalty.

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
        validation.check_choice("source_split", source_split, SPLITS)
        validation.check_choice("target_split", target_split, SPLITS)
        source_size = _check_vocabulary(
            "source_vocabulary", source_vocabulary, source_vocabulary_size
        )
        target_size = _check_vocabulary(
            "target_vocabulary", target_vocabulary, target_vocabulary_size
        )
        validation.check_int("sequence_length", sequence_length, minimum=1)
        target_length = sequence_length
        if target_sequence_length is not None:
            target_length = target_sequence_length
        validation.check_int("target_sequence_length", target_length, minimum=2)
        validation.check_int("embedding_dim", embedding_dim, minimum=1)
        validation.check_int("num_heads", num_heads, minimum=1)
        if int(embedding_dim) % int(num_heads):
            raise ValueError(
                "`embedding_dim` must be divisible by `num_heads`. "
                f"Received: embedding_dim={embedding_dim}, num_heads={num_heads}"
            )
        validation.check_int("intermediate_dim", intermediate_dim, minimum=1)
        validation.check_int("num_encoder_layers", num_encoder_layers, minimum=1)
        validation.check_int("num_decoder_layers", num_decoder_layers, minimum=1)
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
            source_size,
            int(sequence_length),
            int(embedding_dim),
            name="source_embedding",
        )
        self.target_embedding = TokenAndPositionEmbedding(
            target_size,
            int(target_length),
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
            target_size, dtype="float32", name="logits"
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
        self.source_vocabulary = _as_list(source_vocabulary)
        self.target_vocabulary = _as_list(target_vocabulary)
        self.source_vocabulary_size = source_vocabulary_size
        self.target_vocabulary_size = target_vocabulary_size
        self.sequence_length = sequence_length
        self.target_sequence_length = target_sequence_length
        self.source_split = source_split
        self.target_split = target_split
        self.embedding_dim = embedding_dim
        self.num_heads = num_heads
        self.intermediate_dim = intermediate_dim
        self.num_encoder_layers = num_encoder_layers
        self.num_decoder_layers = num_decoder_layers
        self.dropout = dropout
        self.activation = activation
        self.norm_first = norm_first
        self.learning_rate = learning_rate
        self._state = _State(self, int(target_size), int(target_length))
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
    @property
    def _target_length(self):
        return self._state.target_length

    def _require_vocabularies(self, what):
        missing = [
            name
            for name in ("source_vocabulary", "target_vocabulary")
            if getattr(self, name) is None
        ]
        if missing:
            raise ValueError(
                f"{what} needs the model's vocabularies, but this model was built "
                f"without them ({', '.join(m + '=None' for m in missing)}). Build "
                "it with `kr.seq2seq_transformer(data=(sources, targets))`, which "
                "adapts both vocabularies, or pass `source_vocabulary=` and "
                "`target_vocabulary=`."
            )

    def check_x(self, x, name="x"):
        """Validates source sentences (or passes a dict of token ids through)."""
        if isinstance(x, dict):
            return _check_id_dict(name, x)
        self._require_vocabularies(f"Training on strings (`{name}`)")
        return _check_sentences(
            name, x, self.source_split, self.sequence_length, "sequence_length"
        )

    def encode_y(self, y, name="y"):
        """Validates target sentences; the pipeline vectorizes them."""
        array = np.asarray(y)
        if array.dtype.kind in "iu":
            validation.check_rank(name, array, (2,), "batch of target token ids")
            return array.astype("int32")
        self._require_vocabularies(f"Training on strings (`{name}`)")
        return _check_sentences(
            name,
            y,
            self.target_split,
            self._target_length - 1,
            "target_sequence_length - 1",
        )

    def _frame_to_inputs(self, x, name):
        if x is None:
            raise ValueError(f"`{name}` is required. Received: {name}=None")
        return x

    def vectorize_sources(self, sources):
        """Source strings (a `tf.string` batch) -> `(batch, sequence_length)` ids."""
        return self._state.to_ids(
            sources, "source", int(self.sequence_length), start=False, end=False
        )

    def vectorize_targets(self, targets):
        """Target strings -> `(decoder_ids, labels)`, both `(batch, length)`."""
        ids = self._state.to_ids(
            targets, "target", self._target_length + 1, start=True, end=True
        )
        return ids[:, :-1], ids[:, 1:]

    def preprocess_batch(self, x, y=None, sample_weight=None):
        """Strings -> `({"encoder_ids", "decoder_ids"}, labels, weights)`.

        Weights are 1 for target tokens and 0 for padding (times any given
        `sample_weight`); batches of token ids pass through unchanged.
        """
        if isinstance(x, dict):
            inputs = dict(x)
        else:
            inputs = {"encoder_ids": self.vectorize_sources(x)}
        if y is None:
            return inputs
        if y.dtype == tf.string:
            inputs["decoder_ids"], labels = self.vectorize_targets(y)
        else:
            labels = tf.cast(y, "int32")
        weights = tf.cast(tf.not_equal(labels, PAD_ID), "float32")
        if sample_weight is not None:
            sample_weight = tf.cast(sample_weight, "float32")
            if sample_weight.shape.rank == 1:
                sample_weight = sample_weight[:, None]
            weights *= sample_weight
        return inputs, labels, weights

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
        self._resolve_predict_steps()
        if isinstance(x, tf.data.Dataset) or isinstance(x, dict):
            if isinstance(x, dict):
                x = _check_id_dict("x", x)
            return keras.Model.predict(
                self, x, batch_size=batch_size, verbose=verbose, **kwargs
            )
        if not (isinstance(x, tuple | list) and len(x) == 2):
            raise TypeError(
                "`x` must be a (sources, targets) pair, a dict of token ids or "
                "a tf.data.Dataset; use `translate(sentences)` to translate. "
                f"Received: x of type {type(x).__name__}"
            )
        data = self.to_data(x, None, "x")
        ds = self.make_dataset(data, batch_size).map(_inputs_only)
        return keras.Model.predict(self, ds, verbose=verbose, **kwargs)

    def predict_labels(self, x, batch_size=None, verbose=0):
        """Not meaningful for a translator: use `translate`."""
        raise NotImplementedError(
            "`Seq2SeqTransformer` predicts sentences, not class labels: use "
            "`translate(sentences)`."
        )

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
        beam_width, max_length, length_penalty = self._check_decoding(
            beam_width, max_length, length_penalty
        )
        if method is None:
            method = "greedy" if beam_width == 1 else "beam"
        validation.check_choice("method", method, ("greedy", "beam"))
        if method == "greedy" and beam_width != 1:
            raise ValueError(
                "`method='greedy'` needs `beam_width=1`. "
                f"Received: beam_width={beam_width}"
            )
        fn = self._state.decode_fn(method, beam_width, max_length)
        ids = tf.convert_to_tensor(np.asarray(encoder_ids), dtype="int32")
        return fn(ids, tf.constant(length_penalty, "float32")).numpy()

    def _check_decoding(self, beam_width, max_length, length_penalty):
        beam_width = validation.check_int("beam_width", beam_width, minimum=1)
        limit = self._target_length - 1
        if max_length is None:
            max_length = limit
        max_length = validation.check_int(
            "max_length", max_length, minimum=1, maximum=limit
        )
        length_penalty = validation.check_float(
            "length_penalty", length_penalty, minimum=0.0
        )
        return beam_width, max_length, length_penalty

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
        self._require_vocabularies("`translate`")
        if isinstance(sentences, str):
            sentences = [sentences]
        sentences = _check_sentences(
            "sentences",
            sentences,
            self.source_split,
            self.sequence_length,
            "sequence_length",
        )
        beam_width, max_length, length_penalty = self._check_decoding(
            beam_width, max_length, length_penalty
        )
        batch_size = validation.check_int(
            "batch_size", batch_size or self.default_batch_size, minimum=1
        )
        method = "greedy" if beam_width == 1 else "beam"
        fn = self._state.decode_fn(method, beam_width, max_length, strings=True)
        penalty = tf.constant(length_penalty, "float32")
        outputs = []
        for start in range(0, len(sentences), batch_size):
            batch = tf.constant(sentences[start : start + batch_size])
            outputs.extend(self.detokenize(fn(batch, penalty).numpy()))
        return outputs

    def detokenize(self, ids):
        """Target ids `(batch, length)` (starting with the start token) -> strings."""
        self._require_vocabularies("`detokenize`")
        tokens = self._state.target_tokens
        joiner = "" if self.target_split == "character" else " "
        out = []
        for row in np.asarray(ids):
            words = []
            for i in row[1:]:
                if i in (END_ID, PAD_ID):
                    break
                words.append(tokens[i])
            out.append(joiner.join(words))
        return out

    def onnx_decoder_graphs(self):
        """The two ONNX graphs of greedy decoding, and their JSON sidecar.

        Used by `export(path, format="onnx")` (see
        `keras_recipes.export.onnx_seq2seq`). Both graphs share this model's
        weights and run with `training=False`:

        - encoder: `encoder_ids (batch, source_length) int32` ->
          `encoded (batch, source_length, embedding_dim) float32` and
          `encoder_mask (batch, source_length) bool` (`ids != 0`);
        - decoder: `encoded`, `encoder_mask` and `decoder_ids (batch, t)
          int32` (the start token and the tokens generated so far) ->
          `logits (batch, t, target_vocabulary_size) float32`. Decoding feeds
          the whole prefix every step (no key/value cache).

        Returns:
            `(encoder, decoder, sidecar)`: two `keras.Model`s and a
            JSON-ready dict with everything the pure-Python tokenizer and
            greedy loop need (`onnx_preprocess.translate_onnx`).
        """
        self._require_vocabularies("ONNX export")
        encoder_ids = keras.Input(shape=(None,), dtype="int32", name="encoder_ids")
        encoded, encoder_mask = self._encoder_forward(encoder_ids, training=False)
        encoder = keras.Model(
            encoder_ids,
            [
                keras.layers.Identity(name="encoded", dtype="float32")(encoded),
                keras.layers.Identity(name="encoder_mask", dtype="float32")(
                    encoder_mask
                ),
            ],
            name=f"{self.name}_encoder",
        )
        inputs = {
            "encoded": keras.Input(
                shape=(None, int(self.embedding_dim)),
                dtype="float32",
                name="encoded",
            ),
            "encoder_mask": keras.Input(
                shape=(None,), dtype="bool", name="encoder_mask"
            ),
            "decoder_ids": keras.Input(
                shape=(None,), dtype="int32", name="decoder_ids"
            ),
        }
        logits = self._decoder_forward(
            inputs["decoder_ids"],
            inputs["encoded"],
            inputs["encoder_mask"],
            training=False,
        )
        decoder = keras.Model(inputs, logits, name=f"{self.name}_decoder")
        sidecar = {
            "task": self.task_name,
            "source_tokens": list(RESERVED_TOKENS) + self.source_vocabulary,
            "target_tokens": self._state.target_tokens,
            "source_split": self.source_split,
            "target_split": self.target_split,
            "standardize": None,
            "sequence_length": int(self.sequence_length),
            "max_output_length": self._target_length - 1,
            "special_ids": {
                "pad": PAD_ID,
                "unk": UNK_ID,
                "start": START_ID,
                "end": END_ID,
            },
            "never_generated": [PAD_ID, UNK_ID, START_ID],
            "never_generated_logit": NEG_INF,
        }
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
            "num_samples": int}`.
        """
        import sacrebleu

        sources, targets = _check_pair("data", data)
        hypotheses = self.translate(
            sources,
            beam_width=beam_width,
            max_length=max_length,
            length_penalty=length_penalty,
            batch_size=batch_size,
        )
        bleu = sacrebleu.corpus_bleu(hypotheses, [list(targets)], tokenize=tokenize)
        exact = np.mean([h == t for h, t in zip(hypotheses, targets)])
        return {
            "bleu": float(bleu.score),
            "exact_match": float(exact),
            "num_samples": len(targets),
        }

    # ---------------------------------------------------------------- config
    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "source_vocabulary": self.source_vocabulary,
                "target_vocabulary": self.target_vocabulary,
                "source_vocabulary_size": self.source_vocabulary_size,
                "target_vocabulary_size": self.target_vocabulary_size,
                "sequence_length": self.sequence_length,
                "target_sequence_length": self.target_sequence_length,
                "source_split": self.source_split,
                "target_split": self.target_split,
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
    """Untracked helpers: lookup tables and compiled decoding functions."""

    def __init__(self, model, target_size, target_length):
        self.model = model
        self.target_size = target_size
        self.target_length = target_length
        self.tables = {}
        for side in ("source", "target"):
            vocabulary = getattr(model, f"{side}_vocabulary")
            if vocabulary is not None:
                self.tables[side] = tf.lookup.StaticHashTable(
                    tf.lookup.KeyValueTensorInitializer(
                        tf.constant(vocabulary, dtype=tf.string),
                        tf.range(4, len(vocabulary) + 4, dtype=tf.int32),
                    ),
                    default_value=UNK_ID,
                )
        self.target_tokens = None
        if model.target_vocabulary is not None:
            self.target_tokens = list(RESERVED_TOKENS) + model.target_vocabulary
        bias = np.zeros(target_size, "float32")
        bias[[PAD_ID, UNK_ID, START_ID]] = NEG_INF  # never generated
        self.logit_bias = tf.constant(bias)
        self.fns = {}

    def to_ids(self, strings, side, length, start, end):
        split = getattr(self.model, f"{side}_split")
        strings = tf.convert_to_tensor(strings, dtype=tf.string)
        if split == "character":
            tokens = tf.strings.unicode_split(strings, "UTF-8")
        else:
            tokens = tf.strings.split(strings)
        ids = tf.ragged.map_flat_values(self.tables[side].lookup, tokens)
        ids = ids[:, : length - int(start) - int(end)]
        rows = tf.shape(strings)[0]
        parts = [ids]
        if start:
            parts.insert(0, tf.RaggedTensor.from_tensor(tf.fill([rows, 1], START_ID)))
        if end:
            parts.append(tf.RaggedTensor.from_tensor(tf.fill([rows, 1], END_ID)))
        ids = tf.concat(parts, axis=1) if len(parts) > 1 else ids
        return ids.to_tensor(default_value=PAD_ID, shape=[None, length])

    def decode_fn(self, method, beam_width, max_length, strings=False):
        key = (method, beam_width, max_length, strings)
        if key not in self.fns:
            search = self.greedy if method == "greedy" else self.beam
            spec = tf.TensorSpec([None], tf.string)
            if not strings:
                spec = tf.TensorSpec([None, None], tf.int32)

            @tf.function(
                input_signature=[spec, tf.TensorSpec([], tf.float32)],
                reduce_retracing=True,
            )
            def fn(inputs, length_penalty):
                if strings:
                    inputs = self.model.vectorize_sources(inputs)
                return search(inputs, beam_width, max_length, length_penalty)

            self.fns[key] = fn
        return self.fns[key]

    def step_logits(self, buffer, step, encoded, encoder_mask):
        logits = self.model._decoder_forward(
            buffer, encoded, encoder_mask, training=False
        )
        return tf.gather(logits, step, axis=1) + self.logit_bias

    def greedy(self, encoder_ids, beam_width, max_length, length_penalty):
        del beam_width, length_penalty
        encoded, encoder_mask = self.model._encoder_forward(encoder_ids, training=False)
        batch = tf.shape(encoder_ids)[0]
        width = max_length + 1
        buffer = tf.concat(
            [tf.fill([batch, 1], START_ID), tf.zeros([batch, max_length], tf.int32)],
            axis=1,
        )
        finished = tf.zeros([batch], tf.bool)

        def cond(step, buffer, finished):
            return tf.logical_and(
                step < max_length, tf.logical_not(tf.reduce_all(finished))
            )

        def body(step, buffer, finished):
            logits = self.step_logits(buffer, step, encoded, encoder_mask)
            token = tf.argmax(logits, axis=-1, output_type=tf.int32)
            token = tf.where(finished, PAD_ID, token)
            buffer += tf.one_hot(step + 1, width, dtype=tf.int32)[None] * token[:, None]
            return step + 1, buffer, finished | tf.equal(token, END_ID)

        _, buffer, _ = tf.while_loop(cond, body, (tf.constant(0), buffer, finished))
        return buffer

    def beam(self, encoder_ids, beam_width, max_length, length_penalty):
        k, vocab, width = beam_width, self.target_size, max_length + 1
        encoded, encoder_mask = self.model._encoder_forward(encoder_ids, training=False)
        # The encoder ran once; each beam reuses its sentence's encoding.
        encoded = tf.repeat(encoded, k, axis=0)
        encoder_mask = tf.repeat(encoder_mask, k, axis=0)
        batch = tf.shape(encoder_ids)[0]
        buffer = tf.concat(
            [
                tf.fill([batch * k, 1], START_ID),
                tf.zeros([batch * k, max_length], tf.int32),
            ],
            axis=1,
        )
        # Only the first beam is alive at the start (all beams are identical).
        scores = tf.tile(tf.constant([[0.0] + [NEG_INF] * (k - 1)]), [batch, 1])
        finished = tf.zeros([batch, k], tf.bool)
        pad_only = tf.constant([0.0] + [NEG_INF] * (vocab - 1))

        def cond(step, buffer, scores, finished):
            return tf.logical_and(
                step < max_length, tf.logical_not(tf.reduce_all(finished))
            )

        def body(step, buffer, scores, finished):
            logits = self.step_logits(buffer, step, encoded, encoder_mask)
            log_probs = tf.reshape(tf.nn.log_softmax(logits), [batch, k, vocab])
            # Finished beams only extend with padding, at no cost.
            log_probs = tf.where(finished[..., None], pad_only, log_probs)
            candidates = tf.reshape(scores[..., None] + log_probs, [batch, k * vocab])
            scores, index = tf.math.top_k(candidates, k=k)
            parent, token = index // vocab, index % vocab
            buffer = tf.gather(
                tf.reshape(buffer, [batch, k, width]), parent, batch_dims=1
            )
            buffer += tf.one_hot(step + 1, width, dtype=tf.int32) * token[..., None]
            finished = tf.gather(finished, parent, batch_dims=1)
            finished = finished | tf.equal(token, END_ID)
            return step + 1, tf.reshape(buffer, [batch * k, width]), scores, finished

        _, buffer, scores, _ = tf.while_loop(
            cond, body, (tf.constant(0), buffer, scores, finished)
        )
        buffer = tf.reshape(buffer, [batch, k, width])
        lengths = tf.reduce_sum(
            tf.cast(tf.not_equal(buffer[:, :, 1:], PAD_ID), tf.float32), axis=-1
        )
        penalty = tf.pow((5.0 + lengths) / 6.0, length_penalty)
        best = tf.argmax(scores / penalty, axis=-1, output_type=tf.int32)
        return tf.gather(buffer, best, batch_dims=1)


def _inputs_only(inputs, labels, weights):
    return inputs


def _as_list(vocabulary):
    return None if vocabulary is None else [str(t) for t in vocabulary]


def _check_vocabulary(name, vocabulary, size):
    size_name = f"{name}_size"
    if vocabulary is None:
        if size is None:
            raise ValueError(
                f"`{name}` or `{size_name}` is required (use "
                "`kr.seq2seq_transformer(data=...)` to adapt vocabularies). "
                f"Received: {name}=None, {size_name}=None"
            )
        return validation.check_int(size_name, size, minimum=len(RESERVED_TOKENS) + 1)
    if isinstance(vocabulary, str) or not isinstance(vocabulary, list | tuple):
        raise TypeError(
            f"`{name}` must be a list of token strings. "
            f"Received: {name} of type {type(vocabulary).__name__}"
        )
    if not vocabulary:
        raise ValueError(f"`{name}` must not be empty. Received: {name}=[]")
    bad = [t for t in vocabulary if not isinstance(t, str) or t in RESERVED_TOKENS]
    if bad:
        raise ValueError(
            f"`{name}` must hold non-empty strings other than the reserved "
            f"tokens {list(RESERVED_TOKENS[1:])}. Received: {bad[:3]}"
        )
    dupes = [t for t, c in collections.Counter(vocabulary).items() if c > 1]
    if dupes:
        raise ValueError(
            f"`{name}` must not repeat tokens. Received duplicates: {dupes[:5]}"
        )
    expected = len(vocabulary) + len(RESERVED_TOKENS)
    if size is not None and size != expected:
        raise ValueError(
            f"`{size_name}` must equal len({name}) + {len(RESERVED_TOKENS)} = "
            f"{expected} (or be None). Received: {size_name}={size}"
        )
    return expected


def _tokens(sentence, split):
    return list(sentence) if split == "character" else sentence.split()


def _check_sentences(name, sentences, split, budget, budget_name):
    """Checks a list of strings; warns once about sentences to be truncated."""
    if isinstance(sentences, str):
        raise TypeError(
            f"`{name}` must be a list of strings, not a single string. "
            f"Received: {name}={sentences[:40]!r}"
        )
    if hasattr(sentences, "to_numpy"):
        sentences = sentences.to_numpy()
    sentences = (
        list(np.asarray(sentences, dtype=object).reshape(-1))
        if (np.ndim(sentences) > 1)
        else list(sentences)
    )
    if not sentences:
        raise ValueError(
            f"`{name}` is empty: expected at least one sentence. Received: {name}=[]"
        )
    for i, s in enumerate(sentences):
        if isinstance(s, bytes):
            sentences[i] = s = s.decode("utf-8")
        if not isinstance(s, str):
            raise TypeError(
                f"`{name}` must hold strings. Received: {name}[{i}]={s!r} of "
                f"type {type(s).__name__}"
            )
    empty = [i for i, s in enumerate(sentences) if not s.strip()]
    if empty:
        raise ValueError(
            f"`{name}` must not contain empty strings; found {len(empty)} "
            f"(first at index {empty[0]}). "
            f"Received: {name}[{empty[0]}]={sentences[empty[0]]!r}"
        )
    lengths = [len(_tokens(s, split)) for s in sentences]
    long = [i for i, n in enumerate(lengths) if n > budget]
    if long:
        warnings.warn(
            f"{len(long)} sentence(s) in `{name}` are longer than {budget} "
            f"tokens ({budget_name}) and are truncated; the longest has "
            f"{max(lengths)} tokens (first at index {long[0]}).",
            stacklevel=3,
        )
    return np.asarray(sentences, dtype=object)


def _check_id_dict(name, x):
    expected = {"encoder_ids", "decoder_ids"}
    if set(x) != expected and set(x) != {"encoder_ids"}:
        raise ValueError(
            f"`{name}` as a dict must hold token ids under {sorted(expected)}. "
            f"Received keys: {sorted(x)}"
        )
    out = {}
    for key, value in x.items():
        array = np.asarray(value)
        if array.dtype.kind not in "iu":
            raise TypeError(
                f"`{name}['{key}']` must hold integer token ids. "
                f"Received: dtype {array.dtype}"
            )
        validation.check_rank(f"{name}['{key}']", array, (2,), "batch of ids")
        out[key] = array.astype("int32")
    return out


def _check_pair(name, data):
    if not (isinstance(data, tuple | list) and len(data) == 2):
        raise TypeError(
            f"`{name}` must be a (sources, targets) pair of string lists. "
            f"Received: {name} of type {type(data).__name__}"
        )
    sources, targets = data
    if isinstance(sources, str) or isinstance(targets, str):
        raise TypeError(
            f"`{name}` must be a (sources, targets) pair of string lists. "
            f"Received: a single string"
        )
    validation.check_same_length(
        f"{name}[0]", list(sources), f"{name}[1]", list(targets)
    )
    sources = _check_sentences(f"{name}[0]", sources, "character", math.inf, "")
    targets = _check_sentences(f"{name}[1]", targets, "character", math.inf, "")
    return list(sources), list(targets)


def build_vocabulary(sentences, split, max_size=None):
    """Tokens of `sentences` by decreasing frequency (ties: alphabetical).

    Example:

    >>> build_vocabulary(["abca", "b"], "character")
    ['a', 'b', 'c']
    """
    counts = collections.Counter()
    for sentence in sentences:
        counts.update(_tokens(sentence, split))
    for token in RESERVED_TOKENS:
        counts.pop(token, None)
    tokens = sorted(counts, key=lambda t: (-counts[t], t))
    return tokens if max_size is None else tokens[:max_size]


def _round_up(n, multiple=8):
    return int(multiple * math.ceil(n / multiple))


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
            inferred from it.
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
    from keras_recipes.distribute import get_strategy
    from keras_recipes.utils import set_seed

    validation.check_choice("source_split", source_split, SPLITS)
    validation.check_choice("target_split", target_split, SPLITS)
    validation.check_int(
        "max_vocabulary_size", max_vocabulary_size, minimum=len(RESERVED_TOKENS) + 1
    )
    if data is not None:
        sources, targets = _check_pair("data", data)
        keep = int(max_vocabulary_size) - len(RESERVED_TOKENS)
        if source_vocabulary is None:
            source_vocabulary = build_vocabulary(sources, source_split, keep)
        if target_vocabulary is None:
            target_vocabulary = build_vocabulary(targets, target_split, keep)
        if sequence_length is None:
            longest = max(len(_tokens(s, source_split)) for s in sources)
            sequence_length = _round_up(longest + 2)
        if target_sequence_length is None:
            longest = max(len(_tokens(t, target_split)) for t in targets)
            target_sequence_length = _round_up(longest + 3)
    if sequence_length is None:
        sequence_length = 32
    if seed is not None:
        set_seed(seed)
    with get_strategy(strategy).scope():
        return Seq2SeqTransformer(
            source_vocabulary=source_vocabulary,
            target_vocabulary=target_vocabulary,
            sequence_length=sequence_length,
            target_sequence_length=target_sequence_length,
            source_split=source_split,
            target_split=target_split,
            **kwargs,
        )
