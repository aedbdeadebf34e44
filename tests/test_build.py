"""Notebooks are built from the lesson sources: clean, stable, and with solutions handled."""

import json
import os
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient

from rnnlab import build

SOURCES = build.lesson_sources()


def test_every_source_has_a_notebook_and_back():
    assert SOURCES, "no lesson sources"
    built = {p.stem for p in build.NOTEBOOKS.glob("*.ipynb")}
    assert built == {s.stem for s in SOURCES}


def test_committed_notebooks_match_their_sources():
    stale = build.stale_notebooks()
    assert not stale, f"{', '.join(stale)} differ from lessons_src: run make notebooks"


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_notebook_is_clean(src):
    nb = json.loads(build.target_for(src).read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "rnnlab"
    assert "jupytext" not in nb["metadata"]
    ids = [c["id"] for c in nb["cells"]]
    assert len(ids) == len(set(ids)) and all(ids)
    for cell in nb["cells"]:
        assert "jupytext" not in cell["metadata"]
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
            if build.BEGIN in "".join(cell["source"]):
                assert "solution" in cell["metadata"]["tags"]
                assert cell["metadata"]["jupyter"]["source_hidden"] is True


def test_cell_ids_survive_an_edit(tmp_path):
    src = tmp_path / "99_demo.py"
    src.write_text("# %% [markdown]\n# # Demo\n\n# %%\nx = 1\n\n# %%\ny = 2\n")
    first = build.build_notebook(src)
    src.write_text("# %% [markdown]\n# # Demo\n\n# %%\nx = 10\n\n# %%\ny = 2\n\n# %%\nz = 3\n")
    second = build.build_notebook(src, previous=first)
    assert [c.id for c in second.cells[:3]] == [c.id for c in first.cells]
    assert second.cells[1].source == "x = 10"
    # and an unchanged source rebuilds to the same text
    again = build.build_notebook(src, previous=second)
    assert build.notebook_text(again) == build.notebook_text(second)


def test_stale_notebook_is_reported(tmp_path, monkeypatch):
    (tmp_path / "src").mkdir()
    (tmp_path / "nb").mkdir()
    src = tmp_path / "src" / "01_demo.py"
    src.write_text("# %%\nx = 1\n")
    monkeypatch.setattr(build, "SOURCES", tmp_path / "src")
    monkeypatch.setattr(build, "NOTEBOOKS", tmp_path / "nb")
    monkeypatch.setattr(build, "ROOT", tmp_path)
    assert build.stale_notebooks() == ["nb/01_demo.ipynb"]
    build.build_all()
    assert build.stale_notebooks() == []
    src.write_text("# %%\nx = 2\n")
    assert build.stale_notebooks() == ["nb/01_demo.ipynb"]
    assert build.build_all(["02"]) == []          # only lessons starting with 02
    assert build.build_all(["01"]) == [tmp_path / "nb" / "01_demo.ipynb"]
    assert build.stale_notebooks() == []


def test_strip_solutions_keeps_indentation():
    code = ("def f(x):\n    ### BEGIN SOLUTION\n    y = x + 1\n    return y\n"
            "    ### END SOLUTION\n\nprint(1)\n")
    assert build.strip_solutions(code) == "def f(x):\n    raise NotImplementedError()\n\nprint(1)\n"


def test_make_student_writes_copies_without_solutions(tmp_path):
    out = build.build_student(tmp_path)
    assert len(out) == len(SOURCES)
    for path in out:
        text = path.read_text()
        assert build.BEGIN not in text and build.END not in text
    lesson01 = nbformat.read(tmp_path / "01_feedforward.ipynb", as_version=4)
    stubs = [c for c in lesson01.cells if "raise NotImplementedError()" in c.source]
    assert len(stubs) >= 1
    assert all("source_hidden" not in c.metadata.get("jupyter", {}) for c in stubs)


def test_student_copy_runs_and_checker_says_not_implemented(tmp_path):
    """A student copy of lesson 01 executes top to bottom; its checks report, not crash."""
    build.build_student(tmp_path)
    nb = nbformat.read(tmp_path / "01_feedforward.ipynb", as_version=4)
    env_strict = os.environ.get("RNNLAB_STRICT")
    client = NotebookClient(nb, kernel_name="rnnlab", timeout=300,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError if any cell fails
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                      for o in c.outputs if o.get("output_type") == "stream")
    assert "✘ l01.dense_forward: not implemented yet" in printed
    assert "✘ l01.bag_of_symbols: not implemented yet" in printed
    assert env_strict == "1"


def test_build_command_line_check(tmp_path):
    result = subprocess.run([sys.executable, "-m", "rnnlab.build", "check"],
                            capture_output=True, text=True, cwd=build.ROOT)
    assert result.returncode == 0, result.stdout
