"""Mixed precision: float32 vs `mixed_float16` / `mixed_bfloat16` per template.

Each template is built and compiled under each Keras dtype policy (the
global policy is set around the build and each `fit` only), with its
defaults on its demo data (`common.DEMOS`: digits, penguins, WordNet
glosses, 2000 dates), seeded alike. Under a mixed policy
the layers compute in float16 / bfloat16 with float32 weights, the
templates keep their output layers in float32, and under `mixed_float16`
Keras wraps the optimizer in a `LossScaleOptimizer` (dynamic loss scaling).

Every model gets one warm-up epoch (tracing; XLA compiling where Keras'
`jit_compile="auto"` turns it on, i.e. on a GPU), then one epoch per policy
per round, the policies' order alternating between rounds. Reported per
template and policy: training samples/s inside the epoch (a callback times
epoch begin to end), its ratio to float32 in the same round, and the loss
and accuracy on the held-out test split after all epochs (does the policy
cost quality?).

Mixed precision pays where the hardware has float16 / bfloat16 matrix
units (a GPU's tensor cores, a CPU with AMX or AVX512-BF16); elsewhere it
is expected to be slower. Run it on a GPU for the issue's GPU figure; the
machine line of the results names the GPU if one is visible.

    .venv/bin/python benchmarks/mixed_precision.py [--rounds 3] \
        [--tasks image tabular text translation] \
        [--policies float32 mixed_float16 mixed_bfloat16] [--note "..."]
"""

import statistics

from common import DEMOS
from common import EpochTimer
from common import arg_parser
from common import report
from common import spread

import keras_recipes as kr
from keras_recipes.utils import dtype_policy

POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")


class Run:
    """One template model under one policy, trained an epoch at a time."""

    def __init__(self, task, policy):
        factory, kwargs, loader = DEMOS[task]
        self.policy = policy
        self.train, self.test = loader()
        kr.set_seed(0)
        with dtype_policy(policy):
            self.model = factory(data=self.train, **kwargs)
        self.samples = len(self.model.to_data(self.train))
        self.rates = []

    def epoch(self):
        timer = EpochTimer()
        with dtype_policy(self.policy):
            self.model.fit(
                self.train,
                epochs=1,
                verbose=0,
                tensorboard=False,
                seed=0,
                callbacks=[timer],
            )
        return self.samples / timer.seconds

    def describe(self):
        model = self.model
        return (
            f"compute {model.dtype_policy.compute_dtype}, output "
            f"{model.outputs[0].dtype}, {type(model.optimizer).__name__}, "
            f"jit_compile={model.jit_compile}"
        )


def measure(task, policies, rounds):
    runs = {policy: Run(task, policy) for policy in policies}
    for run in runs.values():
        run.epoch()  # warm-up: tracing (and XLA compiling where it is on)
    for round_ in range(rounds):
        order = policies if round_ % 2 == 0 else policies[::-1]
        for policy in order:
            runs[policy].rates.append(runs[policy].epoch())
        print(
            f"{task} round {round_ + 1}: "
            + ", ".join(f"{p} {runs[p].rates[-1]:.0f}/s" for p in policies),
            flush=True,
        )
    test = runs[policies[0]].test
    lines = []
    base = runs[policies[0]].rates
    for policy, run in runs.items():
        scores = run.model.evaluate(test, verbose=0, return_dict=True)
        ratio = [rate / b for rate, b in zip(run.rates, base)]
        lines.append(
            f"| {task} | {policy} | {run.describe()} | {spread(run.rates)} | "
            f"{spread(ratio)} | {scores['loss']:.4f} | "
            f"{scores.get('accuracy', float('nan')):.4f} |"
        )
    return lines, {p: statistics.median(r.rates) for p, r in runs.items()}


def main():
    parser = arg_parser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tasks", nargs="+", default=list(DEMOS), choices=DEMOS)
    parser.add_argument("--policies", nargs="+", default=list(POLICIES))
    args = parser.parse_args()
    if args.policies[0] != "float32":
        parser.error(
            "--policies must start with float32 (the baseline of the ratios). "
            f"Received: --policies {' '.join(args.policies)}"
        )
    lines = [
        f"| template | policy | model | training samples/s inside the epoch: "
        f"median (min-max, n) | vs {args.policies[0]}, same round | test loss "
        f"after {args.rounds + 1} epochs | test accuracy |",
        "| --- | --- | --- | --- | --- | ---: | ---: |",
    ]
    summary = []
    for task in args.tasks:
        task_lines, medians = measure(task, args.policies, args.rounds)
        lines += task_lines
        summary.append(
            f"{task}: "
            + ", ".join(
                f"{policy} {medians[policy] / medians[args.policies[0]]:.2f}x"
                for policy in args.policies[1:]
            )
        )
    body = (
        f"`.venv/bin/python benchmarks/mixed_precision.py --rounds {args.rounds} "
        f"--tasks {' '.join(args.tasks)} --policies {' '.join(args.policies)}`: "
        "each template (defaults, its demo data) built under each Keras dtype "
        "policy, one warm-up epoch each, then one epoch per policy per round "
        "(order alternating); samples/s from epoch begin to end; test loss and "
        "accuracy on the held-out split after the last epoch.\n\n"
        + "\n".join(lines)
        + "\n\nThroughput vs float32 (medians): "
        + "; ".join(summary)
        + "."
    )
    report("Mixed precision per template", body, args)


if __name__ == "__main__":
    main()
