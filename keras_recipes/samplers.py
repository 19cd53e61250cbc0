"""Decoding strategies of sequence models: greedy search and beam search.

As in KerasHub's `keras_hub.samplers`, a decoding strategy is its own object,
separate from the model: the model hands a sampler a `next_logits` function
and the per-sentence `context` its decoder reads (the encoder states), and the
sampler runs the decoding loop in graph (`tf.while_loop`), so it can be
traced once inside a `tf.function` and reused for every batch.

Token ids follow the kit's convention: 0 is padding. Every row of the output
starts with `start_id`, then the generated tokens, up to and including
`end_id`, then padding.
"""

import tensorflow as tf

from keras_recipes import validation

# Log-probability (and logit bias) of what must never be chosen.
NEG_INF = -1e9

# The widest beam accepted: each beam repeats its sentence's encoder states
# and reruns the decoder on its prefix, so memory and time grow with
# `batch * beam_width`; widths beyond a few dozen no longer change the best
# translation (and 10**9 would build a billion-element list before tracing).
MAX_BEAM_WIDTH = 256


class Sampler:
    """Base class of the decoding strategies: the output buffer and the loop bound.

    A sampler is called as
    `sampler(next_logits, context, max_length, start_id, end_id)`:

    - `next_logits(buffer, step, context)`: the logits `(rows, vocabulary)` of
      the token at position `step + 1`, given `buffer` `(rows, max_length + 1)`
      (the start token, the tokens generated so far, then zeros);
    - `context`: a nested structure of tensors with one row per sentence
      (the encoder states), passed back to `next_logits` (with the rows
      repeated per beam by `BeamSampler`);
    - `max_length`: the most tokens generated per sentence (a Python int);
    - `start_id`, `end_id`: the start and end token ids.

    It returns int32 token ids `(batch, max_length + 1)`.
    """

    def _start(self, rows, max_length, start_id):
        """`(rows, max_length + 1)` buffer: the start token, then zeros."""
        return tf.concat(
            [tf.fill([rows, 1], start_id), tf.zeros([rows, max_length], tf.int32)],
            axis=1,
        )

    def get_config(self):
        return {}


class GreedySampler(Sampler):
    """Greedy search: the most likely token at every step.

    Stops when every sentence has produced `end_id` (or after `max_length`
    tokens); finished sentences are padded with 0.

    Example:

    >>> import tensorflow as tf
    >>> def next_logits(buffer, step, context):  # always token 3 (the end)
    ...     return tf.one_hot(tf.fill([tf.shape(buffer)[0]], 3), 5)
    >>> GreedySampler()(next_logits, tf.zeros([2, 1]), 4, 2, 3).numpy().tolist()
    [[2, 3, 0, 0, 0], [2, 3, 0, 0, 0]]
    """

    def __call__(self, next_logits, context, max_length, start_id, end_id):
        batch = _num_rows(context)
        width = max_length + 1
        buffer = self._start(batch, max_length, start_id)
        finished = tf.zeros([batch], tf.bool)

        def cond(step, buffer, finished):
            return tf.logical_and(
                step < max_length, tf.logical_not(tf.reduce_all(finished))
            )

        def body(step, buffer, finished):
            logits = next_logits(buffer, step, context)
            token = tf.argmax(logits, axis=-1, output_type=tf.int32)
            token = tf.where(finished, 0, token)
            buffer += tf.one_hot(step + 1, width, dtype=tf.int32)[None] * token[:, None]
            return step + 1, buffer, finished | tf.equal(token, end_id)

        _, buffer, _ = tf.while_loop(cond, body, (tf.constant(0), buffer, finished))
        return buffer


class BeamSampler(Sampler):
    """Beam search, finished beams ranked with the GNMT length penalty.

    Keeps the `beam_width` best partial translations of each sentence (sum of
    token log-probabilities); a finished beam only extends with padding, at
    no cost. The best beam maximizes
    `score / ((5 + length) / 6) ** length_penalty`. The context is computed
    once per sentence and repeated for each of its beams.

    Args:
        beam_width: beams kept per sentence (`1` gives the greedy result).
        length_penalty: GNMT length-penalty exponent `alpha` (a float, or a
            scalar float32 tensor, so a traced decoder takes any value).

    Example:

    >>> import tensorflow as tf
    >>> def next_logits(buffer, step, context):  # always token 3 (the end)
    ...     return tf.one_hot(tf.fill([tf.shape(buffer)[0]], 3), 5)
    >>> sampler = BeamSampler(beam_width=2)
    >>> sampler(next_logits, tf.zeros([1, 1]), 3, 2, 3).numpy().tolist()
    [[2, 3, 0, 0]]
    """

    def __init__(self, beam_width=4, length_penalty=0.6):
        self.beam_width = validation.check_int(
            "beam_width", beam_width, minimum=1, maximum=MAX_BEAM_WIDTH
        )
        if not tf.is_tensor(length_penalty):
            length_penalty = validation.check_float(
                "length_penalty", length_penalty, minimum=0.0
            )
        self.length_penalty = length_penalty

    def __call__(self, next_logits, context, max_length, start_id, end_id):
        k, width = self.beam_width, max_length + 1
        batch = _num_rows(context)
        # Each beam reuses its sentence's context.
        context = tf.nest.map_structure(lambda t: tf.repeat(t, k, axis=0), context)
        buffer = self._start(batch * k, max_length, start_id)
        # Only the first beam is alive at the start (all beams are identical).
        scores = tf.tile(tf.constant([[0.0] + [NEG_INF] * (k - 1)]), [batch, 1])
        finished = tf.zeros([batch, k], tf.bool)

        def cond(step, buffer, scores, finished):
            return tf.logical_and(
                step < max_length, tf.logical_not(tf.reduce_all(finished))
            )

        def body(step, buffer, scores, finished):
            logits = next_logits(buffer, step, context)
            vocab = logits.shape[-1]
            pad_only = tf.constant([0.0] + [NEG_INF] * (vocab - 1))
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
            finished = finished | tf.equal(token, end_id)
            return step + 1, tf.reshape(buffer, [batch * k, width]), scores, finished

        _, buffer, scores, _ = tf.while_loop(
            cond, body, (tf.constant(0), buffer, scores, finished)
        )
        buffer = tf.reshape(buffer, [batch, k, width])
        lengths = tf.reduce_sum(
            tf.cast(tf.not_equal(buffer[:, :, 1:], 0), tf.float32), axis=-1
        )
        penalty = tf.pow((5.0 + lengths) / 6.0, self.length_penalty)
        best = tf.argmax(scores / penalty, axis=-1, output_type=tf.int32)
        return tf.gather(buffer, best, batch_dims=1)

    def get_config(self):
        return {"beam_width": self.beam_width, "length_penalty": self.length_penalty}


class TracedDecoder:
    """A model's decoding `tf.function`s, traced once per setting and cached.

    Each function takes a batch of inputs and a scalar float32
    `length_penalty` (an input of the trace, so any value reuses it) and
    returns the sampler's token ids.

    Args:
        encode: `encoder_ids -> context`, run once per batch.
        next_logits: `(buffer, step, context) -> logits`, as `Sampler` takes it.
        start_id: the start token id.
        end_id: the end token id.
        max_length: the most tokens a function may generate.
        vectorize: `strings -> encoder_ids`, for functions taking strings.

    Example:

    >>> import tensorflow as tf
    >>> decoder = TracedDecoder(
    ...     encode=lambda ids: tf.cast(ids, "float32"),
    ...     next_logits=lambda buffer, step, context: tf.one_hot(
    ...         tf.fill([tf.shape(buffer)[0]], 3), 5),
    ...     start_id=2, end_id=3, max_length=3)
    >>> fn = decoder.function(beam_width=1, max_length=3)
    >>> fn(tf.constant([[4, 5]]), tf.constant(0.6)).numpy().tolist()
    [[2, 3, 0, 0]]
    """

    def __init__(
        self, encode, next_logits, start_id, end_id, max_length, vectorize=None
    ):
        self.encode = encode
        self.next_logits = next_logits
        self.start_id = start_id
        self.end_id = end_id
        self.max_length = max_length
        self.vectorize = vectorize
        self.functions = {}

    def check_arguments(self, beam_width, max_length, length_penalty):
        """Validates decoding arguments; `max_length=None` is the most allowed.

        `beam_width` is at most `MAX_BEAM_WIDTH` and `max_length` at most the
        decoder's own `max_length`, so no setting can hang the decoding loop.

        Returns:
            `(beam_width, max_length, length_penalty)` as int, int, float.
        """
        beam_width = validation.check_int(
            "beam_width", beam_width, minimum=1, maximum=MAX_BEAM_WIDTH
        )
        limit = self.max_length
        if max_length is None:
            max_length = limit
        max_length = validation.check_int(
            "max_length", max_length, minimum=1, maximum=limit
        )
        length_penalty = validation.check_float(
            "length_penalty", length_penalty, minimum=0.0
        )
        return beam_width, max_length, length_penalty

    def function(self, beam_width, max_length, method=None, strings=False):
        """The traced `fn(inputs, length_penalty) -> ids` of these settings.

        Args:
            beam_width: beams per sentence.
            max_length: the most tokens generated (a Python int).
            method: `"greedy"`, `"beam"`, or `None` (greedy when
                `beam_width == 1`, else beam search).
            strings: `True` for a function taking a batch of strings
                (vectorized with `vectorize`), else int token ids.
        """
        if method is None:
            method = "greedy" if beam_width == 1 else "beam"
        validation.check_choice("method", method, ("greedy", "beam"))
        if method == "greedy" and beam_width != 1:
            raise ValueError(
                "`method='greedy'` needs `beam_width=1`. "
                f"Received: beam_width={beam_width}"
            )
        key = (method, beam_width, max_length, strings)
        if key not in self.functions:
            spec = tf.TensorSpec([None], tf.string)
            if not strings:
                spec = tf.TensorSpec([None, None], tf.int32)

            @tf.function(
                input_signature=[spec, tf.TensorSpec([], tf.float32)],
                reduce_retracing=True,
            )
            def fn(inputs, length_penalty):
                if strings:
                    inputs = self.vectorize(inputs)
                sampler = GreedySampler()
                if method == "beam":
                    sampler = BeamSampler(beam_width, length_penalty)
                context = self.encode(inputs)
                return sampler(
                    self.next_logits, context, max_length, self.start_id, self.end_id
                )

            self.functions[key] = fn
        return self.functions[key]


def _num_rows(context):
    return tf.shape(tf.nest.flatten(context)[0])[0]


__all__ = [
    "BeamSampler",
    "GreedySampler",
    "MAX_BEAM_WIDTH",
    "NEG_INF",
    "Sampler",
    "TracedDecoder",
]
