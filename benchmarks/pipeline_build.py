"""What a template's `fit` call spends on its input before Keras' loop starts.

Each `fit`/`evaluate` call of a template validates the raw data (`to_data`)
and builds a fresh `tf.data` pipeline (`make_dataset`); the first pass over
that pipeline also fills its cache. On small data these per-call costs are a
visible share of a short fit. This times, per template (the demo data of
`benchmarks/overhead.py`), the validation, the pipeline build, and the build
plus one full pass, in interleaved rounds.

Where a template maps `preprocess_batch` over the batches (text: string
vectorization; translation: source and target vectorization), tf.data traces
that function for every new pipeline. The translation template keeps one
trace per model (`Seq2SeqTransformer._batch_map`); the variant "traced per
call" maps the plain method, as before that change, side by side. It also
vectorizes before the pipeline's cache (`make_dataset(cache_mapped=True)`),
so later epochs read ids from the cache: the row "later pass" is one pass
over a pipeline whose cache is full (the pipeline's own work in each epoch
after the first), and "later pass, mapped each epoch" the same with the map
after the cache, as before that change.

    .venv/bin/python benchmarks/pipeline_build.py [--rounds 8] [--tasks ...]
"""

import time

from common import arg_parser
from common import report
from common import spread
from overhead import TASKS

NAMES = ("tabular", "image", "text", "translation")


def timed_ms(fn):
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1e3


def contenders(template, train):
    """`{name: fn}` of the per-call input work, and the old translation ways."""
    data = template.to_data(train)

    def build(model=template):
        return model.make_dataset(data, training=True, seed=0)

    def build_and_pass():
        for _ in build():
            pass

    def later_pass(ds):
        for _ in ds:  # fills the cache before any timed pass
            pass

        def run():
            for _ in ds:
                pass

        return run

    fns = {
        "validate (to_data)": lambda: template.to_data(train),
        "build (make_dataset)": build,
        "build + first pass": build_and_pass,
        "later pass": later_pass(build()),
    }
    if template._cache_batch_map:
        template._cache_batch_map = False  # the map after the cache
        fns["later pass, mapped each epoch"] = later_pass(build())
        del template._cache_batch_map  # back to the class's setting
    if template._needs_batch_map() and template._batch_map() != (
        template.preprocess_batch
    ):

        def per_call(fn):
            def run():
                template._batch_map = lambda: template.preprocess_batch
                try:
                    fn()
                finally:
                    del template._batch_map  # back to the class's method

            return run

        fns["build, traced per call"] = per_call(build)
        fns["build + first pass, traced per call"] = per_call(build_and_pass)
    return fns


def main():
    parser = arg_parser()
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--tasks", nargs="+", default=list(NAMES), choices=NAMES)
    args = parser.parse_args()
    lines = [
        "| template | data | measure | ms per call: median (min-max, n) |",
        "| --- | --- | --- | --- |",
    ]
    for name in args.tasks:
        setup = TASKS[name]()
        fns = contenders(setup["template"], setup["train"])
        for fn in fns.values():
            fn()  # warm-up: first traces, lazy imports
        times = {key: [] for key in fns}
        for _ in range(args.rounds):
            for key, fn in fns.items():
                times[key].append(timed_ms(fn))
        for key, values in times.items():
            lines.append(
                f"| {name} | {setup['describe'].split(' (')[0]} | {key} | "
                f"{spread(values)} |"
            )
            print(lines[-1], flush=True)
    body = (
        f"`.venv/bin/python benchmarks/pipeline_build.py --rounds {args.rounds} "
        f"--tasks {' '.join(args.tasks)}`: per-call input work of each "
        "template's `fit` before Keras' loop: validating the raw data, building "
        "the tf.data pipeline, and building it plus one full pass (which fills "
        "its cache); rounds interleaved, one warm-up call each excluded. "
        "'traced per call': the batch map traced for every new pipeline, as "
        "before the translation template kept its trace. 'later pass': one pass "
        "over a pipeline whose cache is full (its work in every later epoch); "
        "'mapped each epoch': with the batch map after the cache, as before the "
        "translation template vectorized before it.\n\n" + "\n".join(lines)
    )
    report("Per-call pipeline build", body, args)


if __name__ == "__main__":
    main()
