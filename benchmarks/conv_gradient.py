"""Conv training step: `kr.layers.FastConv2D` vs `keras.layers.Conv2D`, per shape.

For each (batch, height, width, channels) a 3x3 "same" convolution runs
forward + backward (gradients for the input and the kernel, as in a training
step of a layer that is not the first) `--inner` times inside one
`tf.function`, so Python call overhead is out of the figure. Three layers
hold the same weights: Keras' `Conv2D`, `FastConv2D`, and `FastConv2D` as it
was before its kernel gradient became a forward convolution (input gradient
as a forward convolution, kernel gradient TensorFlow's
`Conv2DBackpropFilter`; patched in here, at trace time). They run
alternately, `--repeats` rounds, medians reported. Training FLOPs = 3 x
forward (2 * N*H*W * 9 * C_in * C_out).
The shapes are those of the image template on 8x8 digits (stages at 8x8x32,
4x4x64, 2x2x128) and on 32x32 images (32x32x32, 16x16x64, 8x8x128).

    .venv/bin/python benchmarks/conv_gradient.py [--repeats 5] [--note "..."]
"""

import contextlib
import time

import keras
import numpy as np
import tensorflow as tf
from common import arg_parser
from common import report
from common import spread
from variants import tf_kernel_gradient

import keras_recipes as kr

SHAPES = [
    (32, 8, 32),
    (32, 4, 64),
    (32, 2, 128),
    (32, 32, 32),
    (32, 16, 64),
    (32, 8, 128),
    (128, 8, 32),
    (128, 2, 128),
]


def step_function(layer, x, inner):
    @tf.function
    def run():
        total = tf.constant(0.0)
        for i in tf.range(inner):
            # A fresh input each iteration, so nothing is hoisted out of the loop.
            xi = x + tf.cast(i, "float32") * 1e-9
            with tf.GradientTape() as tape:
                tape.watch(xi)
                loss = tf.reduce_sum(layer(xi, training=True) * x)
            dx, dw = tape.gradient(loss, [xi, layer.kernel])
            total += dx[0, 0, 0, 0] + dw[0, 0, 0, 0]
        return total

    return run


def main():
    parser = arg_parser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--inner", type=int, default=20)
    args = parser.parse_args()

    rows = []
    for batch, size, channels in SHAPES:
        x = tf.constant(
            np.random.default_rng(0)
            .normal(size=(batch, size, size, channels))
            .astype("float32")
        )
        fast = kr.layers.FastConv2D(channels, 3, padding="same", use_bias=False)
        before = kr.layers.FastConv2D(channels, 3, padding="same", use_bias=False)
        stock = keras.layers.Conv2D(channels, 3, padding="same", use_bias=False)
        for layer in (fast, before, stock):
            layer.build(x.shape)
        stock.set_weights(fast.get_weights())
        before.set_weights(fast.get_weights())
        runs = {
            "stock": step_function(stock, x, args.inner),
            "before": step_function(before, x, args.inner),
            "fast": step_function(fast, x, args.inner),
        }
        for name, run in runs.items():  # trace + warm-up
            with tf_kernel_gradient() if name == "before" else contextlib.nullcontext():
                run().numpy()
        times = {name: [] for name in runs}
        for _ in range(args.repeats):
            for name, run in runs.items():
                start = time.perf_counter()
                run().numpy()
                times[name].append((time.perf_counter() - start) / args.inner)
        flops = 3 * 2 * batch * size * size * 9 * channels * channels
        ratios = {
            name: [a / b for a, b in zip(times[name], times["fast"], strict=True)]
            for name in ("stock", "before")
        }
        rows.append(
            f"| {batch}x{size}x{size}x{channels} | "
            + " | ".join(
                f"{1e3 * np.median(times[name]):.3f}"
                for name in ("stock", "before", "fast")
            )
            + f" | {flops / np.median(times['stock']) / 1e9:.1f} | "
            f"{flops / np.median(times['fast']) / 1e9:.1f} | "
            f"{spread(ratios['stock'])} | {spread(ratios['before'])} |"
        )
        print(rows[-1], flush=True)
    body = (
        f"`.venv/bin/python benchmarks/conv_gradient.py --repeats {args.repeats}`: "
        "3x3 'same' conv, forward + input and kernel gradients, "
        f"{args.inner} steps per `tf.function` call, layers alternated per round, "
        "median ms per step.\n\n"
        "| N x H x W x C | keras Conv2D ms | FastConv2D before (TF kernel "
        "gradient) ms | FastConv2D ms | Conv2D GFLOP/s | FastConv2D GFLOP/s | "
        "FastConv2D vs Conv2D: median (min-max, n) | FastConv2D vs before: "
        "median (min-max, n) |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |\n" + "\n".join(rows)
    )
    report("Conv gradient: FastConv2D vs keras Conv2D", body, args)


if __name__ == "__main__":
    main()
