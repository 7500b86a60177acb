"""The README's snippets run as written, each as its own script, and print what it shows."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _usage_blocks():
    """The Usage section's (code, shown output) pairs, in order."""
    section = README.read_text().split("## Usage", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(python|)\n(.*?)```", section, flags=re.S)
    pairs, code = [], None
    for kind, text in blocks:
        if kind == "python":
            if code is not None:
                pairs.append((code, None))
            code = text
        else:
            pairs.append((code, text))
            code = None
    if code is not None:
        pairs.append((code, None))
    return pairs


def _run(code, tmp_path):
    script = tmp_path / "snippet.py"
    script.write_text(code)
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_the_usage_section_has_three_snippets():
    assert len(_usage_blocks()) == 3


def test_the_readme_keeps_two_setup_commands():
    quick_start = README.read_text().split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)```", quick_start, flags=re.S)
    assert [c.count("\n") for c in commands] == [1, 1]
    assert "python -m sklearn_metric compare" in commands[0]
    assert 'pip install ".[test]"' in commands[1] and "python -m pytest" in commands[1]


@pytest.mark.parametrize("index", [0, 1], ids=["labels", "pairs"])
def test_snippet_prints_what_the_readme_shows(index, tmp_path):
    code, shown = _usage_blocks()[index]
    done = _run(code, tmp_path)
    # the same lines and figures (seeded; rounding may differ across BLAS builds)
    number = r"\d+\.\d+"
    assert re.sub(number, "#", done.stdout.strip()) == re.sub(number, "#", shown.strip())
    got = [float(v) for v in re.findall(number, done.stdout)]
    want = [float(v) for v in re.findall(number, shown)]
    assert got == pytest.approx(want, abs=0.006)
    # no warning at default settings
    assert "Warning" not in done.stderr


@pytest.mark.slow
def test_scale_snippet_runs(tmp_path):
    pytest.importorskip("faiss")
    code, _ = _usage_blocks()[2]
    done = _run(code, tmp_path)
    accuracy = float(done.stdout.split()[-1])
    assert accuracy > 0.8
