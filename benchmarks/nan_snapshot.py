"""Cost of `kr.callbacks.TerminateOnNaN`'s per-epoch snapshot, per template.

`Task.fit` adds `TerminateOnNaN`, which at every epoch end checks that all
weights are finite and keeps a copy of them and of the optimizer state (to
put back if a later epoch diverges). This times that snapshot as it is now
(one raw `ReadVariableOp` per variable, kept as tensors, and a finiteness
check on their buffers in place: `TerminateOnNaN._snapshot`) against the
two ways it was written before: the Keras API (`model.get_weights()` plus
`Variable.numpy()` per optimizer variable) and a numpy copy of one
`tf.Variable.value()` read per variable, on the tabular
template (penguins) and the image template (digits) after one short fit,
calls interleaved, and sets it against one epoch of that template's default
fit (timed from epoch begin to epoch end: the snapshot included, the
per-call input validation and pipeline build not).

    .venv/bin/python benchmarks/nan_snapshot.py [--calls 20] [--rounds 7]
"""

import time

import numpy as np
from common import arg_parser
from common import report
from common import spread
from compute_efficiency import EpochTimer
from predict_latency import image
from predict_latency import tabular

import keras_recipes as kr

TEMPLATES = {"tabular (penguins)": tabular, "image (digits)": image}


def keras_api_snapshot(model):
    """The first version: `get_weights()` + `.numpy()` of the optimizer's."""
    weights = model.get_weights()
    finite = all(np.all(np.isfinite(w)) for w in weights if w.dtype.kind == "f")
    slots = [np.array(v.numpy()) for v in model.optimizer.variables]
    return finite, slots


def eager_snapshot(model):
    """The second version: a numpy copy of `value()` per variable."""
    weights = [np.array(v.value.value()) for v in model.weights]
    finite = all(np.all(np.isfinite(w)) for w in weights if w.dtype.kind == "f")
    return finite, [np.array(v.value.value()) for v in model.optimizer.variables]


def timed_ms(fn, calls):
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1e3


def main():
    parser = arg_parser()
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    lines = [
        "| template | variables | epoch ms | snapshot ms, Keras API | "
        "snapshot ms, numpy copies | snapshot ms, now | numpy copies / now | "
        "now, % of an epoch |",
        "| --- | ---: | ---: | --- | --- | --- | --- | ---: |",
    ]
    for name, build in TEMPLATES.items():
        kr.set_seed(0)
        model, data, _ = build()
        model.fit(*data, epochs=1, verbose=0, tensorboard=False, seed=0)
        timer = EpochTimer()  # keeps the last epoch's time
        model.fit(
            *data, epochs=2, verbose=0, tensorboard=False, seed=0, callbacks=[timer]
        )
        epoch_ms = timer.seconds * 1e3
        callback = kr.callbacks.TerminateOnNaN()
        callback.set_model(model)
        contenders = {
            "keras": lambda model=model: keras_api_snapshot(model),
            "eager": lambda model=model: eager_snapshot(model),
            "now": lambda callback=callback: callback._snapshot(0),
        }
        times = {key: [] for key in contenders}
        for _ in range(args.rounds):
            for key, fn in contenders.items():
                times[key].append(timed_ms(fn, args.calls))
        ratio = [a / b for a, b in zip(times["eager"], times["now"])]
        count = len(model.weights) + len(model.optimizer.variables)
        share = 100 * float(np.median(times["now"])) / epoch_ms
        lines.append(
            f"| {name} | {count} | {epoch_ms:.0f} | {spread(times['keras'])} | "
            f"{spread(times['eager'])} | {spread(times['now'])} | "
            f"{spread(ratio)} | {share:.1f} |"
        )
        print(lines[-1], flush=True)
    body = (
        f"`.venv/bin/python benchmarks/nan_snapshot.py --calls {args.calls} "
        f"--rounds {args.rounds}`: `TerminateOnNaN`'s per-epoch snapshot "
        "(finiteness check + copy of weights and optimizer state), ms per "
        f"snapshot, median (min-max) of {args.rounds} interleaved rounds of "
        f"{args.calls} calls; epoch ms: in-epoch time of the second "
        "epoch of a default `fit`.\n\n" + "\n".join(lines)
    )
    report("TerminateOnNaN snapshot cost", body, args)


if __name__ == "__main__":
    main()
