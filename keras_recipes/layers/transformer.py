"""Transformer building blocks written with `keras.ops`.

`TokenAndPositionEmbedding`, `TransformerEncoder` and `TransformerDecoder`
(causal self-attention + cross-attention). Padding masks are explicit
arguments (`True` = real token, `False` = padding) and reach every attention;
the decoder always applies the causal mask. The feed-forward activation is
`"relu"` or `"gelu_approximate"`: exact `gelu` lowers to `Erfc`, which does
not convert to ONNX.
"""

import keras
from keras import ops

from keras_recipes import validation

ACTIVATIONS = ("relu", "gelu_approximate")


def _check_common(intermediate_dim, num_heads, dropout, activation):
    validation.check_int("intermediate_dim", intermediate_dim, minimum=1)
    validation.check_int("num_heads", num_heads, minimum=1)
    validation.check_float(
        "dropout", dropout, minimum=0.0, maximum=1.0, include_max=False
    )
    if activation == "gelu":
        raise ValueError(
            "`activation='gelu'` (exact) does not export to ONNX (it lowers to "
            "Erfc); use 'gelu_approximate' or 'relu'. Received: activation='gelu'"
        )
    validation.check_choice("activation", activation, ACTIVATIONS)


def _activate(x, activation):
    if activation == "relu":
        return ops.relu(x)
    return ops.gelu(x, approximate=True)


def _key_mask(padding_mask):
    """`(batch, keys)` padding mask -> `(batch, 1, keys)` attention mask."""
    if padding_mask is None:
        return None
    return ops.expand_dims(ops.cast(padding_mask, "bool"), axis=1)


def _head_dim(hidden_dim, num_heads, name):
    if hidden_dim is None or hidden_dim % num_heads:
        raise ValueError(
            f"`{name}`: the hidden size must be divisible by `num_heads`. "
            f"Received: hidden size {hidden_dim}, num_heads={num_heads}"
        )
    return hidden_dim // num_heads


@keras.saving.register_keras_serializable(package="keras_recipes")
class TokenAndPositionEmbedding(keras.layers.Layer):
    """Token embedding plus a learned position embedding.

    Args:
        vocabulary_size: number of token ids (id 0 is padding).
        sequence_length: maximum sequence length (number of positions).
        embedding_dim: size of the embeddings.
        mask_zero: when `True`, `compute_mask` returns `token_ids != 0` so
            downstream Keras layers receive the padding mask.
        embeddings_initializer: initializer of both embedding tables.
        **kwargs: `keras.layers.Layer` arguments.

    Example:

    >>> import numpy as np
    >>> layer = TokenAndPositionEmbedding(10, sequence_length=6, embedding_dim=4)
    >>> tuple(layer(np.array([[3, 4, 0]])).shape)
    (1, 3, 4)
    """

    def __init__(
        self,
        vocabulary_size,
        sequence_length,
        embedding_dim,
        mask_zero=False,
        embeddings_initializer="uniform",
        **kwargs,
    ):

        super().__init__(**kwargs)
        validation.check_int("vocabulary_size", vocabulary_size, minimum=1)
        validation.check_int("sequence_length", sequence_length, minimum=1)
        validation.check_int("embedding_dim", embedding_dim, minimum=1)
        self.vocabulary_size = vocabulary_size
        self.sequence_length = sequence_length
        self.embedding_dim = embedding_dim
        self.mask_zero = mask_zero
        self.embeddings_initializer = embeddings_initializer
        self.supports_masking = bool(mask_zero)
        self.token_embedding = keras.layers.Embedding(
            int(vocabulary_size),
            int(embedding_dim),
            embeddings_initializer=embeddings_initializer,
            name="token_embedding",
        )

    def build(self, input_shape):
        self.token_embedding.build(input_shape)
        self.position_embeddings = self.add_weight(
            name="position_embeddings",
            shape=(int(self.sequence_length), int(self.embedding_dim)),
            initializer=self.embeddings_initializer,
        )

    def call(self, inputs):
        length = ops.shape(inputs)[-1]
        positions = ops.slice(
            self.position_embeddings, (0, 0), (length, int(self.embedding_dim))
        )
        return self.token_embedding(inputs) + ops.cast(positions, self.compute_dtype)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return (*input_shape, int(self.embedding_dim))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "sequence_length": self.sequence_length,
                "embedding_dim": self.embedding_dim,
                "mask_zero": self.mask_zero,
                "embeddings_initializer": keras.initializers.serialize(
                    keras.initializers.get(self.embeddings_initializer)
                )
                if not isinstance(self.embeddings_initializer, str)
                else self.embeddings_initializer,
            }
        )
        return config


class _Block(keras.layers.Layer):
    """Shared pieces of the encoder and decoder blocks."""

    def __init__(
        self,
        intermediate_dim,
        num_heads,
        dropout=0.0,
        activation="relu",
        norm_first=False,
        layer_norm_epsilon=1e-5,
        **kwargs,
    ):
        super().__init__(**kwargs)
        _check_common(intermediate_dim, num_heads, dropout, activation)
        self.intermediate_dim = intermediate_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.activation = activation
        self.norm_first = norm_first
        self.layer_norm_epsilon = layer_norm_epsilon

    def _attention(self, name, hidden_dim):
        return keras.layers.MultiHeadAttention(
            int(self.num_heads),
            key_dim=_head_dim(hidden_dim, int(self.num_heads), self.name),
            dropout=float(self.dropout),
            name=name,
        )

    def _norm(self, name):
        return keras.layers.LayerNormalization(
            epsilon=float(self.layer_norm_epsilon), name=name
        )

    def _build_ffn(self, shape):
        hidden_dim = int(shape[-1])
        self._ffn_norm = self._norm("ffn_norm")
        self._ffn_norm.build(shape)
        self._ffn_in = keras.layers.Dense(int(self.intermediate_dim), name="ffn_in")
        self._ffn_in.build(shape)
        self._ffn_out = keras.layers.Dense(hidden_dim, name="ffn_out")
        self._ffn_out.build((*shape[:-1], int(self.intermediate_dim)))
        self._dropout_layer = keras.layers.Dropout(float(self.dropout))

    def _residual(self, x, norm, fn, training):
        residual = x
        if self.norm_first:
            x = norm(x)
        x = self._dropout_layer(fn(x), training=training) + residual
        if not self.norm_first:
            x = norm(x)
        return x

    def _ffn(self, x, training):
        def fn(h):
            return self._ffn_out(_activate(self._ffn_in(h), self.activation))

        return self._residual(x, self._ffn_norm, fn, training)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "intermediate_dim": self.intermediate_dim,
                "num_heads": self.num_heads,
                "dropout": self.dropout,
                "activation": self.activation,
                "norm_first": self.norm_first,
                "layer_norm_epsilon": self.layer_norm_epsilon,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_recipes")
class TransformerEncoder(_Block):
    """Transformer encoder block: self-attention then a feed-forward network.

    Each sub-layer is residual, with layer normalization after it
    (`norm_first=False`, the original Transformer) or before it
    (`norm_first=True`, pre-norm: more stable for deep or fast-trained models).

    Args:
        intermediate_dim: hidden size of the feed-forward network.
        num_heads: attention heads; the input size must be divisible by it.
        dropout: dropout rate of attention weights and residual branches.
        activation: `"relu"` or `"gelu_approximate"` (ONNX-exportable).
        norm_first: pre-norm (`True`) or post-norm (`False`).
        layer_norm_epsilon: epsilon of the layer normalizations.
        **kwargs: `keras.layers.Layer` arguments.

    Call arguments:
        inputs: `(batch, length, hidden)` embeddings.
        padding_mask: optional `(batch, length)` boolean mask, `True` for real
            tokens; padded positions are never attended to.
        training: training mode (dropout).

    Example:

    >>> import numpy as np
    >>> layer = TransformerEncoder(intermediate_dim=8, num_heads=2)
    >>> x = np.ones((1, 3, 4), "float32")
    >>> tuple(layer(x, padding_mask=np.array([[True, True, False]])).shape)
    (1, 3, 4)
    """

    def build(self, input_shape):
        shape = tuple(input_shape)
        self._self_attention = self._attention("self_attention", shape[-1])
        self._self_attention.build(shape, shape)
        self._self_attention_norm = self._norm("self_attention_norm")
        self._self_attention_norm.build(shape)
        self._build_ffn(shape)

    def call(self, inputs, padding_mask=None, training=None):
        mask = _key_mask(padding_mask)

        def attend(h):
            return self._self_attention(h, h, attention_mask=mask, training=training)

        x = self._residual(inputs, self._self_attention_norm, attend, training)
        return self._ffn(x, training)


@keras.saving.register_keras_serializable(package="keras_recipes")
class TransformerDecoder(_Block):
    """Transformer decoder block: causal self-attention, cross-attention, FFN.

    Position `t` attends only to positions `<= t` of the decoder sequence (the
    causal mask is always applied) and to the non-padded positions of the
    encoder sequence. Without `encoder_sequence` the block is decoder-only
    (no cross-attention).

    Args:
        intermediate_dim: hidden size of the feed-forward network.
        num_heads: attention heads; the input size must be divisible by it.
        dropout: dropout rate of attention weights and residual branches.
        activation: `"relu"` or `"gelu_approximate"` (ONNX-exportable).
        norm_first: pre-norm (`True`) or post-norm (`False`).
        layer_norm_epsilon: epsilon of the layer normalizations.
        **kwargs: `keras.layers.Layer` arguments.

    Call arguments:
        decoder_sequence: `(batch, target_length, hidden)` embeddings.
        encoder_sequence: optional `(batch, source_length, hidden)` encoder
            outputs.
        decoder_padding_mask: optional `(batch, target_length)` boolean mask.
        encoder_padding_mask: optional `(batch, source_length)` boolean mask.
        training: training mode (dropout).

    Example:

    >>> import numpy as np
    >>> layer = TransformerDecoder(intermediate_dim=8, num_heads=2)
    >>> target, source = np.ones((1, 3, 4), "float32"), np.ones((1, 5, 4), "float32")
    >>> tuple(layer(target, source).shape)
    (1, 3, 4)
    """

    def build(self, decoder_sequence_shape, encoder_sequence_shape=None):
        shape = tuple(decoder_sequence_shape)
        self._self_attention = self._attention("self_attention", shape[-1])
        self._self_attention.build(shape, shape)
        self._self_attention_norm = self._norm("self_attention_norm")
        self._self_attention_norm.build(shape)
        self._cross_attention = None
        if encoder_sequence_shape is not None:
            enc_shape = tuple(encoder_sequence_shape)
            self._cross_attention = self._attention("cross_attention", shape[-1])
            self._cross_attention.build(shape, enc_shape)
            self._cross_attention_norm = self._norm("cross_attention_norm")
            self._cross_attention_norm.build(shape)
        self._build_ffn(shape)

    def call(
        self,
        decoder_sequence,
        encoder_sequence=None,
        decoder_padding_mask=None,
        encoder_padding_mask=None,
        training=None,
    ):
        length = ops.shape(decoder_sequence)[1]
        rows = ops.expand_dims(ops.arange(length), 1)
        cols = ops.expand_dims(ops.arange(length), 0)
        self_mask = ops.expand_dims(ops.greater_equal(rows, cols), 0)
        if decoder_padding_mask is not None:
            self_mask = ops.logical_and(self_mask, _key_mask(decoder_padding_mask))

        def self_attend(h):
            return self._self_attention(
                h, h, attention_mask=self_mask, training=training
            )

        x = self._residual(
            decoder_sequence, self._self_attention_norm, self_attend, training
        )
        if encoder_sequence is not None:
            if self._cross_attention is None:
                raise ValueError(
                    f"`{self.name}` was built without an encoder sequence; "
                    "call it with `encoder_sequence` the first time to enable "
                    "cross-attention."
                )
            cross_mask = _key_mask(encoder_padding_mask)

            def cross_attend(h):
                return self._cross_attention(
                    h,
                    encoder_sequence,
                    attention_mask=cross_mask,
                    training=training,
                )

            x = self._residual(x, self._cross_attention_norm, cross_attend, training)
        return self._ffn(x, training)
