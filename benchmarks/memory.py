"""Peak memory (RSS) of each template's demo run.

Each demo runs alone in a fresh interpreter: the recipe `keras-recipes demo
--task TASK` runs (`keras_recipes.cli._demo_recipe` + `Recipe.train`: load
the bundled data, build, train, evaluate, export to .keras, SavedModel and
ONNX when installed), with fewer epochs; the child then reports
`resource.getrusage(RUSAGE_SELF).ru_maxrss` (peak RSS). A child that only
runs `import keras_recipes` gives the floor (TensorFlow + Keras loaded).

    .venv/bin/python benchmarks/memory.py [--tasks image_classifier ...]
        [--note "..."]
"""

import json
import os
import subprocess
import sys
import tempfile

from common import arg_parser
from common import report
from common import timed_call

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Demo-sized runs with fewer epochs; translation also on a smaller corpus.
RUNS = {
    "import keras_recipes (floor)": None,
    "image_classifier": {"epochs": 2},
    "tabular_classifier": {"epochs": 3},
    "text_classifier": {"epochs": 1},
    "seq2seq_transformer": {
        "epochs": 1,
        "options": {"num_train": 3000, "num_test": 300},
    },
}
GOAL_GIB = {"image_classifier": 2.0}

CHILD = """
import json, resource, sys, time
start = time.perf_counter()
import keras_recipes
spec = json.loads(sys.argv[1])
if spec["task"] is not None:
    from keras_recipes import cli
    from keras_recipes import recipe as recipe_lib
    config = cli._demo_recipe(spec["task"], spec["epochs"], spec["output_dir"])
    if spec.get("options"):
        config["data"].setdefault("options", {}).update(spec["options"])
    recipe_lib.load(config).train(verbose=0)
print(json.dumps({
    "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "seconds": time.perf_counter() - start,
}))
"""


def measure(task, settings, output_dir):
    spec = {"task": task, "output_dir": output_dir, **(settings or {})}
    if settings is None:
        spec = {"task": None}
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(spec)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{task} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = arg_parser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="*", default=list(RUNS))
    args = parser.parse_args()

    lines = [
        "| run | settings | peak RSS GiB | seconds | goal |",
        "| --- | --- | ---: | ---: | --- |",
    ]
    with tempfile.TemporaryDirectory(prefix="kr_memory_") as root:
        for name in args.tasks:
            settings = RUNS[name]
            result, wall = timed_call(
                measure,
                None if settings is None else name,
                settings,
                os.path.join(root, name),
            )
            gib = result["maxrss_kib"] / 2**20
            goal = ""
            if name in GOAL_GIB:
                ok = gib < GOAL_GIB[name]
                goal = f"< {GOAL_GIB[name]:g} GiB: {'met' if ok else 'NOT met'}"
            shown = json.dumps(settings) if settings else "-"
            lines.append(
                f"| {name} | {shown} | {gib:.2f} | {result['seconds']:.0f} | {goal} |"
            )
            print(lines[-1], f"(wall {wall:.0f} s)")
    body = (
        "`.venv/bin/python benchmarks/memory.py`: each run in a fresh "
        "interpreter, the `keras-recipes demo` recipe for the task (bundled "
        "data, build, fit, evaluate, export .keras + SavedModel + ONNX) with "
        "the settings shown; peak RSS = `ru_maxrss` of the child.\n\n"
        + "\n".join(lines)
    )
    report("Peak memory of the demos", body, args)


if __name__ == "__main__":
    main()
