"""Fit overhead: what a template's `fit` costs beyond its network, per template.

One script, five sections (`--section`, default `hand`), each on the bundled
demo data of the templates (`--task`: image on digits, tabular on penguins,
text on WordNet glosses, translation on 2,000 date pairs; `all`):

`hand`: each template vs the same network written by hand in plain Keras.
For every template the benchmark builds the template with its factory and
the same network in plain Keras functional code (`keras.layers` and
`keras.ops` only; the position embedding of the translation model is the
keras.io translation example's small custom layer, from
`time_to_accuracy.py`), asserts both have the same number of parameters, and
compiles the hand-written model with the same optimizer, loss and metric.
Both train on the same data pipeline: the hand-written model on the
`tf.data.Dataset` the template's own `fit` builds (its `make_dataset`, built
once); the template from the raw data, as a user calls it, so its timing
includes input validation and building that pipeline. Timed calls are
interleaved (template, hand, ..., template, hand, ...) in one process, after
untimed warm-up calls (see below), so machine noise hits all contenders
alike. Reported, per task: training throughput (samples/s) of

  - `template.fit(raw data)`, the template as a user calls it (its default
    callbacks included: the per-batch NaN check and the per-epoch cosine
    learning-rate decay; TensorBoard off),
  - `hand.fit(ds)`, the hand-written network,
  - `keras.Model.fit(template, ds)`: the template's network under plain
    Keras `fit` on the hand-written side's dataset, at Keras' default of one
    step per call (as the hand-written model runs),
  - `template.fit(raw data)` without its two default callbacks,

and `predict` throughput of both on the test split and on its first sample
(not for translation, whose `predict` decodes sentences). Ratios are per
repeat, then median (min-max). The goal (issue #12) is template/hand >=
0.98. Where the template's network itself is faster than the hand-written
one (the image template's `kr.layers.FastConv2D`), "template fit / its graph
under keras fit" is the figure that isolates the template's own overhead.
`template.fit` runs `steps_per_execution="auto"`: 16 steps per call once
its calls add up to the template's `auto_min_steps` (300-500 steps; the
translation template's 1000 are not reached here). Three untimed rounds of
warm-up calls come first, so that tracing (of that multi-step function too:
the tabular template reaches its 500 steps in the third) falls outside the
timed calls. `--task tabular-20x` trains the tabular template on the
penguins rows repeated 20 times (5,500 rows, 172 steps per epoch), where the
fixed costs per `fit` call and per epoch weigh less.

`steps`: when 16 train steps per `tf.function` call pay for their longer
tracing. `steps_per_execution="auto"` (`kr.tasks.steps_per_execution`) only
switches to 16 in calls of at least the template's `auto_min_steps` steps (or
once the multi-step function is traced). Per template: the first `fit` call
of a fresh model (tracing included) and the median of `--calls` later calls,
with 1 and with 16 steps per call, each in a fresh interpreter (so every
first call pays its full tracing), the pair's order alternating between
rounds; from them the extra first-call time of 16 steps per call, the time
it saves per step later, and the break-even fit length (the extra time over
the saving per step) behind each template's `auto_min_steps`.

`recipes`: the first `fit` of a fresh model with each bundled recipe's
settings (`templates/*.yaml`: epochs, batch size, validation split; model
settings too), build included, under `"auto"` as it is (the template's
`auto_min_steps`) and under the former rule for every template
(`AUTO_MIN_STEPS`, 1000 steps), each in a fresh interpreter, alternating.

`calls`: what a `fit` call spends outside its train step, on one model,
variants interleaved, first round excluded: the per-batch hook of
`kr.callbacks.TerminateOnNaN`, which `Task.fit` adds by default
(`terminate_on_nan=False` removes it; the hook alone makes Keras hand every
batch's logs to a callback), as in-epoch ms per step; and the time a call
spends after `on_train_end` before it returns (the teardown of the `tf.data`
iterator Keras built for the call).

`input`: the per-call input work of a template's `fit` before Keras' loop:
validating the raw data (`to_data`), building the `tf.data` pipeline
(`make_dataset`), building it plus one full pass (which fills its cache),
and one pass over a pipeline whose cache is full (the pipeline's own work
in each epoch after the first), in interleaved rounds.

    .venv/bin/python benchmarks/overhead.py [--section hand] [--task all]
        [--rounds N] [--calls 3] [--epochs 1] [--note "..."]

`--rounds` (alias `--repeats`) defaults to 5 (`hand`), 3 (`steps`,
`recipes`) or 8 (`calls`, `input`).
"""

import argparse
import json
import os
import subprocess
import sys
import time

import keras
import numpy as np
import pandas as pd
from common import DEMOS
from common import EpochTimer
from common import arg_parser
from common import recipe_settings
from common import report
from common import spread
from common import timed
from keras import ops
from time_to_accuracy import PositionalEmbedding  # keras.io's

import keras_recipes as kr
from keras_recipes.tasks import steps_per_execution as policy

# Translation trains on a subset of the dates corpus so one epoch is seconds.
TRANSLATION_PAIRS = 2000
# The four templates; `all` in the sections other than `hand`.
TEMPLATES = ("tabular", "image", "text", "translation")
ROUNDS = {"hand": 5, "steps": 3, "recipes": 3, "calls": 8, "input": 8}
CHUNK = policy.AUTO_STEPS_PER_EXECUTION  # 16
RECIPES = {
    "tabular": "tabular_classification.yaml",
    "image": "image_classification.yaml",
    "text": "text_classification.yaml",
}


def compiled(model, learning_rate):
    """Compiles a hand-written classifier as the templates compile theirs."""
    model.compile(
        optimizer=keras.optimizers.AdamW(
            learning_rate=float(learning_rate), weight_decay=1e-4
        ),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    return model


# ----------------------------------------------------------------------- image
def hand_image(num_classes, image_shape, width=32, depth=3, se_ratio=0.25):
    """The image template's default network in plain Keras functional code."""
    inputs = keras.Input(shape=image_shape)
    x = keras.layers.Rescaling(1.0 / 255)(inputs)
    x = keras.layers.RandomTranslation(0.1, 0.1)(x)
    x = keras.layers.RandomRotation(0.05)(x)
    x = keras.layers.RandomZoom(0.1)(x)
    x = keras.layers.Conv2D(width, 3, padding="same", use_bias=False)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Activation("relu")(x)
    for stage in range(depth):
        filters = width * 2**stage
        strides = 2 if stage > 0 else 1
        shortcut = x
        y = keras.layers.Conv2D(
            filters, 3, strides=strides, padding="same", use_bias=False
        )(x)
        y = keras.layers.BatchNormalization()(y)
        y = keras.layers.Activation("relu")(y)
        y = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
        y = keras.layers.BatchNormalization()(y)
        s = keras.layers.GlobalAveragePooling2D()(y)
        s = keras.layers.Dense(max(1, int(filters * se_ratio)), activation="silu")(s)
        s = keras.layers.Dense(filters, activation="sigmoid")(s)
        y = keras.layers.Multiply()([y, keras.layers.Reshape((1, 1, filters))(s)])
        if strides != 1 or shortcut.shape[-1] != filters:
            shortcut = keras.layers.Conv2D(filters, 1, strides=strides, use_bias=False)(
                shortcut
            )
            shortcut = keras.layers.BatchNormalization()(shortcut)
        x = keras.layers.Activation("relu")(keras.layers.Add()([y, shortcut]))
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.1)(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    return compiled(keras.Model(inputs, outputs), learning_rate=2e-3)


def image_task():
    (x, y), (x_test, _) = kr.datasets.load_digits()
    template = kr.image_classifier(data=(x, y))
    return {
        "describe": f"digits 8x8 ({len(x)} train / {len(x_test)} test), batch 32",
        "template": template,
        "hand": lambda: hand_image(10, x.shape[1:]),
        "train": (x, y),
        "test": x_test,
        "epochs": 3,
    }


# --------------------------------------------------------------------- tabular
def hand_tabular(template):
    """The tabular template's default network in plain Keras functional code.

    Built from the template's adapted statistics and vocabularies (its
    `features` config), so both see the same columns: numeric columns are
    NaN-filled with `ops.where`, standardised by `keras.layers.Normalization`
    and get a missing-value flag where the template has one; categorical
    columns go through `StringLookup` / `IntegerLookup` and an `Embedding`.
    """
    specs = template.features
    if not isinstance(specs, dict):
        specs = {spec["name"]: spec for spec in specs}
    if template.crosses:
        raise ValueError("crosses are not part of the template default")
    inputs, encoded = {}, []
    for name, spec in specs.items():
        kind = spec["kind"]
        if kind in ("numeric", "boolean"):
            inputs[name] = keras.Input(shape=(), dtype="float32", name=name)
            column = ops.reshape(inputs[name], (-1, 1))
            missing = ops.isnan(column)
            filled = ops.where(missing, float(spec["fill_value"]), column)
            normalized = keras.layers.Normalization(
                mean=float(spec["mean"]), variance=float(spec["variance"]) or 1.0
            )(filled)
            if spec["missing_indicator"]:
                flag = ops.cast(missing, "float32")
                normalized = keras.layers.Concatenate()([normalized, flag])
            encoded.append(normalized)
            continue
        vocabulary = list(spec["vocabulary"])
        if kind == "string_categorical":
            inputs[name] = keras.Input(shape=(), dtype="string", name=name)
            lookup = keras.layers.StringLookup(
                vocabulary=[str(v) for v in vocabulary], mask_token=None
            )
        else:
            inputs[name] = keras.Input(shape=(), dtype="int64", name=name)
            lookup = keras.layers.IntegerLookup(
                vocabulary=[int(v) for v in vocabulary], mask_token=None
            )
        size = len(vocabulary) + 1
        dim = int(min(16, max(2, round(1.6 * size**0.56))))
        encoded.append(keras.layers.Embedding(size, dim)(lookup(inputs[name])))
    x = keras.layers.Concatenate()(encoded)
    for units in template.hidden_units:
        x = keras.layers.Dense(int(units), use_bias=False)(x)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.Activation("relu")(x)
        x = keras.layers.Dropout(float(template.dropout))(x)
    outputs = keras.layers.Dense(template.num_classes, activation="softmax")(x)
    return compiled(keras.Model(inputs, outputs), template.learning_rate)


def tabular_task(repeat=1, epochs=10):
    train_df, test_df = kr.datasets.load_penguins()
    target = train_df.attrs["target"]
    size = ""
    if repeat > 1:
        # A bigger table of the same columns: throughput does not depend on
        # the values, and the fixed costs per call and per epoch shrink.
        train_df = pd.concat([train_df] * repeat, ignore_index=True)
        train_df.attrs["target"] = target
        size = f" repeated {repeat}x"
    template = kr.tabular_classifier(data=train_df)
    return {
        "describe": (
            f"penguins{size} ({len(train_df)} train / {len(test_df)} test, "
            "missing values kept), batch 32"
        ),
        "template": template,
        "hand": lambda: hand_tabular(template),
        "train": train_df,
        "test": test_df.drop(columns=[target]),
        "epochs": epochs,
    }


# ------------------------------------------------------------------------ text
def hand_text(template):
    """The text template's default token-id network in plain Keras.

    Embedding (mask_zero) -> dropout -> bidirectional LSTM -> additive
    attention pooling (a tanh `Dense`, a bias-free score `Dense`, a masked
    `keras.layers.Softmax` over time, a weighted sum) -> dropout -> softmax.
    It takes the token ids the template's pipeline yields.
    """
    if template.rnn != "lstm" or template.pooling != "attention":
        raise ValueError("the hand-written text model mirrors the default only")
    vocab_size = template.core.get_layer("embedding").input_dim
    token_ids = keras.Input(shape=(None,), dtype="int64")
    mask = ops.not_equal(token_ids, 0)
    x = keras.layers.Embedding(vocab_size, int(template.embedding_dim), mask_zero=True)(
        token_ids
    )
    x = keras.layers.Dropout(float(template.embedding_dropout))(x)
    for i in range(int(template.rnn_layers)):
        x = keras.layers.Bidirectional(
            keras.layers.LSTM(int(template.units), return_sequences=True)
        )(x)
        if i < int(template.rnn_layers) - 1:
            x = keras.layers.Dropout(float(template.dropout))(x)
    features = int(x.shape[-1])
    hidden = keras.layers.Dense(features, activation="tanh")(x)
    scores = ops.squeeze(keras.layers.Dense(1, use_bias=False)(hidden), -1)
    weights = keras.layers.Softmax(axis=-1)(scores, mask=mask)
    x = ops.sum(x * ops.expand_dims(weights, -1), axis=1)
    x = keras.layers.Dropout(float(template.dropout))(x)
    outputs = keras.layers.Dense(template.num_classes, activation="softmax")(x)
    return compiled(keras.Model(token_ids, outputs), template.learning_rate)


def text_task():
    (x, y), (x_test, _) = kr.datasets.load_wordnet_glosses()
    template = kr.text_classifier(data=(x, y))
    return {
        "describe": (
            f"WordNet glosses, 5 classes ({len(x)} train / {len(x_test)} test), "
            "batch 32"
        ),
        "template": template,
        "hand": lambda: hand_text(template),
        "train": (x, y),
        "test": x_test,
        "epochs": 1,
    }


# ----------------------------------------------------------------- translation
def hand_translation(template):
    """The translation template's default (pre-norm) Transformer in plain Keras.

    `keras.layers.MultiHeadAttention` / `LayerNormalization` / `Dense` /
    `Dropout` in functional code; padding masks from `ops.not_equal(ids, 0)`,
    the decoder's causal mask from `use_causal_mask=True`.
    """
    if not template.norm_first or template.activation != "relu":
        raise ValueError("the hand-written Transformer mirrors the default only")
    dim, heads = int(template.embedding_dim), int(template.num_heads)
    ffn, rate = int(template.intermediate_dim), float(template.dropout)
    source = template.source_embedding
    target = template.target_embedding

    def attention():
        return keras.layers.MultiHeadAttention(heads, dim // heads, dropout=rate)

    def norm():
        return keras.layers.LayerNormalization(epsilon=1e-5)

    def residual(x, fn):
        return keras.layers.Add()([x, keras.layers.Dropout(rate)(fn(norm()(x)))])

    def feed_forward(h):
        return keras.layers.Dense(dim)(keras.layers.Dense(ffn, activation="relu")(h))

    encoder_ids = keras.Input(shape=(None,), dtype="int32", name="encoder_ids")
    decoder_ids = keras.Input(shape=(None,), dtype="int32", name="decoder_ids")
    encoder_mask = ops.expand_dims(ops.not_equal(encoder_ids, 0), 1)
    decoder_mask = ops.expand_dims(ops.not_equal(decoder_ids, 0), 1)

    x = PositionalEmbedding(
        int(source.sequence_length), int(source.vocabulary_size), dim
    )(encoder_ids)
    x = keras.layers.Dropout(rate)(x)
    for _ in range(int(template.num_encoder_layers)):
        layer = attention()
        x = residual(x, lambda h, a=layer: a(h, h, attention_mask=encoder_mask))
        x = residual(x, feed_forward)
    encoded = norm()(x)

    x = PositionalEmbedding(
        int(target.sequence_length), int(target.vocabulary_size), dim
    )(decoder_ids)
    x = keras.layers.Dropout(rate)(x)
    for _ in range(int(template.num_decoder_layers)):
        self_attention, cross_attention = attention(), attention()
        x = residual(
            x,
            lambda h, a=self_attention: a(
                h, h, attention_mask=decoder_mask, use_causal_mask=True
            ),
        )
        x = residual(
            x,
            lambda h, a=cross_attention: a(h, encoded, attention_mask=encoder_mask),
        )
        x = residual(x, feed_forward)
    logits = keras.layers.Dense(int(target.vocabulary_size))(norm()(x))
    model = keras.Model(
        {"encoder_ids": encoder_ids, "decoder_ids": decoder_ids}, logits
    )
    model.compile(
        optimizer=keras.optimizers.AdamW(
            learning_rate=float(template.learning_rate),
            weight_decay=1e-4,
            beta_2=0.98,
            clipnorm=1.0,
        ),
        loss=keras.losses.SparseCategoricalCrossentropy(
            from_logits=True, ignore_class=0
        ),
        weighted_metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    return model


def translation_task():
    (x, y), _ = kr.datasets.load_dates(num_train=TRANSLATION_PAIRS, num_test=10, seed=0)
    template = kr.seq2seq_transformer(data=(x, y))
    return {
        "describe": (
            f"Babel dates -> ISO 8601 ({len(x)} train pairs), batch 64; "
            "no predict row (the template's predict decodes sentences)"
        ),
        "template": template,
        "hand": lambda: hand_translation(template),
        "train": (x, y),
        "test": None,
        "epochs": 1,
    }


TASKS = {
    "image": image_task,
    "tabular": tabular_task,
    # The tabular template on a 5,500-row table, 172 steps per epoch.
    "tabular-20x": lambda: tabular_task(repeat=20, epochs=2),
    "text": text_task,
    "translation": translation_task,
}


def num_samples(ds):
    """Samples in one pass over a batched dataset (any nesting of inputs)."""
    return sum(int(keras.tree.flatten(batch)[0].shape[0]) for batch in ds)


def measure_hand(setup, repeats):
    template, hand = setup["template"], setup["hand"]()
    if template.count_params() != hand.count_params():
        raise AssertionError(
            f"not the same network: template {template.count_params()} "
            f"parameters, hand-written {hand.count_params()}"
        )
    train, epochs = setup["train"], setup["epochs"]
    # The hand-written side gets the dataset the template's fit builds.
    ds = template.make_dataset(template.to_data(train), training=True, seed=0)
    n_train = epochs * num_samples(ds)

    def template_fit():
        template.fit(train, epochs=epochs, verbose=0, tensorboard=False, seed=0)

    def hand_fit():
        hand.fit(ds, epochs=epochs, verbose=0, shuffle=False)

    def template_graph_fit():
        # Keras' default of one step per call, whatever "auto" last chose
        # (the template keeps each traced function, so no retracing).
        template._use_steps_per_execution(1)
        keras.Model.fit(template, ds, epochs=epochs, verbose=0, shuffle=False)

    def template_bare_fit():
        template.fit(
            train,
            epochs=epochs,
            verbose=0,
            tensorboard=False,
            seed=0,
            terminate_on_nan=False,
            lr_schedule=None,
        )

    contenders = [
        ("template fit", template_fit, n_train),
        ("hand fit", hand_fit, n_train),
        ("template graph, keras fit on the same ds", template_graph_fit, n_train),
        ("template fit, no NaN check / LR decay", template_bare_fit, n_train),
    ]
    test = setup["test"]
    if test is not None:
        test_ds = template.make_dataset(template.to_data(test, with_labels=False))
        n_test = num_samples(test_ds)
        # One sample, as a user asks about one row, image or text: the
        # template validates it and (since it fits in one batch) makes one
        # predict call. The hand-written model gets it already converted (the
        # first batch of the template's pipeline), through `predict_on_batch`
        # (what Keras advises for one batch) and through `predict`.
        one = test.iloc[:1] if hasattr(test, "iloc") else test[:1]
        one_data = template.to_data(one, with_labels=False)
        one_x = next(iter(template.make_dataset(one_data)))
        contenders += [
            ("template predict", lambda: template.predict(test, verbose=0), n_test),
            ("hand predict", lambda: hand.predict(test_ds, verbose=0), n_test),
            ("template predict, 1 sample", lambda: template.predict(one, verbose=0), 1),
            (
                "hand predict_on_batch, 1 sample",
                lambda: hand.predict_on_batch(one_x),
                1,
            ),
            ("hand predict, 1 sample", lambda: hand.predict(one_x, verbose=0), 1),
        ]
    for _ in range(3):  # warm-up: tracing (see the module docstring)
        for _, fn, _ in contenders:
            fn()
    results = {name: [] for name, _, _ in contenders}
    for _ in range(repeats):
        for name, fn, n in contenders:
            results[name].append(n / timed(fn))
    return results


def ratio(results, a, b):
    return spread([x / y for x, y in zip(results[a], results[b])])


def table(results):
    rows = [
        (
            "**fit throughput ratio template/hand** (goal >= 0.98)",
            "template fit",
            "hand fit",
        ),
        (
            "fit ratio template fit / its graph under keras fit on the same ds",
            "template fit",
            "template graph, keras fit on the same ds",
        ),
        (
            "fit ratio template graph under keras fit / hand",
            "template graph, keras fit on the same ds",
            "hand fit",
        ),
        (
            "fit ratio template fit / template fit without its callbacks",
            "template fit",
            "template fit, no NaN check / LR decay",
        ),
        ("predict throughput ratio template/hand", "template predict", "hand predict"),
        (
            "predict ratio template/hand predict_on_batch, 1 sample",
            "template predict, 1 sample",
            "hand predict_on_batch, 1 sample",
        ),
        (
            "predict ratio template/hand predict, 1 sample",
            "template predict, 1 sample",
            "hand predict, 1 sample",
        ),
    ]
    lines = [
        "| measure | samples/s: median (min-max, n) |",
        "| --- | --- |",
        *(f"| {name} | {spread(v)} |" for name, v in results.items()),
        *(
            f"| {label} | {ratio(results, a, b)} |"
            for label, a, b in rows
            if a in results and b in results
        ),
    ]
    return "\n".join(lines)


def hand_section(args, tasks):
    sections = []
    for name in tasks:
        kr.set_seed(0)
        setup = TASKS[name]()
        results = measure_hand(setup, args.rounds)
        sections.append(
            f"### {name}\n\n{setup['describe']}; {setup['epochs']} epoch(s) per "
            f"timed `fit` call.\n\n{table(results)}"
        )
        print(sections[-1], flush=True)
    body = (
        f"`.venv/bin/python benchmarks/overhead.py --task {' '.join(args.task)} "
        f"--repeats {args.rounds}`: each template (factory defaults) vs the same "
        "network written by hand in plain Keras (same parameter count, optimizer, "
        "loss and metric), trained on the dataset the template's `fit` builds; "
        "the template's `fit` also validates the raw data and builds that "
        "pipeline in each call. Calls interleaved in one process, three warm-up "
        "calls each excluded (tracing, also of the 16-steps-per-call function "
        'that the template\'s `steps_per_execution="auto"` switches to once its '
        "calls add up to its `auto_min_steps`; the hand-written model and "
        "'template graph' run Keras' default of one step per call); ratios per "
        "repeat.\n\n" + "\n\n".join(sections)
    )
    report("Template overhead vs hand-written Keras", body, args)


# ------------------------------------------------------------ steps per call
def steps_child(task, steps, calls):
    """In this (fresh) interpreter: first and later fit times of one model."""
    setup = TASKS[task]()
    template, train, epochs = setup["template"], setup["train"], setup["epochs"]
    template.compile(steps_per_execution=steps)
    data = template.to_data(train)
    steps_per_call = epochs * int(template.make_dataset(data).cardinality())

    def fit():
        return timed(
            template.fit, train, epochs=epochs, verbose=0, tensorboard=False, seed=0
        )

    first = fit()
    later = sorted(fit() for _ in range(calls))
    out = {"first_s": first, "later_s": later[len(later) // 2]}
    print(json.dumps({**out, "steps": steps_per_call}))


def recipe_child(task, former_rule):
    """In this (fresh) interpreter: one recipe's first fit, build included."""
    model_kwargs, fit_kwargs = recipe_settings(RECIPES[task])
    factory, factory_kwargs, load = DEMOS[task]
    train = load()[0]
    out = {}

    def build_and_fit():
        model = factory(data=train, **factory_kwargs, **model_kwargs)
        if former_rule:
            type(model).auto_min_steps = policy.AUTO_MIN_STEPS

        def record(logs):
            out.setdefault("spe", model.steps_per_execution)

        model.fit(
            train,
            epochs=fit_kwargs["epochs"],
            batch_size=fit_kwargs["batch_size"],
            validation_split=fit_kwargs.get("validation_split", 0.0),
            verbose=0,
            tensorboard=False,
            seed=0,
            callbacks=[keras.callbacks.LambdaCallback(on_train_begin=record)],
        )
        out["steps"] = int(model.optimizer.iterations.numpy())

    seconds = timed(build_and_fit)
    print(json.dumps({"s": seconds, **out}))


def run_child(flag, task, value, calls=0):
    here = os.path.dirname(os.path.abspath(__file__))
    done = subprocess.run(
        [sys.executable, os.path.abspath(__file__), flag, task, str(value)]
        + ["--calls", str(calls)],
        cwd=here,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def steps_section(args, tasks):
    rows = {task: {"extra": [], "saved": [], "ratio": [], "even": []} for task in tasks}
    times = {task: {1: [], CHUNK: []} for task in tasks}
    steps = {}
    for round_ in range(args.rounds):
        for task in tasks:
            order = (1, CHUNK) if round_ % 2 == 0 else (CHUNK, 1)
            runs = {s: run_child("--child", task, s, args.calls) for s in order}
            one, many = runs[1], runs[CHUNK]
            steps[task] = one["steps"]
            for s in (1, CHUNK):
                times[task][s].append(runs[s])
            # Tracing (and first-pass) cost beyond a later call's time.
            extra = (many["first_s"] - many["later_s"]) - (
                one["first_s"] - one["later_s"]
            )
            saved_ms = (one["later_s"] - many["later_s"]) / one["steps"] * 1e3
            row = rows[task]
            row["extra"].append(extra)
            row["saved"].append(saved_ms)
            row["ratio"].append(many["later_s"] / one["later_s"])
            row["even"].append(extra / saved_ms * 1e3 if saved_ms > 0 else float("inf"))
            print(task, round_, runs, flush=True)
    lines = [
        "| template (steps per timed call) | first call s, 1 step per call | "
        f"first call s, {CHUNK} | later call s, 1 | later call s, {CHUNK} | "
        f"later calls: {CHUNK} / 1 | extra first-call s of {CHUNK} | saved ms per "
        f"step by {CHUNK} | break-even fit length, steps |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for task in tasks:
        t, row = times[task], rows[task]
        lines.append(
            f"| {task} ({steps[task]}) "
            f"| {spread([r['first_s'] for r in t[1]])} "
            f"| {spread([r['first_s'] for r in t[CHUNK]])} "
            f"| {spread([r['later_s'] for r in t[1]])} "
            f"| {spread([r['later_s'] for r in t[CHUNK]])} "
            f"| {spread(row['ratio'])} | {spread(row['extra'])} "
            f"| {spread(row['saved'])} | {spread(row['even'])} |"
        )
    body = (
        f"`.venv/bin/python benchmarks/overhead.py --section steps --rounds "
        f"{args.rounds} --calls {args.calls} --task {' '.join(tasks)}`: each "
        "template (factory defaults, the `hand` section's data and epochs per "
        f"call) compiled with 1 and with {CHUNK} steps per call, each in a fresh "
        "interpreter: the first `fit` call (tracing included) and the median of "
        f"{args.calls} later calls; the pair's order alternates by round. Extra "
        f"first-call s: (first - later) with {CHUNK} minus the same with 1. "
        "Break-even: extra first-call time / saved time per step, the fit length "
        f"(steps) from which {CHUNK} steps per call is faster in a model's first "
        "fit. Median (min-max) over rounds.\n\n" + "\n".join(lines)
    )
    report("Steps per call: tracing cost vs per-step saving", body, args)


def recipes_section(args, tasks):
    tasks = [t for t in tasks if t in RECIPES]
    runs = {t: {0: [], 1: []} for t in tasks}
    for round_ in range(args.rounds):
        for task in tasks:
            for former in (0, 1) if round_ % 2 == 0 else (1, 0):
                runs[task][former].append(run_child("--recipe-child", task, former))
            print(task, round_, runs[task], flush=True)
    lines = [
        "| recipe (train steps) | steps per call now / former | first fit s, now | "
        "first fit s, former rule | now / former |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for task in tasks:
        now, former = runs[task][0], runs[task][1]
        ratios = [a["s"] / b["s"] for a, b in zip(now, former, strict=True)]
        lines.append(
            f"| {RECIPES[task]} ({now[0]['steps']}) "
            f"| {now[0]['spe']} / {former[0]['spe']} "
            f"| {spread([r['s'] for r in now])} "
            f"| {spread([r['s'] for r in former])} | {spread(ratios)} |"
        )
    body = (
        f"`.venv/bin/python benchmarks/overhead.py --section recipes --rounds "
        f"{args.rounds}`: the first `fit` of a fresh model with each bundled "
        "recipe's model and fit settings (TensorBoard off), build included, "
        'under `steps_per_execution="auto"` with the template\'s '
        "`auto_min_steps` (now) and with the former rule of "
        f"`AUTO_MIN_STEPS` ({policy.AUTO_MIN_STEPS}) steps for every template, "
        "each in a fresh interpreter, the order alternating by round; median "
        "(min-max).\n\n" + "\n".join(lines)
    )
    report("Steps per call: a recipe's first fit", body, args)


# ------------------------------------------------------------ fit-call costs
CALL_VARIANTS = {
    "template fit (default: TerminateOnNaN)": {},
    "terminate_on_nan=False": {"terminate_on_nan": False},
}


def calls_section(args, tasks):
    lines = [
        "| template | variant | in-epoch ms/step: median (min-max, n) | vs default "
        "| after on_train_end, ms per fit call: median (min-max, n) |",
        "| --- | --- | --- | ---: | --- |",
    ]
    for task in tasks:
        kr.set_seed(0)
        setup = TASKS[task]()
        model, train = setup["template"], setup["train"]
        steps = int(model.make_dataset(model.to_data(train)).cardinality())
        results = {name: {"step_ms": [], "tail_ms": []} for name in CALL_VARIANTS}
        for round_index in range(args.rounds + 1):
            for name, fit_kwargs in CALL_VARIANTS.items():
                timer = EpochTimer()
                model.fit(
                    train,
                    epochs=args.epochs,
                    verbose=0,
                    tensorboard=False,
                    seed=0,
                    callbacks=[timer],
                    **fit_kwargs,
                )
                returned = time.perf_counter()
                if round_index:  # round 0: tracing and warm-up
                    step_ms = sum(timer.times) / (steps * args.epochs) * 1e3
                    results[name]["step_ms"].append(step_ms)
                    results[name]["tail_ms"].append((returned - timer.train_end) * 1e3)
        base = float(np.median(results[next(iter(CALL_VARIANTS))]["step_ms"]))
        for name, result in results.items():
            step = result["step_ms"]
            lines.append(
                f"| {task} ({steps} steps per epoch) | {name} | {spread(step)} | "
                f"{base / float(np.median(step)):.2f}x | {spread(result['tail_ms'])} |"
            )
            print(lines[-1], flush=True)
    body = (
        f"`.venv/bin/python benchmarks/overhead.py --section calls --rounds "
        f"{args.rounds} --task {' '.join(tasks)} --epochs {args.epochs}`: each "
        f"template on its demo data, {args.epochs}-epoch `fit` calls at the "
        "template's batch size, variants interleaved on the same model, the "
        "first round excluded; 'vs default' = default ms/step / variant ms/step "
        "(> 1: the variant is faster).\n\n" + "\n".join(lines)
    )
    report("Fit-call overheads", body, args)


# ---------------------------------------------------------- per-call input
def input_contenders(template, train):
    """`{name: fn}` of the per-call input work of a template's `fit`."""
    data = template.to_data(train)

    def build():
        return template.make_dataset(data, training=True, seed=0)

    def build_and_pass():
        for _ in build():
            pass

    full = build()
    for _ in full:  # fills the cache before any timed pass
        pass

    def later_pass():
        for _ in full:
            pass

    return {
        "validate (to_data)": lambda: template.to_data(train),
        "build (make_dataset)": build,
        "build + first pass": build_and_pass,
        "later pass": later_pass,
    }


def input_section(args, tasks):
    lines = [
        "| template | data | measure | ms per call: median (min-max, n) |",
        "| --- | --- | --- | --- |",
    ]
    for name in tasks:
        setup = TASKS[name]()
        fns = input_contenders(setup["template"], setup["train"])
        for fn in fns.values():
            fn()  # warm-up: first traces, lazy imports
        times = {key: [] for key in fns}
        for _ in range(args.rounds):
            for key, fn in fns.items():
                times[key].append(timed(fn) * 1e3)
        for key, values in times.items():
            lines.append(
                f"| {name} | {setup['describe'].split(' (')[0]} | {key} | "
                f"{spread(values)} |"
            )
            print(lines[-1], flush=True)
    body = (
        f"`.venv/bin/python benchmarks/overhead.py --section input --rounds "
        f"{args.rounds} --task {' '.join(tasks)}`: per-call input work of each "
        "template's `fit` before Keras' loop: validating the raw data, building "
        "the tf.data pipeline, building it plus one full pass (which fills its "
        "cache), and one pass over a pipeline whose cache is full (its work in "
        "every later epoch); rounds interleaved, one warm-up call each "
        "excluded.\n\n" + "\n".join(lines)
    )
    report("Per-call pipeline build", body, args)


SECTIONS = {
    "hand": hand_section,
    "steps": steps_section,
    "recipes": recipes_section,
    "calls": calls_section,
    "input": input_section,
}


def main():
    parser = arg_parser(description=__doc__.splitlines()[0])
    parser.add_argument("--section", choices=SECTIONS, default="hand")
    parser.add_argument(
        "--task",
        "--tasks",
        nargs="+",
        choices=[*TASKS, "all"],
        default=["all"],
        metavar="TASK",
        help="image, tabular, text, translation, tabular-20x (`hand` only) or all "
        "(the four; `hand` adds tabular-20x)",
    )
    parser.add_argument("--rounds", "--repeats", type=int, default=None)
    parser.add_argument(
        "--calls", type=int, default=3, help="`steps`: later calls timed per child"
    )
    parser.add_argument(
        "--epochs", type=int, default=1, help="`calls`: epochs per fit call"
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--recipe-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        steps_child(args.child[0], int(args.child[1]), args.calls)
        return
    if args.recipe_child:
        recipe_child(args.recipe_child[0], args.recipe_child[1] == "1")
        return
    if args.rounds is None:
        args.rounds = ROUNDS[args.section]
    if "all" in args.task:
        tasks = list(TASKS) if args.section == "hand" else list(TEMPLATES)
    else:
        tasks = args.task
    SECTIONS[args.section](args, tasks)


if __name__ == "__main__":
    main()
