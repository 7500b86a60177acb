"""The README's recipes (pairs, local metrics, "Scaling up") run as written (each as its own
script)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _scaling_recipes():
    text = README.read_text()
    section = text.split("## Scaling up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_scaling_section_has_three_recipes():
    assert len(_scaling_recipes()) == 3


@pytest.mark.slow
@pytest.mark.parametrize("index", range(3), ids=["ann", "dask-grid-search", "dask-blocks"])
def test_scaling_recipe_runs(index, tmp_path):
    pytest.importorskip("faiss")
    pytest.importorskip("distributed")
    script = tmp_path / f"recipe_{index}.py"
    script.write_text(_scaling_recipes()[index])
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip()


def test_tuples_recipe_runs(tmp_path):
    text = README.read_text()
    section = text.split("## Learning from pairs, triplets and quadruplets", 1)[1]
    (recipe,) = re.findall(r"```python\n(.*?)```", section.split("\n## ", 1)[0], flags=re.S)
    script = tmp_path / "tuples_recipe.py"
    script.write_text(recipe)
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("ROC AUC [")


def test_beyond_one_metric_recipe_runs(tmp_path):
    text = README.read_text()
    section = text.split("## Beyond one global metric", 1)[1].split("\n## ", 1)[0]
    (recipe,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    script = tmp_path / "local_recipe.py"
    script.write_text(recipe)
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("test R^2 ")
