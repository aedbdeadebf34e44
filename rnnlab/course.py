"""How the lessons link to each other: a lesson's closing "Next" line points at the next
lesson's notebook when it exists, and says it is being written when it does not yet."""

from __future__ import annotations

import json
import re
from pathlib import Path

# Lessons announced on the start page but not necessarily written yet: number -> subject.
PLANNED = {
    7: "sequence tasks on real data",
    8: "seq2seq and attention",
    9: "Transformers vs RNNs, measured",
    10: "misconceptions and a cumulative self-test",
}


def _folders(folder: str | Path | None) -> list[Path]:
    if folder is not None:
        return [Path(folder)]
    # The folder the notebook runs in first (a learner's copy, e.g. student/), then the
    # course's own notebooks/.
    return [Path.cwd(), Path(__file__).resolve().parent.parent / "notebooks"]


def _title(notebook: Path) -> str | None:
    """The text after "NN · " in the notebook's first Markdown heading, or None."""
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return None
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            source = "".join(cell.get("source", []))
            match = re.search(r"^#\s+\d+\s*·\s*(.+)$", source, flags=re.MULTILINE)
            return match.group(1).strip() if match else None
    return None


def next_lesson(current: int, what: str, folder: str | Path | None = None) -> str:
    """A Markdown "Next:" line for the lesson after ``current``.

    ``what`` says what that lesson does ("trains these cells on real text"). If a notebook
    ``NN_*.ipynb`` for lesson ``current + 1`` is in the folder, the line links to it by its file
    name (relative, so it works wherever the folder is); otherwise it says the lesson is being
    written."""
    if isinstance(current, bool) or not isinstance(current, int) or current < 0:
        raise ValueError(f"expected a lesson number (a non-negative int), got {current!r}")
    if not isinstance(what, str) or not what.strip():
        raise ValueError("expected a non-empty description of the next lesson")
    n = current + 1
    for place in _folders(folder):
        found = sorted(place.glob(f"{n:02d}_*.ipynb"))
        if found:
            title = _title(found[0]) or PLANNED.get(n, found[0].stem)
            return f"**Next:** [lesson {n:02d}, {title}]({found[0].name}), {what.strip()}."
    subject = PLANNED.get(n)
    about = f" ({subject})" if subject else ""
    return (f"**Next:** lesson {n:02d}{about} {what.strip()}. It is being written; when it is "
            f"ready it will appear in this folder as `{n:02d}_*.ipynb`.")
