"""Build the course's notebooks from the lesson sources (``lessons_src/``, the single source).

    python -m rnnlab.build notebooks       # notebooks/ (what learners get) + rnnlab/solutions.json
    python -m rnnlab.build notebooks 02 03 # only the lessons whose names start so
    python -m rnnlab.build solutions [DIR] # DIR (default solutions/): worked solutions inline
    python -m rnnlab.build student [DIR]   # DIR (default student/): for a class, no solution hint
    python -m rnnlab.build check           # exit 1 if notebooks/ or solutions.json is stale

A lesson source marks each exercise's worked solution, inside the function the learner writes,
between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (nbgrader's convention). The exercise is
``lNN.<function name>``; it must exist in ``rnnlab/exercises/lNN.py``.

* ``notebooks/``: the learner's version. Each solution block becomes a stub (``raise
  NotImplementedError()``) under a line naming ``solution("lNN.name")``, which shows the worked
  solution on request from ``rnnlab/solutions.json``, written by the same build.
* ``solutions/``: the worked solutions inline, and each ``check(...)`` of an exercise turned into
  ``assert check(...)``, so running it (the tests do, under nbval) fails if a solution stops
  passing its checker. For lecturers and the tests.
* ``student/``: like ``notebooks/`` with a plain ``# YOUR CODE HERE`` stub, for a lecturer
  handing out copies (set ``RNNLAB_SOLUTIONS=off`` where solutions must stay hidden).

Every version is built from ``lessons_src/``, never from saved notebooks, so outputs and scratch
cells never travel. A built notebook has no outputs, no jupytext metadata, the course's
kernelspec, and keeps the cell ids of the notebook it replaces (as ``jupytext --update`` does), so
rebuilding an unchanged source changes nothing.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import jupytext
import nbformat
from jupytext.combine import combine_inputs_with_outputs

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "lessons_src"
NOTEBOOKS = ROOT / "notebooks"
STUDENT = ROOT / "student"
SOLUTIONS_DIR = ROOT / "solutions"
SOLUTIONS_JSON = ROOT / "rnnlab" / "solutions.json"
VERSIONS = ("learner", "solutions", "student")
KERNELSPEC = {"name": "rnnlab", "display_name": "Python (RNN Lab)", "language": "python"}
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
SOLUTION_BLOCK = re.compile(
    r"^(?P<indent>[ \t]*)### BEGIN SOLUTION[^\n]*\n(?P<body>.*?)^[ \t]*### END SOLUTION[^\n]*\n?",
    re.MULTILINE | re.DOTALL,
)
DEF = re.compile(r"^def (\w+)\(", re.MULTILINE)
CHECK_CALL = re.compile(r"""^check\((["'])(l\d\d\.\w+)\1,[^\n]*\)\s*$""")


class BuildError(ValueError):
    """A lesson source that breaks the exercise conventions."""


def exercise_name(src_stem: str, cell_source: str) -> str:
    """``lNN.<function>`` for the solution cell of lesson ``NN_...``."""
    names = DEF.findall(cell_source[: cell_source.index(BEGIN)])
    if not names:
        raise BuildError(f"{src_stem}: a solution block must sit inside the function the "
                         "learner writes (no `def` above it in its cell)")
    return f"l{src_stem[:2]}.{names[-1]}"


def stub(name: str, indent: str, version: str) -> str:
    hint = ("# YOUR CODE HERE" if version == "student" else
            f'# YOUR CODE HERE. Stuck? Run solution("{name}") in a new cell.')
    return f"{indent}{hint}\n{indent}raise NotImplementedError()\n"


def build_notebook(src: Path, previous: nbformat.NotebookNode | None = None,
                   version: str = "learner"):
    """The notebook for one lesson source, as a NotebookNode, in one of ``VERSIONS``."""
    if version not in VERSIONS:
        raise ValueError(f"version must be one of {VERSIONS}, got {version!r}")
    nb = jupytext.read(src, fmt="py:percent")
    for cell in nb.cells:
        if cell.cell_type == "code":
            _transform(cell, src.stem, version)
    if previous is not None:
        nb = combine_inputs_with_outputs(nb, previous)
    nb.metadata = nbformat.from_dict({
        "kernelspec": dict(KERNELSPEC),
        "language_info": {"name": "python"},
    })
    for cell in nb.cells:
        meta = {k: v for k, v in cell.metadata.items() if k in ("tags", "jupyter", "slideshow")}
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata = nbformat.from_dict(meta)
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def _transform(cell, stem: str, version: str) -> None:
    if BEGIN in cell.source:
        name = exercise_name(stem, cell.source)
        tags = list(cell.metadata.get("tags", []))
        tags.append("solution" if version == "solutions" else "exercise")
        cell.metadata["tags"] = tags
        if version != "solutions":
            cell.source = SOLUTION_BLOCK.sub(lambda m: stub(name, m["indent"], version),
                                             cell.source).rstrip("\n")
    elif version == "solutions" and CHECK_CALL.match(cell.source.strip()):
        cell.source = (f"assert {cell.source.strip()}, "
                       f'"the worked solution fails its checker"')


def solutions_of(src: Path) -> dict[str, str]:
    """{exercise name: the worked solution's cell, markers removed} for one lesson source."""
    out = {}
    for cell in jupytext.read(src, fmt="py:percent").cells:
        if cell.cell_type == "code" and BEGIN in cell.source:
            name = exercise_name(src.stem, cell.source)
            out[name] = SOLUTION_BLOCK.sub(lambda m: m["body"], cell.source).strip() + "\n"
    return out


def solutions_text() -> str:
    table = {}
    for src in lesson_sources():
        table.update(solutions_of(src))
    return json.dumps(table, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def notebook_text(nb) -> str:
    return nbformat.writes(nb) + "\n"


def target_for(src: Path, folder: Path | None = None) -> Path:
    return (NOTEBOOKS if folder is None else folder) / (src.stem + ".ipynb")


def lesson_sources() -> list[Path]:
    return sorted(SOURCES.glob("[0-9][0-9]_*.py"))


def expected_text(src: Path) -> str:
    """What notebooks/<src>.ipynb must contain, given the notebook committed there now."""
    target = target_for(src)
    previous = nbformat.read(target, as_version=4) if target.exists() else None
    return notebook_text(build_notebook(src, previous))


def build_all(prefixes: list[str] | None = None) -> list[Path]:
    """Rebuild the notebooks that differ from their sources (only those whose names start with
    one of ``prefixes``, when given) and the solutions file; returns the paths written."""
    NOTEBOOKS.mkdir(exist_ok=True)
    written = []
    for src in lesson_sources():
        if prefixes and not any(src.stem.startswith(p) for p in prefixes):
            continue
        target = target_for(src)
        text = expected_text(src)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            written.append(target)
    table = solutions_text()
    if not SOLUTIONS_JSON.exists() or SOLUTIONS_JSON.read_text(encoding="utf-8") != table:
        SOLUTIONS_JSON.write_text(table, encoding="utf-8")
        written.append(SOLUTIONS_JSON)
    stale = {p.stem for p in NOTEBOOKS.glob("*.ipynb")} - {s.stem for s in lesson_sources()}
    for stem in sorted(stale):
        print(f"note: notebooks/{stem}.ipynb has no source in lessons_src/", file=sys.stderr)
    return written


def stale_notebooks() -> list[str]:
    """Built files that are missing or differ from a fresh build of the sources."""
    bad = []
    for src in lesson_sources():
        target = target_for(src)
        if not target.exists() or target.read_text(encoding="utf-8") != expected_text(src):
            bad.append(target.relative_to(ROOT).as_posix())
    table = SOLUTIONS_JSON.read_text(encoding="utf-8") if SOLUTIONS_JSON.exists() else None
    if table != solutions_text():
        bad.append(SOLUTIONS_JSON.relative_to(ROOT).as_posix())
    return bad


def build_version(version: str, folder: Path) -> list[Path]:
    """Every lesson in ``version`` ("solutions" or "student"), written fresh into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for src in lesson_sources():
        out = target_for(src, folder)
        out.write_text(notebook_text(build_notebook(src, version=version)), encoding="utf-8")
        written.append(out)
    return written


def main(argv: list[str]) -> int:
    what = argv[0] if argv else "notebooks"
    try:
        if what == "notebooks":
            for p in build_all(argv[1:]):
                print(f"wrote {p.relative_to(ROOT)}")
            return 0
        if what in ("solutions", "student"):
            default = SOLUTIONS_DIR if what == "solutions" else STUDENT
            folder = Path(argv[1]).resolve() if len(argv) > 1 else default
            out = build_version(what, folder)
            print(f"wrote {len(out)} {what} notebooks to {folder}/")
            return 0
        if what == "check":
            bad = stale_notebooks()
            for b in bad:
                print(f"{b} differs from its source: run make notebooks")
            return 1 if bad else 0
    except BuildError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print("usage: python -m rnnlab.build [notebooks [PREFIX ...]|solutions [DIR]|student [DIR]|"
          "check]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
