"""The learner's copies: made once, never overwritten; a new course version comes in only on
request, with the learner's copy kept."""

import json
import subprocess
import sys

import nbformat

from rnnlab import workspace
from rnnlab.workspace import Workspace


def lesson(text: str) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(text), nbformat.v4.new_code_cell("x = 1")]
    return nbformat.writes(nb)


def learner_saves(path, marker: str) -> None:
    """What JupyterLab's save does to a notebook: outputs, counts, a cell of the learner's own."""
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="1\n")]
    nb.cells[1].execution_count = 1
    nb.cells.append(nbformat.v4.new_code_cell(f"# {marker}"))
    nbformat.write(nb, path)


def course(tmp_path, **lessons):
    folder = tmp_path / "course"
    folder.mkdir(exist_ok=True)
    for name, text in lessons.items():
        (folder / f"{name}.ipynb").write_text(lesson(text))
    return folder


def test_prepare_copies_missing_lessons_and_never_overwrites(tmp_path):
    ws = Workspace(course(tmp_path, **{"01_a": "A v1", "02_b": "B v1"}), tmp_path / "work")
    assert ws.prepare() == ["01_a.ipynb", "02_b.ipynb"]
    learner_saves(tmp_path / "work" / "01_a.ipynb", "my own work")
    saved = (tmp_path / "work" / "01_a.ipynb").read_bytes()
    (tmp_path / "work" / "02_b.ipynb").unlink()          # the learner starts 02 afresh
    assert ws.prepare() == ["02_b.ipynb"]
    assert (tmp_path / "work" / "01_a.ipynb").read_bytes() == saved
    assert ws.newer() == []


def test_a_new_version_waits_for_update_and_keeps_the_learners_copy(tmp_path):
    src = course(tmp_path, **{"01_a": "A v1", "02_b": "B v1", "03_c": "C v1"})
    work = tmp_path / "work"
    ws = Workspace(src, work)
    ws.prepare()
    learner_saves(work / "01_a.ipynb", "my own work")
    mine = (work / "01_a.ipynb").read_bytes()
    course(tmp_path, **{"01_a": "A v2", "02_b": "B v2", "04_d": "D v1"})   # the course updates
    assert ws.prepare() == ["04_d.ipynb"]                 # a new lesson arrives by itself
    assert (work / "01_a.ipynb").read_bytes() == mine     # an edited one does not change
    assert ws.newer() == ["01_a.ipynb", "02_b.ipynb"]
    done = dict(ws.update())
    assert "A v2" in (work / "01_a.ipynb").read_text()
    assert done["01_a.ipynb"].read_bytes() == mine        # the learner's copy, in previous/
    assert done["01_a.ipynb"].parent == work / "previous"
    assert done["02_b.ipynb"] is None                     # never saved: simply replaced
    assert "B v2" in (work / "02_b.ipynb").read_text()
    assert ws.newer() == [] and ws.update() == []
    assert json.loads((work / ".course-versions.json").read_text()).keys() == {
        "01_a.ipynb", "02_b.ipynb", "03_c.ipynb", "04_d.ipynb"}


def test_copies_from_before_the_manifest_count_as_the_learners(tmp_path):
    src = course(tmp_path, **{"01_a": "A v1"})
    work = tmp_path / "work"
    work.mkdir()
    (work / "01_a.ipynb").write_text(lesson("A, edited long ago"))
    ws = Workspace(src, work)
    assert ws.prepare() == []
    assert ws.newer() == ["01_a.ipynb"]
    (_, kept), = ws.update()
    assert "edited long ago" in kept.read_text()


def test_command_line_prepare_and_update(tmp_path):
    env_work = tmp_path / "work"
    run = [sys.executable, "-m", "rnnlab.workspace"]
    env = {"RNNLAB_WORKDIR": str(env_work), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(run + ["prepare"], env=env, capture_output=True, text=True, check=True)
    names = sorted(p.name for p in workspace.COURSE.glob("*.ipynb"))
    assert sorted(p.name for p in env_work.glob("*.ipynb")) == names
    assert "no command overwrites them" in out.stdout
    out = subprocess.run(run + ["update"], env=env, capture_output=True, text=True, check=True)
    assert "Every lesson is up to date." in out.stdout
    bad = subprocess.run(run + ["frobnicate"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "usage" in bad.stderr
