"""Build notebooks from the lesson sources, and student copies from the notebooks.

    python -m rnnlab.build notebooks   # lessons_src/NN_name.py -> notebooks/NN_name.ipynb
    python -m rnnlab.build notebooks 02 03   # only the lessons whose names start so
    python -m rnnlab.build student     # notebooks/ -> student/, solutions replaced
    python -m rnnlab.build check       # exit 1 if a committed notebook differs from its source

A built notebook has no outputs, no jupytext pairing metadata, the course's kernelspec, and keeps
the cell ids of the notebook it replaces (as ``jupytext --update`` does), so rebuilding an
unchanged source changes nothing. Code cells that hold a ``### BEGIN SOLUTION`` block are tagged
``solution`` and collapsed in JupyterLab.
"""

from __future__ import annotations

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
KERNELSPEC = {"name": "rnnlab", "display_name": "Python (RNN Lab)", "language": "python"}
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
SOLUTION_BLOCK = re.compile(
    r"^(?P<indent>[ \t]*)### BEGIN SOLUTION[^\n]*\n.*?^[ \t]*### END SOLUTION[^\n]*$",
    re.MULTILINE | re.DOTALL,
)


def build_notebook(src: Path, previous: nbformat.NotebookNode | None = None):
    """The notebook for one lesson source, as a NotebookNode."""
    nb = jupytext.read(src, fmt="py:percent")
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
            if BEGIN in cell.source:
                tags = list(meta.get("tags", []))
                if "solution" not in tags:
                    tags.append("solution")
                meta["tags"] = tags
                meta["jupyter"] = {**meta.get("jupyter", {}), "source_hidden": True}
        cell.metadata = nbformat.from_dict(meta)
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


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
    one of ``prefixes``, when given); returns the paths written."""
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
    stale = {p.stem for p in NOTEBOOKS.glob("*.ipynb")} - {s.stem for s in lesson_sources()}
    for stem in sorted(stale):
        print(f"note: notebooks/{stem}.ipynb has no source in lessons_src/", file=sys.stderr)
    return written


def stale_notebooks() -> list[str]:
    """Lesson sources whose committed notebook is missing or differs from a fresh build."""
    bad = []
    for src in lesson_sources():
        target = target_for(src)
        if not target.exists() or target.read_text(encoding="utf-8") != expected_text(src):
            bad.append(target.relative_to(ROOT).as_posix())
    return bad


def strip_solutions(source: str) -> str:
    """Replace each BEGIN/END SOLUTION block with ``raise NotImplementedError()``."""
    return SOLUTION_BLOCK.sub(lambda m: f"{m['indent']}raise NotImplementedError()", source)


def student_copy(nb):
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if cell.cell_type == "code" and BEGIN in cell.source:
            cell.source = strip_solutions(cell.source)
            cell.metadata.get("jupyter", {}).pop("source_hidden", None)
            if not cell.metadata.get("jupyter", True):
                del cell.metadata["jupyter"]
    return nb


def build_student(folder: Path = STUDENT) -> list[Path]:
    folder.mkdir(exist_ok=True)
    written = []
    for nb_path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = student_copy(nbformat.read(nb_path, as_version=4))
        out = folder / nb_path.name
        out.write_text(notebook_text(nb), encoding="utf-8")
        written.append(out)
    return written


def main(argv: list[str]) -> int:
    what = argv[0] if argv else "notebooks"
    if what == "notebooks":
        for p in build_all(argv[1:]):
            print(f"wrote {p.relative_to(ROOT)}")
        return 0
    if what == "student":
        out = build_student()
        print(f"wrote {len(out)} student notebooks to {STUDENT.relative_to(ROOT)}/")
        return 0
    if what == "check":
        bad = stale_notebooks()
        for b in bad:
            print(f"{b} differs from its source: run make notebooks")
        return 1 if bad else 0
    print("usage: python -m rnnlab.build [notebooks [PREFIX ...]|student|check]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
