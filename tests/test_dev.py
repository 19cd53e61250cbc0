"""`dev.py`: `demo` installs the package alone, `test` adds the test extras."""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

import dev  # noqa: E402


def installs(monkeypatch, tmp_path, *commands):
    """The `pip install -e` targets that running `commands` in turn would use."""
    calls = []
    monkeypatch.setattr(dev, "PY", sys.executable)  # the venv "exists"
    monkeypatch.setattr(dev, "STAMP", str(tmp_path / "stamp"))
    monkeypatch.setattr(dev, "run", lambda *cmd, **kw: calls.append(cmd) or 0)
    targets = []
    for command in commands:
        calls.clear()
        dev.ensure_env(test_extras=command == "test")
        targets.append([c[-1] for c in calls if c[-2] == "-e"])
    return targets


def test_demo_installs_no_test_extras(monkeypatch, tmp_path):
    assert installs(monkeypatch, tmp_path, "demo", "demo") == [["."], []]


def test_test_after_demo_upgrades_the_same_venv(monkeypatch, tmp_path):
    targets = installs(monkeypatch, tmp_path, "demo", "test", "test", "demo")
    assert targets == [["."], [".[test]"], [], []]


def test_old_stamp_without_extras_marker_gets_the_extras(monkeypatch, tmp_path):
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as file:
        digest = dev.hashlib.sha256(file.read()).hexdigest()
    (tmp_path / "stamp").write_text(digest)  # written by the old dev.py
    assert installs(monkeypatch, tmp_path, "demo", "test") == [[], [".[test]"]]
