"""Time to accuracy: each template vs the keras.io recipe for the same task.

Wall time from building the model (vocabulary/normalisation adaptation and
graph tracing included) until the held-out test split (passed as validation
data, evaluated after every epoch, same for all contenders) first reaches a
fixed target accuracy (translation: exact match of decoded test sentences);
training stops there (`StopAtTarget`). Contenders run interleaved,
`--repeats` rounds, median reported. Round r seeds every contender with r
(weights, shuffles, augmentation, AutoKeras' search), so the spread holds
training variance as well as timing noise: on digits one seed reached 0.97
in 5 epochs with one convolution kernel and 8 with another that differs
only in float round-off, so a single fixed seed ranks contenders by luck.

- image (digits 8x8): `kr.image_classifier` with
  `templates/image_classification.yaml` settings vs the keras.io
  "Image classification from scratch" mini-Xception (entry conv 128, blocks
  256/512/728 of separable convs with residuals, separable conv 1024, Adam
  3e-4, batch 128; its RandomFlip is left out since digits are not
  mirror-symmetric, RandomRotation(0.1) kept).
- tabular (penguins): `kr.tabular_classifier` with
  `templates/tabular_classification.yaml` settings vs the keras.io
  "Structured data classification with FeatureSpace" recipe (FeatureSpace:
  float_normalized numerics, string/integer categoricals one-hot, concat;
  Dense(32, relu), Dropout(0.5), softmax; Adam, batch 32). That recipe has no
  missing-value handling, so the hand-written side fills NaNs first (train
  medians, "unknown") — work the template does itself.
- text (WordNet glosses, 5 classes): `kr.text_classifier` with
  `templates/text_classification.yaml` settings (BiLSTM 64 + attention
  pooling, 8 epochs) vs the keras.io "Bidirectional LSTM on IMDB" recipe:
  Embedding(20000, 128), Bidirectional(LSTM(64, return_sequences=True)),
  Bidirectional(LSTM(64)), Dense(5, softmax); Adam, batch 32, at most 24
  epochs (3x the template's). Its input is a `TextVectorization` adapted on
  the train split and mapped over batches in tf.data, with the template's
  limits (20000 tokens, sequences of 64, lowercase and strip punctuation)
  rather than keras.io's 200 (glosses are short: 61 words at most). No
  masking, as in keras.io; `TextVectorization` pads at the end where
  keras.io's `pad_sequences` pads in front.
- translation (Babel dates -> ISO 8601, 10,000 train pairs, all used for
  training by both): the monitored value is the exact-match rate of greedy
  decoding of the first 200 test pairs, decoded after every epoch by a
  callback (`ExactMatchAtTarget`); decoding time is part of the wall time.
  `kr.seq2seq_transformer` with `templates/translation.yaml` settings
  (2+2 pre-norm layers, width 64, 4 heads, AdamW 2e-3, batch 64, 6 epochs;
  decodes with `model.translate`, in graph) vs the keras.io
  "English-to-Spanish translation with a sequence-to-sequence Transformer"
  recipe in Keras 3 (`keras.ops`): PositionalEmbedding, one
  TransformerEncoder and one TransformerDecoder (causal mask) with embed_dim
  256, latent_dim 2048, 8 heads (key_dim 256), Dropout(0.5), softmax;
  rmsprop, `SparseCategoricalCrossentropy(ignore_class=0)`, batch 64; its
  Python `decode_sequence` loop, which re-runs the whole model once per
  generated token. The architecture is kept full size even though it is
  slow on 2 CPU cores; it stops as a miss at 20 epochs or 600 s of wall
  time (checked after every batch). Adapted to the task: both sides are
  tokenized into characters like the template's (the source with
  `split="character"`; the target spaced out as "[start] 2 0 2 3 - 0 9 -
  2 7 [end]" so the recipe's "[start]"/"[end]" tokens stay), with
  `standardize=None` (stripping "/" would lose the "9/27/23" format), and
  the template's lengths: 32 source tokens, 16 decoder positions, at most
  15 decoded tokens. The causal mask is broadcast instead of tiled with a
  tensor of multiples, which Keras 3.15's `ops.tile` rejects.
- AutoKeras (image only) when `import autokeras` works: `ak.ImageClassifier(
  max_trials=1)`; skipped with a message otherwise. AutoKeras is not a
  dependency of keras_recipes; its pins would fight ours, so install it
  beside the venv without dependencies (it needs only packages we have,
  plus dm-tree):

      .venv/bin/pip install --no-deps --target /tmp/akdeps \
          autokeras==3.0.0 dm-tree
      PYTHONPATH=/tmp/akdeps .venv/bin/python benchmarks/time_to_accuracy.py

  AutoKeras 3.0 passes numpy integers as `Dense` units, which Keras 3.15
  rejects; `autokeras_int_casts` patches that here, in the benchmark only.

    .venv/bin/python benchmarks/time_to_accuracy.py --task image [--repeats 3]
    .venv/bin/python benchmarks/time_to_accuracy.py --task tabular
    .venv/bin/python benchmarks/time_to_accuracy.py --task text
    .venv/bin/python benchmarks/time_to_accuracy.py --task translation --repeats 1
"""

import contextlib
import math
import statistics
import tempfile
import time

import keras
import numpy as np
import tensorflow as tf
from common import arg_parser
from common import recipe_settings
from common import report
from common import spread
from keras import ops

import keras_recipes as kr


class StopAtTarget(keras.callbacks.Callback):
    """Stops training when `monitor` first reaches `target`; records the time."""

    def __init__(self, target, start, monitor="val_accuracy"):
        super().__init__()
        self.target = target
        self.start = start
        self.monitor = monitor
        self.reached = None
        self.epochs = 0
        self.trace = []  # (seconds, value) after every epoch

    def __deepcopy__(self, memo):
        # KerasTuner (so AutoKeras) deep-copies callbacks per trial; the
        # caller reads `reached` from this very object, so share it.
        return self

    def on_epoch_end(self, epoch, logs=None):
        self.epochs = epoch + 1
        value = (logs or {}).get(self.monitor)
        if value is not None:
            elapsed = time.perf_counter() - self.start
            self.trace.append((round(elapsed, 1), round(float(value), 4)))
        if value is not None and value >= self.target and self.reached is None:
            self.reached = time.perf_counter() - self.start
            self.model.stop_training = True


def run_template(factory, recipe, train, test, goal, seed, stop=None, **factory_kwargs):
    """Builds `factory` with the recipe's model settings and fits until `goal`.

    The wall time starts before the build, so vocabulary/normalisation
    adaptation is part of it. By default `test` (what the template's `fit`
    takes) is the validation data and `StopAtTarget` watches its accuracy;
    `stop(goal, start, model)` makes another stopping callback instead (then
    nothing is validated by `fit`).
    """
    model_kwargs, fit_kwargs = recipe_settings(recipe)
    start = time.perf_counter()
    model = factory(data=train, seed=seed, **factory_kwargs, **model_kwargs)
    if stop is None:
        callback, validation = StopAtTarget(goal, start), test
    else:
        callback, validation = stop(goal, start, model), None
    model.fit(
        train,
        validation_data=validation,
        epochs=fit_kwargs["epochs"],
        batch_size=fit_kwargs["batch_size"],
        callbacks=[callback],
        verbose=0,
        tensorboard=False,
        seed=seed,
    )
    return callback


# ----------------------------------------------------------------------- image
def image_template(data, target, seed):
    train, test = data
    return run_template(
        kr.image_classifier, "image_classification.yaml", train, test, target, seed
    )


def mini_xception(input_shape, num_classes):
    """keras.io "Image classification from scratch" `make_model`."""
    layers = keras.layers
    inputs = keras.Input(shape=input_shape)
    x = layers.RandomRotation(0.1)(inputs)
    x = layers.Rescaling(1.0 / 255)(x)
    x = layers.Conv2D(128, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    previous = x
    for size in [256, 512, 728]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(size, 1, strides=2, padding="same")(previous)
        x = layers.add([x, residual])
        previous = x
    x = layers.SeparableConv2D(1024, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.25)(x)
    outputs = layers.Dense(num_classes)(x)
    return keras.Model(inputs, outputs)


def image_keras_io(data, target, seed, max_epochs=25):
    (x, y), (xt, yt) = data
    start = time.perf_counter()
    stop = StopAtTarget(target, start, monitor="val_acc")
    keras.utils.set_random_seed(seed)
    model = mini_xception(x.shape[1:], 10)
    model.compile(
        optimizer=keras.optimizers.Adam(3e-4),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
    )
    model.fit(
        x.astype("float32"),
        y,
        batch_size=128,
        epochs=max_epochs,
        validation_data=(xt.astype("float32"), yt),
        callbacks=[stop],
        verbose=0,
    )
    return stop


@contextlib.contextmanager
def autokeras_int_casts():
    """Benchmark-only patch: AutoKeras 3.0 hands numpy integers to Keras.

    Keras 3.15 rejects them (`Dense(units=np.int64(10))` raises "Received:
    units=10"), so while AutoKeras builds, `Dense` casts `units` to `int`.
    Never applied outside this benchmark; keras_recipes does not need it.
    """
    original = keras.layers.Dense.__init__

    def init(self, units, *args, **kwargs):
        original(self, int(units), *args, **kwargs)

    keras.layers.Dense.__init__ = init
    try:
        yield
    finally:
        keras.layers.Dense.__init__ = original


def image_autokeras(data, target, seed, max_epochs=20):
    import autokeras as ak

    (x, y), (xt, yt) = data
    start = time.perf_counter()
    stop = StopAtTarget(target, start)
    with (
        tempfile.TemporaryDirectory(prefix="bench_ak_") as directory,
        autokeras_int_casts(),
    ):
        clf = ak.ImageClassifier(
            max_trials=1, overwrite=True, directory=directory, seed=seed
        )
        clf.fit(
            x.astype("float32"),
            y,
            validation_data=(xt.astype("float32"), yt),
            epochs=max_epochs,
            callbacks=[stop],
            verbose=0,
        )
    return stop


# --------------------------------------------------------------------- tabular
def tabular_template(data, target, seed):
    train, test = data
    return run_template(
        kr.tabular_classifier,
        "tabular_classification.yaml",
        train,
        test,
        target,
        seed,
        target="species",
    )


def tabular_keras_io(data, target, seed, max_epochs=60):
    train, test = data
    start = time.perf_counter()
    stop = StopAtTarget(target, start)
    keras.utils.set_random_seed(seed)
    numeric = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
    classes = sorted(train["species"].unique())

    def to_dataset(frame, shuffle):
        frame = frame.copy()
        for column in numeric:  # the keras.io recipe assumes no missing values
            frame[column] = frame[column].fillna(train[column].median())
        frame["sex"] = frame["sex"].fillna("unknown")
        labels = frame.pop("species").map(classes.index).to_numpy()
        features = {c: frame[c].to_numpy().astype("float32") for c in numeric}
        features["island"] = frame["island"].to_numpy().astype(str)
        features["sex"] = frame["sex"].to_numpy().astype(str)
        features["year"] = frame["year"].to_numpy().astype("int64")
        ds = tf.data.Dataset.from_tensor_slices((features, labels))
        if shuffle:
            ds = ds.shuffle(len(frame), seed=seed)
        return ds.batch(32)

    fs = keras.utils.FeatureSpace
    feature_space = fs(
        features={
            "island": fs.string_categorical(num_oov_indices=0),
            "sex": fs.string_categorical(num_oov_indices=0),
            "year": fs.integer_categorical(num_oov_indices=0),
            **{c: fs.float_normalized() for c in numeric},
        },
        output_mode="concat",
    )
    train_ds = to_dataset(train, shuffle=True)
    test_ds = to_dataset(test, shuffle=False)
    feature_space.adapt(train_ds.map(lambda x, _: x))
    train_ds = train_ds.map(
        lambda x, y: (feature_space(x), y), num_parallel_calls=tf.data.AUTOTUNE
    ).prefetch(tf.data.AUTOTUNE)
    test_ds = test_ds.map(
        lambda x, y: (feature_space(x), y), num_parallel_calls=tf.data.AUTOTUNE
    ).prefetch(tf.data.AUTOTUNE)
    encoded = feature_space.get_encoded_features()
    x = keras.layers.Dense(32, activation="relu")(encoded)
    x = keras.layers.Dropout(0.5)(x)
    outputs = keras.layers.Dense(len(classes), activation="softmax")(x)
    model = keras.Model(encoded, outputs)
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(
        train_ds,
        epochs=max_epochs,
        validation_data=test_ds,
        callbacks=[stop],
        verbose=0,
    )
    return stop


# ------------------------------------------------------------------------ text
def text_template(data, target, seed):
    train, test = data
    return run_template(
        kr.text_classifier, "text_classification.yaml", train, test, target, seed
    )


def text_keras_io(data, target, seed, max_epochs=24):
    """keras.io "Bidirectional LSTM on IMDB", fed by `TextVectorization`."""
    (x, y), (xt, yt) = data
    model_kwargs, _ = recipe_settings("text_classification.yaml")
    max_tokens = model_kwargs["max_tokens"]
    classes = sorted(set(y))
    start = time.perf_counter()
    stop = StopAtTarget(target, start)
    keras.utils.set_random_seed(seed)
    vectorize = keras.layers.TextVectorization(
        max_tokens=max_tokens,
        output_mode="int",
        output_sequence_length=model_kwargs["sequence_length"],
    )
    vectorize.adapt(tf.data.Dataset.from_tensor_slices(x.astype(str)).batch(256))

    def to_dataset(texts, labels, shuffle):
        labels = np.array([classes.index(label) for label in labels])
        ds = tf.data.Dataset.from_tensor_slices((texts.astype(str), labels))
        if shuffle:
            ds = ds.shuffle(len(texts), seed=seed)
        ds = ds.batch(32).map(
            lambda t, label: (vectorize(t), label),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
        return ds.prefetch(tf.data.AUTOTUNE)

    layers = keras.layers
    inputs = keras.Input(shape=(None,), dtype="int32")
    h = layers.Embedding(max_tokens, 128)(inputs)
    h = layers.Bidirectional(layers.LSTM(64, return_sequences=True))(h)
    h = layers.Bidirectional(layers.LSTM(64))(h)
    outputs = layers.Dense(len(classes), activation="softmax")(h)
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(
        to_dataset(x, y, shuffle=True),
        epochs=max_epochs,
        validation_data=to_dataset(xt, yt, shuffle=False),
        callbacks=[stop],
        verbose=0,
    )
    return stop


# ----------------------------------------------------------------- translation
TEST_SENTENCES = 200  # decoded after every epoch, the same for all contenders


class ExactMatchAtTarget(StopAtTarget):
    """Decodes a fixed test subset after every epoch; stops at `target`.

    The exact-match rate of `translate(sources)` against `targets` is the
    monitored value, and the decoding time counts in the wall time. With
    `max_seconds`, training stops (as a miss) once that much wall time has
    passed, checked after every batch.
    """

    def __init__(self, target, start, translate, test, max_seconds=None):
        super().__init__(target, start, monitor="exact_match")
        self.translate = translate
        self.sources, self.targets = test
        self.max_seconds = max_seconds
        self.capped = False
        self.steps = 0
        self.decode_seconds = []

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if self.max_seconds is None or self.reached is not None:
            return
        if time.perf_counter() - self.start > self.max_seconds:
            self.capped = True
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if self.capped:  # cut short mid-epoch: not a finished epoch
            return
        decode_start = time.perf_counter()
        outputs = self.translate(self.sources)
        self.decode_seconds.append(round(time.perf_counter() - decode_start, 1))
        value = float(np.mean([o == t for o, t in zip(outputs, self.targets)]))
        super().on_epoch_end(epoch, {self.monitor: value})


def translation_data():
    train, (xt, yt) = kr.datasets.load_dates(num_train=10000, num_test=1000, seed=0)
    return train, (xt[:TEST_SENTENCES], yt[:TEST_SENTENCES])


def translation_template(data, target, seed):
    train, test = data

    def stop(goal, start, model):
        return ExactMatchAtTarget(goal, start, model.translate, test)

    return run_template(
        kr.seq2seq_transformer,
        "translation.yaml",
        train,
        None,
        target,
        seed,
        stop=stop,
    )


class PositionalEmbedding(keras.layers.Layer):
    def __init__(self, sequence_length, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.token_embeddings = keras.layers.Embedding(vocab_size, embed_dim)
        self.position_embeddings = keras.layers.Embedding(sequence_length, embed_dim)

    def call(self, inputs):
        positions = ops.arange(0, ops.shape(inputs)[-1], 1)
        return self.token_embeddings(inputs) + self.position_embeddings(positions)

    def compute_mask(self, inputs, mask=None):
        return ops.not_equal(inputs, 0)


class TransformerEncoder(keras.layers.Layer):
    def __init__(self, embed_dim, dense_dim, num_heads, **kwargs):
        super().__init__(**kwargs)
        layers = keras.layers
        self.attention = layers.MultiHeadAttention(num_heads, key_dim=embed_dim)
        self.dense_proj = keras.Sequential(
            [layers.Dense(dense_dim, activation="relu"), layers.Dense(embed_dim)]
        )
        self.layernorm_1 = layers.LayerNormalization()
        self.layernorm_2 = layers.LayerNormalization()
        self.supports_masking = True

    def call(self, inputs, mask=None):
        padding_mask = None
        if mask is not None:
            padding_mask = ops.cast(mask[:, None, :], dtype="int32")
        attention_output = self.attention(
            query=inputs, value=inputs, key=inputs, attention_mask=padding_mask
        )
        proj_input = self.layernorm_1(inputs + attention_output)
        return self.layernorm_2(proj_input + self.dense_proj(proj_input))


class TransformerDecoder(keras.layers.Layer):
    def __init__(self, embed_dim, latent_dim, num_heads, **kwargs):
        super().__init__(**kwargs)
        layers = keras.layers
        self.attention_1 = layers.MultiHeadAttention(num_heads, key_dim=embed_dim)
        self.attention_2 = layers.MultiHeadAttention(num_heads, key_dim=embed_dim)
        self.dense_proj = keras.Sequential(
            [layers.Dense(latent_dim, activation="relu"), layers.Dense(embed_dim)]
        )
        self.layernorm_1 = layers.LayerNormalization()
        self.layernorm_2 = layers.LayerNormalization()
        self.layernorm_3 = layers.LayerNormalization()
        self.supports_masking = True

    def call(self, inputs, mask=None):
        inputs, encoder_outputs = inputs
        causal_mask = self.get_causal_attention_mask(inputs)
        if mask is None:
            inputs_padding_mask, encoder_outputs_padding_mask = None, None
        else:
            inputs_padding_mask, encoder_outputs_padding_mask = mask
        attention_output_1 = self.attention_1(
            query=inputs,
            value=inputs,
            key=inputs,
            attention_mask=causal_mask,
            query_mask=inputs_padding_mask,
        )
        out_1 = self.layernorm_1(inputs + attention_output_1)
        attention_output_2 = self.attention_2(
            query=out_1,
            value=encoder_outputs,
            key=encoder_outputs,
            query_mask=inputs_padding_mask,
            key_mask=encoder_outputs_padding_mask,
        )
        out_2 = self.layernorm_2(out_1 + attention_output_2)
        return self.layernorm_3(out_2 + self.dense_proj(out_2))

    def get_causal_attention_mask(self, inputs):
        input_shape = ops.shape(inputs)
        batch_size, sequence_length = input_shape[0], input_shape[1]
        i = ops.arange(sequence_length)[:, None]
        j = ops.arange(sequence_length)
        mask = ops.cast(i >= j, dtype="int32")
        # keras.io tiles with a concatenated multiples tensor, which Keras
        # 3.15's `ops.tile` rejects for a symbolic batch size; same result:
        return ops.broadcast_to(mask, (batch_size, sequence_length, sequence_length))


def translation_keras_io(data, target, seed, max_epochs=20, max_seconds=600):
    """keras.io seq2seq Transformer recipe on characters; see the docstring."""
    (x, y), test = data
    # The template's limits: longest sentence + headroom, rounded up to 8.
    source_length = 8 * math.ceil((max(map(len, x)) + 2) / 8)  # 32
    target_length = 8 * math.ceil((max(map(len, y)) + 3) / 8)  # 16
    embed_dim, latent_dim, num_heads, batch_size = 256, 2048, 8, 64
    start = time.perf_counter()
    keras.utils.set_random_seed(seed)

    def spaced(targets):  # "2023-09-27" -> "[start] 2 0 2 3 - 0 9 - 2 7 [end]"
        return ["[start] " + " ".join(t) + " [end]" for t in targets]

    source_vectorization = keras.layers.TextVectorization(
        output_mode="int",
        output_sequence_length=source_length,
        standardize=None,
        split="character",
    )
    target_vectorization = keras.layers.TextVectorization(
        output_mode="int",
        output_sequence_length=target_length + 1,
        standardize=None,
    )
    source_vectorization.adapt(list(x))
    target_vectorization.adapt(spaced(y))
    source_vocab_size = source_vectorization.vocabulary_size()
    target_vocab_size = target_vectorization.vocabulary_size()

    def format_dataset(source, target):
        source = source_vectorization(source)
        target = target_vectorization(target)
        inputs = {"encoder_inputs": source, "decoder_inputs": target[:, :-1]}
        return inputs, target[:, 1:]

    train_ds = tf.data.Dataset.from_tensor_slices((list(x), spaced(y)))
    train_ds = train_ds.batch(batch_size).map(format_dataset)
    train_ds = train_ds.shuffle(2048).prefetch(16).cache()

    layers = keras.layers
    encoder_inputs = keras.Input(shape=(None,), dtype="int64", name="encoder_inputs")
    h = PositionalEmbedding(source_length, source_vocab_size, embed_dim)(encoder_inputs)
    encoder_outputs = TransformerEncoder(embed_dim, latent_dim, num_heads)(h)
    decoder_inputs = keras.Input(shape=(None,), dtype="int64", name="decoder_inputs")
    h = PositionalEmbedding(target_length, target_vocab_size, embed_dim)(decoder_inputs)
    h = TransformerDecoder(embed_dim, latent_dim, num_heads)([h, encoder_outputs])
    h = layers.Dropout(0.5)(h)
    decoder_outputs = layers.Dense(target_vocab_size, activation="softmax")(h)
    transformer = keras.Model(
        {"encoder_inputs": encoder_inputs, "decoder_inputs": decoder_inputs},
        decoder_outputs,
        name="transformer",
    )
    transformer.compile(
        "rmsprop",
        loss=keras.losses.SparseCategoricalCrossentropy(ignore_class=0),
        metrics=["accuracy"],
    )

    target_vocab = target_vectorization.get_vocabulary()
    target_index_lookup = dict(zip(range(len(target_vocab)), target_vocab))
    max_decoded_sentence_length = target_length - 1  # the template's default

    def decode_sequence(input_sentence):
        tokenized_input_sentence = source_vectorization([input_sentence])
        decoded_sentence = "[start]"
        for i in range(max_decoded_sentence_length):
            tokenized_target_sentence = target_vectorization([decoded_sentence])[:, :-1]
            predictions = transformer(
                {
                    "encoder_inputs": tokenized_input_sentence,
                    "decoder_inputs": tokenized_target_sentence,
                }
            )
            # ops.argmax(predictions[0, i, :]) is a tensor
            sampled_token_index = ops.convert_to_numpy(
                ops.argmax(predictions[0, i, :])
            ).item(0)
            sampled_token = target_index_lookup[sampled_token_index]
            decoded_sentence += " " + sampled_token
            if sampled_token == "[end]":
                break
        return decoded_sentence

    def translate(sentences):
        outputs = []
        for sentence in sentences:
            tokens = decode_sequence(sentence).split()[1:]
            outputs.append("".join(t for t in tokens if t != "[end]"))
        return outputs

    stop = ExactMatchAtTarget(target, start, translate, test, max_seconds)
    transformer.fit(train_ds, epochs=max_epochs, callbacks=[stop], verbose=0)
    return stop


TASKS = {
    "image": {
        "target": 0.97,
        "data": lambda: kr.datasets.load_digits(),
        "contenders": {
            "kr.image_classifier (template)": image_template,
            "keras.io mini-Xception": image_keras_io,
            "AutoKeras ImageClassifier (max_trials=1)": image_autokeras,
        },
        "describe": "digits 8x8 (1437 train / 360 test)",
    },
    "tabular": {
        "target": 0.97,
        "data": lambda: kr.datasets.load_penguins(),
        "contenders": {
            "kr.tabular_classifier (template)": tabular_template,
            "keras.io FeatureSpace MLP": tabular_keras_io,
        },
        "describe": "penguins (275 train / 69 test, missing values kept)",
    },
    "text": {
        "target": 0.85,
        "data": lambda: kr.datasets.load_wordnet_glosses(),
        "contenders": {
            "kr.text_classifier (template)": text_template,
            "keras.io BiLSTM (2 x Bidirectional LSTM 64)": text_keras_io,
        },
        "describe": "WordNet glosses, 5 classes (3600 train / 900 test)",
    },
    "translation": {
        "target": 0.9,
        "metric": "exact match",
        "data": translation_data,
        "contenders": {
            "kr.seq2seq_transformer (template)": translation_template,
            "keras.io seq2seq Transformer (256/2048/8 heads)": translation_keras_io,
        },
        "describe": (
            "Babel dates -> ISO 8601 (10000 train pairs; greedy decoding of the "
            f"first {TEST_SENTENCES} test pairs after every epoch, in the timing)"
        ),
    },
}


def autokeras_available():
    try:
        import autokeras  # noqa: F401
    except Exception as error:  # noqa: BLE001 - any import failure skips it
        return f"{type(error).__name__}: {error}"
    return None


def main():
    parser = arg_parser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=sorted(TASKS), default="image")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--target", type=float, default=None)
    parser.add_argument("--skip", nargs="*", default=[])
    args = parser.parse_args()

    spec = TASKS[args.task]
    target = args.target or spec["target"]
    data = spec["data"]()
    contenders = {
        k: v
        for k, v in spec["contenders"].items()
        if not any(s.lower() in k.lower() for s in args.skip)
    }
    notes = []
    if any("AutoKeras" in k for k in contenders):
        missing = autokeras_available()
        if missing:
            notes.append(f"AutoKeras skipped (not importable: {missing[:120]}).")
            contenders = {k: v for k, v in contenders.items() if "AutoKeras" not in k}
    results = {name: {"seconds": [], "epochs": [], "missed": 0} for name in contenders}
    for round_ in range(args.repeats):
        names = list(contenders)
        if round_ % 2:
            names.reverse()
        for name in names:
            try:
                stop = contenders[name](data, target, seed=round_)
            except Exception as error:  # noqa: BLE001 - report, keep going
                notes.append(f"{name} failed: {type(error).__name__}: {error}"[:300])
                results[name]["missed"] += 1
                continue
            if stop.reached is None:
                results[name]["missed"] += 1
            else:
                results[name]["seconds"].append(stop.reached)
                results[name]["epochs"].append(stop.epochs)
            print(
                f"round {round_ + 1}: {name}: {stop.reached} s, {stop.epochs} ep; "
                f"(s, {spec.get('metric', 'test accuracy')}) per epoch: {stop.trace}"
                + (
                    f"; decode s per check: {stop.decode_seconds}"
                    if getattr(stop, "decode_seconds", None)
                    else ""
                )
            )
            if getattr(stop, "capped", False):
                notes.append(
                    f"{name}, round {round_ + 1}: stopped by its {stop.max_seconds} s "
                    f"wall-time cap after {stop.steps} training steps "
                    f"(finished epochs: {len(stop.trace)})."
                )
    first = next(iter(contenders))
    metric = spec.get("metric", "test accuracy")
    lines = [
        f"| contender | seconds to {metric} >= {target}: median (min-max, n) "
        "| epochs (median) | runs that missed the target | template / this |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for name, r in results.items():
        secs = r["seconds"]
        shown = spread(secs) if secs else "never reached"
        ratio = ""
        if name != first and secs and results[first]["seconds"]:
            mine = statistics.median(results[first]["seconds"])
            ratio = f"{mine / statistics.median(secs):.2f}x"
        epochs = f"{statistics.median(r['epochs']):g}" if r["epochs"] else ""
        lines.append(f"| {name} | {shown} | {epochs} | {r['missed']} | {ratio} |")
    body = (
        f"`.venv/bin/python benchmarks/time_to_accuracy.py --task {args.task} "
        f"--repeats {args.repeats}`: {spec['describe']}; wall time from model "
        f"build to the first epoch whose {metric} (test split) reaches "
        f"{target}; contenders interleaved (order alternating per round), "
        "round r seeded with r. Goal: "
        "template <= 0.7x the keras.io recipe's time.\n\n" + "\n".join(lines)
    )
    if notes:
        body += "\n\n" + "\n".join(f"- {n}" for n in notes)
    report(f"Time to accuracy ({args.task})", body, args)


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    main()
