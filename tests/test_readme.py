"""README.md runs as written: every ```python block, in order, in one namespace.

The blocks run in a subprocess whose working directory is a temporary folder
(they write models, plots and a demo image folder there) holding a copy of
`templates/` (as a checkout's root does), with the TensorBoard root moved there
too. The one change made to the code: every `epochs=<n>` is
rewritten to `epochs=1` (and `max_trials=<n>` to `max_trials=1`), so the tour
runs in seconds; everything else is executed exactly as printed. Blocks that
are not Python to run (shell commands, output listings, side-by-side diffs) use
```bash / ```text fences.
"""

import os
import re
import shutil
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(REPO, "README.md")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def blocks(language=None):
    with open(README, encoding="utf-8") as file:
        text = file.read()
    return [
        (lang, body)
        for lang, body in FENCE.findall(text)
        if language is None or lang == language
    ]


def test_readme_opens_with_the_two_commands_and_ci_runs_the_second():
    first = blocks()[0][1].splitlines()
    commands = [line.split("#")[0].strip() for line in first[:2]]
    assert commands == ["python3 dev.py demo", "python3 dev.py test"]
    with open(os.path.join(REPO, ".ci", "run"), encoding="utf-8") as file:
        lines = [line.strip() for line in file if not line.startswith("#")]
    assert "python3 dev.py test" in lines


def test_every_python_block_runs_in_order(tmp_path):
    python = [body for lang, body in blocks("python")]
    assert len(python) >= 8, "the tour lost its examples"
    code = "\n\n".join(python)
    # Small settings: one epoch and one trial (see the module docstring).
    code = re.sub(r"\bepochs=\d+", "epochs=1", code)
    code = re.sub(r"\bmax_trials=\d+", "max_trials=1", code)
    script = tmp_path / "readme_blocks.py"
    shutil.copytree(os.path.join(REPO, "templates"), tmp_path / "templates")
    script.write_text(code, encoding="utf-8")
    env = dict(
        os.environ,
        KERAS_RECIPES_TB_DIR=str(tmp_path / "tb_logs"),
        PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    run = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    # The blocks did what they say.
    for name in (
        "digits.keras",
        "digits.onnx",
        "training_curves.png",
        "confusion_matrix.png",
        "lr.png",
    ):
        assert (tmp_path / name).exists(), name
    assert (tmp_path / "digits_saved_model" / "saved_model.pb").is_file()
    assert (tmp_path / "runs" / "tune").is_dir()
    assert (tmp_path / "runs" / "recipe_tune").is_dir()
    assert "accuracy" in run.stdout


def test_benchmarks_readme_lists_every_script_and_only_real_ones():
    # benchmarks/README.md is a user's index of what can be measured: a new
    # script missing from it, or a listed one that was removed, fails here.
    sys.path.insert(0, REPO)
    try:
        from dev import BENCHMARK_HELPERS as helpers  # what `dev.py bench` skips
    finally:
        sys.path.remove(REPO)
    folder = os.path.join(REPO, "benchmarks")
    scripts = {
        name
        for name in os.listdir(folder)
        if name.endswith(".py") and name not in helpers
    }
    with open(os.path.join(folder, "README.md"), encoding="utf-8") as file:
        text = file.read()
    listed = set(re.findall(r"^\| `(\w+\.py)` \|", text, re.M))
    assert listed == scripts
    for helper in helpers:
        assert f"`{helper}`" in text
