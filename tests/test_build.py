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
            text = "".join(cell["source"])
            assert build.BEGIN not in text and build.END not in text
            if "raise NotImplementedError()" in text:
                assert "exercise" in cell["metadata"]["tags"]
                assert "source_hidden" not in cell["metadata"].get("jupyter", {})
    assert not any("solution" in c["metadata"].get("tags", []) for c in nb["cells"])


def solution_lines(src) -> list[str]:
    """The lines of a lesson's worked solutions that appear nowhere else in the lesson."""
    text = src.read_text()
    outside = {ln.split("#")[0].strip()
               for ln in build.SOLUTION_BLOCK.sub("", text).splitlines()}
    lines = []
    for m in build.SOLUTION_BLOCK.finditer(text):
        lines += [ln.strip() for ln in m["body"].splitlines()
                  if len(ln.strip()) > 12 and ln.strip() not in outside]
    return lines


def test_learner_notebooks_hold_stubs_not_solutions():
    assert sum(len(solution_lines(src)) for src in SOURCES) > 20
    for src in SOURCES:
        text = build.target_for(src).read_text()
        for line in solution_lines(src):
            assert json.dumps(line)[1:-1] not in text, f"{src.stem} holds solution code: {line}"
    table = json.loads(build.SOLUTIONS_JSON.read_text())
    nb5 = build.target_for(build.SOURCES / "05_lstm.py").read_text()
    for name in [n for n in table if n.startswith("l05.")]:
        assert f'solution(\\"{name}\\")' in nb5, name


def test_every_exercise_has_a_stored_solution_and_a_checker():
    from rnnlab.check import find_exercise

    table = json.loads(build.SOLUTIONS_JSON.read_text())
    assert len(table) == sum(len(build.solutions_of(s)) for s in SOURCES) >= 13
    for name, code in table.items():
        assert not isinstance(find_exercise(name), str), name
        assert code.startswith("def ") and "NotImplementedError" not in code


def test_solution_shows_the_worked_code(capsys, monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell  # noqa: F401  (display needs it)

    from rnnlab.check import solution

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj.data))
    solution("l01.dense_forward")
    assert "torch.tanh(x @ W.T + b)" in shown[0] and "```python" in shown[0]
    solution("l01.nope")
    assert "no exercise 'nope' in lesson l01" in capsys.readouterr().out
    monkeypatch.setenv("RNNLAB_SOLUTIONS", "off")
    solution("l01.dense_forward")
    assert "switched off" in capsys.readouterr().out and len(shown) == 1


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
    monkeypatch.setattr(build, "SOLUTIONS_JSON", tmp_path / "solutions.json")
    monkeypatch.setattr(build, "ROOT", tmp_path)
    assert build.stale_notebooks() == ["nb/01_demo.ipynb", "solutions.json"]
    build.build_all()
    assert build.stale_notebooks() == []
    src.write_text("# %%\nx = 2\n")
    assert build.stale_notebooks() == ["nb/01_demo.ipynb"]
    assert build.build_all(["02"]) == []          # only lessons starting with 02
    assert build.build_all(["01"]) == [tmp_path / "nb" / "01_demo.ipynb"]
    assert json.loads((tmp_path / "solutions.json").read_text()) == {}
    assert build.stale_notebooks() == []


DEMO = ("# %%\nimport torch\n\n# %%\ndef f(x):\n    ### BEGIN SOLUTION\n    y = x + 1\n"
        "    return y\n    ### END SOLUTION\n\n\n# %%\ncheck(\"l07.f\", f)\n")


def test_versions_of_an_exercise(tmp_path):
    src = tmp_path / "07_demo.py"
    src.write_text(DEMO)
    learner, solved, student = (build.build_notebook(src, version=v).cells
                                for v in ("learner", "solutions", "student"))
    assert learner[1].source == ('def f(x):\n    # YOUR CODE HERE. Stuck? Run solution("l07.f") in '
                                 'a new cell.\n    raise NotImplementedError()')
    assert learner[1].metadata["tags"] == ["exercise"] and learner[2].source == 'check("l07.f", f)'
    assert student[1].source == "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    assert "    y = x + 1\n    return y" in solved[1].source
    assert solved[1].metadata["tags"] == ["solution"]
    assert solved[2].source.startswith('assert check("l07.f", f), ')
    assert build.solutions_of(src) == {"l07.f": "def f(x):\n    y = x + 1\n    return y\n"}


def test_a_solution_outside_a_function_is_refused(tmp_path):
    src = tmp_path / "07_demo.py"
    src.write_text("# %%\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n")
    with pytest.raises(build.BuildError, match="inside the function"):
        build.build_notebook(src)


def test_student_copies_come_from_the_sources_not_saved_notebooks(tmp_path, monkeypatch):
    """A lecturer's notebooks/ full of outputs and scratch cells never reaches students."""
    saved = tmp_path / "saved"
    saved.mkdir()
    for src in SOURCES:
        nb = nbformat.read(build.target_for(src), as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell("print('lecturer scratch: answer is 42')"))
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = [nbformat.v4.new_output("stream", text="lecturer output\n")]
        nbformat.write(nb, build.target_for(src, saved))
    monkeypatch.setattr(build, "NOTEBOOKS", saved)
    out = build.build_version("student", tmp_path / "student")
    assert len(out) == len(SOURCES)
    for src, path in zip(SOURCES, out, strict=True):
        text = path.read_text()
        assert "lecturer" not in text and build.BEGIN not in text
        nb = nbformat.reads(text, as_version=4)
        assert all(c.outputs == [] for c in nb.cells if c.cell_type == "code")
        for line in solution_lines(src):
            assert json.dumps(line)[1:-1] not in text, f"{path.name} holds solution code: {line}"
    lesson01 = nbformat.read(tmp_path / "student" / "01_feedforward.ipynb", as_version=4)
    stubs = [c for c in lesson01.cells if "raise NotImplementedError()" in c.source]
    assert len(stubs) == 2 and all("solution(" not in c.source for c in stubs)


def test_student_copy_runs_and_checker_says_not_implemented(tmp_path):
    """A student copy of lesson 01 executes top to bottom; its checks report, not crash."""
    build.build_version("student", tmp_path)
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


def test_every_stored_solution_passes_its_checker():
    import math

    import numpy as np
    import torch

    from rnnlab.check import find_exercise, run_check

    for name, code in json.loads(build.SOLUTIONS_JSON.read_text()).items():
        scope = {"torch": torch, "math": math, "np": np}   # what the lessons import
        exec(compile(code, f"<solution {name}>", "exec"), scope)
        fn = scope[name.split(".")[1]]
        result = run_check(find_exercise(name), fn)
        assert result.passed, result.message
