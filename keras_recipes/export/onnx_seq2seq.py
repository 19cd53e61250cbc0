"""Verified ONNX export of a seq2seq model: encoder + decoder graphs + sidecar.

`export_onnx` hands models with an `onnx_decoder_graphs()` method (the
`Seq2SeqTransformer` template) to `export_seq2seq_onnx`. For
`model.export("out/translator.onnx", format="onnx")` it writes:

- `out/translator.encoder.onnx`: `encoder_ids` -> `encoded`, `encoder_mask`;
- `out/translator.decoder.onnx`: `encoded`, `encoder_mask`, `decoder_ids`
  (the whole prefix, dynamic length) -> `logits` for every prefix position;
- `out/translator.json`: vocabularies, special ids, lengths, the
  tokenization rule and the two file names.

Greedy translation then runs with numpy + onnxruntime only
(`onnx_preprocess.translate_onnx("out/translator.onnx", sentences)`). The
decoder re-reads the whole prefix each step (no key/value cache): simple,
and the same computation as the Keras greedy decoder.

The graphs themselves come from `decoder_graphs`, which the model's
`onnx_decoder_graphs()` calls with its encoder and decoder functions.

Verification (each graph goes through the shared `convert_verified`:
checker with `full_check`, onnxruntime session, inputs/outputs by name,
dynamic batch axis, outputs vs Keras within `tolerance`):

1. the pure-Python tokenizer gives exactly `model.vectorize_sources` ids;
2. encoder graph vs the Keras encoder on those ids;
3. decoder graph vs the Keras decoder, teacher-forced on the Keras greedy
   outputs (so every position the greedy loop visits is compared);
4. the first decoding step end to end (ONNX encoder -> ONNX decoder) vs
   Keras: `first_step_max_abs_error <= tolerance`;
5. the decoded token ids of the ONNX greedy loop equal
   `model.generate_ids` exactly, and the strings equal `model.translate`.

Any failure raises (`OnnxParityError` for 1-5) and leaves no file behind.
"""

import dataclasses
import json
import os

import keras
import numpy as np

from keras_recipes import utils
from keras_recipes.export import onnx_convert
from keras_recipes.export import onnx_preprocess


@dataclasses.dataclass
class Seq2SeqOnnxReport(onnx_convert.OnnxReport):
    """`OnnxReport` of a seq2seq export (two graphs + sidecar).

    `path` is the sidecar (what `translate_onnx` reads); `files` names all
    three files. `input_names`, `input_shapes`, `output_names` and
    `output_shapes` are dicts by graph (`"encoder"`, `"decoder"`);
    `max_abs_error` is the larger of the two graphs' errors; latencies are
    greedy decoding of the `num_samples` sentences as one batch (ms);
    `graphs` holds each graph's route, error, routes tried and latency.
    """

    files: dict = dataclasses.field(default_factory=dict)
    first_step_max_abs_error: float = None
    decoded_exact_match: float = None
    max_length: int = None
    graphs: dict = dataclasses.field(default_factory=dict)
    decoding: str = "greedy, whole prefix each step (no key/value cache)"


def decoder_graphs(encoder_forward, decoder_forward, embedding_dim, name):
    """The encoder and decoder `keras.Model`s of greedy decoding.

    Both share the weights of the model the two functions belong to and run
    with `training=False`:

    - encoder: `encoder_ids (batch, source_length) int32` ->
      `encoded (batch, source_length, embedding_dim) float32` and
      `encoder_mask (batch, source_length) bool` (`ids != 0`);
    - decoder: `encoded`, `encoder_mask` and `decoder_ids (batch, t) int32`
      (the start token and the tokens generated so far) ->
      `logits (batch, t, target_vocabulary_size) float32`. Decoding feeds the
      whole prefix every step (no key/value cache).

    Args:
        encoder_forward: `(encoder_ids, training) -> (encoded, encoder_mask)`.
        decoder_forward: `(decoder_ids, encoded, encoder_mask, training) ->
            logits`.
        embedding_dim: width of `encoded`.
        name: the model's name; the graphs are `{name}_encoder` and
            `{name}_decoder`.

    Returns:
        `(encoder, decoder)`.
    """
    encoder_ids = keras.Input(shape=(None,), dtype="int32", name="encoder_ids")
    encoded, encoder_mask = encoder_forward(encoder_ids, training=False)
    encoder = keras.Model(
        encoder_ids,
        [
            keras.layers.Identity(name="encoded", dtype="float32")(encoded),
            keras.layers.Identity(name="encoder_mask", dtype="float32")(encoder_mask),
        ],
        name=f"{name}_encoder",
    )
    inputs = {
        "encoded": keras.Input(
            shape=(None, int(embedding_dim)), dtype="float32", name="encoded"
        ),
        "encoder_mask": keras.Input(shape=(None,), dtype="bool", name="encoder_mask"),
        "decoder_ids": keras.Input(shape=(None,), dtype="int32", name="decoder_ids"),
    }
    logits = decoder_forward(
        inputs["decoder_ids"],
        inputs["encoded"],
        inputs["encoder_mask"],
        training=False,
    )
    decoder = keras.Model(inputs, logits, name=f"{name}_decoder")
    return encoder, decoder


def output_paths(filepath):
    """`x.onnx` -> `{"encoder": x.encoder.onnx, "decoder": ..., "sidecar": x.json}`."""
    stem = os.fspath(filepath)[: -len(".onnx")]
    return {
        "encoder": stem + ".encoder.onnx",
        "decoder": stem + ".decoder.onnx",
        "sidecar": stem + ".json",
    }


def export_seq2seq_onnx(
    model,
    filepath,
    verify=True,
    samples=None,
    tolerance=1e-5,
    opset=onnx_convert.DEFAULT_OPSET,
    routes=onnx_convert.ROUTES,
    num_samples=8,
    seed=0,
    max_length=None,
):
    """Exports a seq2seq task to two verified ONNX graphs and a sidecar.

    Called by `export_onnx` (arguments already validated there); see the
    module docstring for the files and the checks.

    Args:
        model: a task with `onnx_decoder_graphs()`, `vectorize_sources`,
            `generate_ids` and `translate` (`kr.tasks.Seq2SeqTransformer`).
        filepath: path ending in `.onnx`; the files are named after it.
        verify: `False` skips the parity checks (the checker still runs).
        samples: source sentences to verify on (real data is best);
            generated from the source vocabulary when omitted.
        tolerance: largest accepted absolute logit/state difference.
        opset, routes: as in `export_onnx`.
        num_samples, seed: size and seed of the generated sentences.
        max_length: decoding length verified (default: the model's maximum).

    Returns:
        A `Seq2SeqOnnxReport`.
    """
    full, cast = onnx_convert.as_float32(model)
    encoder, decoder, sidecar = full.onnx_decoder_graphs()
    paths = output_paths(filepath)
    sidecar = dict(
        sidecar,
        preprocess="seq2seq_source_ids",
        decoding="greedy_full_prefix",
        encoder=os.path.basename(paths["encoder"]),
        decoder=os.path.basename(paths["decoder"]),
    )
    if max_length is None:
        max_length = sidecar["max_output_length"]
    sentences = _samples(full, samples, sidecar, num_samples, seed)

    # 1. Tokenization: pure Python vs the model's own tf.data vectorization.
    ids = onnx_preprocess.seq2seq_source_ids(sentences, sidecar)["encoder_ids"]
    keras_ids = np.asarray(full.vectorize_sources(sentences))
    if verify and not np.array_equal(ids, keras_ids):
        row = int(np.argmax(np.any(ids != keras_ids, axis=1)))
        raise onnx_convert.OnnxParityError(
            "The pure-Python source tokenization differs from "
            f"`vectorize_sources` on {sentences[row]!r}: {ids[row].tolist()} vs "
            f"{keras_ids[row].tolist()}. No file was written."
        )

    # Keras references: encoder states, greedy ids, teacher-forced logits.
    enc_feeds = {"encoder_ids": ids}
    enc_ref = onnx_convert.keras_outputs(encoder, enc_feeds)
    want_ids = np.asarray(full.generate_ids(ids, max_length=max_length))
    dec_feeds = {
        "encoded": enc_ref[0].astype("float32"),
        "encoder_mask": enc_ref[1].astype(bool),
        "decoder_ids": want_ids,
    }
    dec_ref = onnx_convert.keras_outputs(decoder, dec_feeds)

    checks = dict(tolerance=tolerance, opset=opset, routes=routes, check_parity=verify)
    with (
        utils.atomic_path(paths["encoder"]) as enc_tmp,
        utils.atomic_path(paths["decoder"]) as dec_tmp,
        utils.atomic_path(paths["sidecar"]) as side_tmp,
    ):
        graphs = {}
        for name, core, tmp, feeds, ref in (
            ("encoder", encoder, enc_tmp, enc_feeds, enc_ref),
            ("decoder", decoder, dec_tmp, dec_feeds, dec_ref),
        ):
            route, checked, tried = onnx_convert.convert_verified(
                core,
                tmp,
                feeds,
                ref,
                what=f"ONNX export of the {name} of {model.name!r}",
                filepath=paths[name],
                **checks,
            )
            graphs[name] = dict(
                checked,
                route=route,
                routes_tried=tried,
                input_names=onnx_convert.input_specs(core)[0],
                keras_latency_ms=onnx_convert.keras_latency_ms(core, feeds),
            )
        with open(side_tmp, "w", encoding="utf-8") as file:
            json.dump(sidecar, file, indent=1)

        translator = onnx_preprocess.OnnxTranslator.from_files(
            enc_tmp, dec_tmp, sidecar
        )
        # 4. First step end to end, from the ONNX encoder's own states.
        start = np.full((len(ids), 1), sidecar["special_ids"]["start"], "int32")
        got_first = translator.decode(*translator.encode(ids), start)
        want_first = onnx_convert.keras_outputs(
            decoder,
            {
                "encoded": dec_feeds["encoded"],
                "encoder_mask": dec_feeds["encoder_mask"],
                "decoder_ids": start,
            },
        )[0]
        first_error = float(np.max(np.abs(got_first - want_first)))
        if verify and not first_error <= tolerance:
            raise onnx_convert.OnnxParityError(
                f"first decoding step: max abs logit error {first_error:.3g} "
                f"exceeds tolerance={tolerance:g}. No file was written."
            )
        # 5. Decoded token ids and strings.
        got_ids = translator.generate_ids(ids, max_length=max_length)
        same = np.all(got_ids == want_ids, axis=1)
        got_text = onnx_preprocess.seq2seq_detokenize(got_ids, sidecar)
        want_text = full.translate(sentences, max_length=max_length)
        if verify and not (same.all() and got_text == want_text):
            row = (
                int(np.argmin(same))
                if not same.all()
                else next(
                    i for i, (g, w) in enumerate(zip(got_text, want_text)) if g != w
                )
            )
            raise onnx_convert.OnnxParityError(
                f"ONNX greedy decoding differs from Keras on {int((~same).sum())}"
                f" of {len(same)} sentences; first: {sentences[row]!r} -> "
                f"{got_ids[row].tolist()} ({got_text[row]!r}) vs Keras "
                f"{want_ids[row].tolist()} ({want_text[row]!r}). No file was "
                "written."
            )
        ort_ms = onnx_convert.median_ms(
            lambda: translator.generate_ids(ids, max_length=max_length), repeats=3
        )
        keras_ms = onnx_convert.median_ms(
            lambda: full.generate_ids(ids, max_length=max_length), repeats=3
        )

    enc, dec = graphs["encoder"], graphs["decoder"]
    return Seq2SeqOnnxReport(
        path=paths["sidecar"],
        route=enc["route"]
        if enc["route"] == dec["route"]
        else f"encoder={enc['route']}, decoder={dec['route']}",
        opset=max(enc["opset"], dec["opset"]),
        input_names={k: g["input_names"] for k, g in graphs.items()},
        input_shapes={k: g["input_shapes"] for k, g in graphs.items()},
        output_names={k: g["output_names"] for k, g in graphs.items()},
        output_shapes={k: g["output_shapes"] for k, g in graphs.items()},
        max_abs_error=max(enc["max_abs_error"], dec["max_abs_error"]),
        tolerance=tolerance,
        num_samples=len(sentences),
        ort_latency_ms=ort_ms,
        keras_latency_ms=keras_ms,
        float32_cast=cast,
        sidecar_path=paths["sidecar"],
        preprocess="seq2seq_source_ids",
        routes_tried={k: g["routes_tried"] for k, g in graphs.items()},
        files=paths,
        first_step_max_abs_error=first_error,
        decoded_exact_match=float(same.mean()),
        max_length=int(max_length),
        graphs={
            k: {
                key: g[key]
                for key in (
                    "route",
                    "max_abs_error",
                    "ort_latency_ms",
                    "keras_latency_ms",
                )
            }
            for k, g in graphs.items()
        },
    )


def _samples(model, samples, sidecar, count, seed):
    if samples is not None:
        if isinstance(samples, str):
            samples = [samples]
        return [str(s) for s in model.check_x(samples, "samples")]
    # No data given: random token sequences from the source vocabulary, plus
    # one unknown token, up to the source length.
    rng = np.random.default_rng(seed)
    special = set(sidecar["special_ids"].values())
    vocabulary = [
        t for i, t in enumerate(sidecar["source_tokens"]) if i not in special
    ] + ["\u2603"]
    joiner = "" if sidecar["source_split"] == "character" else " "
    top = max(1, int(sidecar["sequence_length"]))
    sentences = []
    while len(sentences) < int(count):
        size = int(rng.integers(1, top + 1))
        sentence = joiner.join(rng.choice(vocabulary, size=size))
        if sentence.strip():
            sentences.append(sentence)
    return sentences
