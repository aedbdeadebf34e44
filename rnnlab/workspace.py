"""The learner's own copies of the lessons: made once, never overwritten.

``notebooks/`` holds the course as built from ``lessons_src/`` (it changes when the course is
updated). A learner works in ``my-notebooks/`` (or ``$RNNLAB_WORKDIR``), which no command ever
overwrites:

    python -m rnnlab.workspace prepare   # make lab runs this: copy the lessons you don't have yet
    python -m rnnlab.workspace status    # which lessons have a newer version in the course
    python -m rnnlab.workspace update    # take the newer versions; yours move to previous/

``prepare`` copies only lessons that are missing from the work folder, so a lesson you have
opened, edited or saved is never touched. The hash of each course notebook it copied is kept in
``.course-versions.json`` in the work folder; when the course's notebook later differs, the
lesson has a new version. ``update`` then moves your copy to ``previous/<name>-<time>.ipynb``
(nothing is deleted) and copies the new one in, unless your copy is byte-for-byte the one that
was handed out (never saved), which it simply replaces. To start a lesson afresh, delete (or
rename) your copy and run ``prepare`` again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "notebooks"
MANIFEST = ".course-versions.json"
PREVIOUS = "previous"


def work_folder() -> Path:
    env = os.environ.get("RNNLAB_WORKDIR", "").strip()
    return Path(env).expanduser().resolve() if env else ROOT / "my-notebooks"


def _hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Workspace:
    course: Path = COURSE
    work: Path | None = None

    def __post_init__(self):
        self.work = Path(self.work) if self.work is not None else work_folder()

    def lessons(self) -> list[Path]:
        return sorted(self.course.glob("*.ipynb"))

    def _manifest(self) -> dict[str, str]:
        try:
            data = json.loads((self.work / MANIFEST).read_text(encoding="utf-8"))
            return {k: v for k, v in data.items() if isinstance(v, str)}
        except (OSError, ValueError, AttributeError):
            return {}

    def _save_manifest(self, data: dict[str, str]) -> None:
        tmp = self.work / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, self.work / MANIFEST)

    def _copy_in(self, src: Path, manifest: dict[str, str]) -> None:
        dest = self.work / src.name
        tmp = dest.with_name(dest.name + ".partial")
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
        manifest[src.name] = _hash(src)

    def prepare(self) -> list[str]:
        """Copy every course lesson missing from the work folder; never touch one that is there.
        Returns the names copied."""
        self.work.mkdir(parents=True, exist_ok=True)
        manifest = self._manifest()
        copied = []
        for src in self.lessons():
            if not (self.work / src.name).exists():
                self._copy_in(src, manifest)
                copied.append(src.name)
            elif src.name not in manifest:
                # A copy made before the manifest existed: treat it as the learner's, of an
                # unknown version, so that `update` offers the current one.
                manifest[src.name] = ""
        self._save_manifest(manifest)
        return copied

    def newer(self) -> list[str]:
        """Lessons whose course notebook differs from the version the learner's copy came from."""
        manifest = self._manifest()
        return [src.name for src in self.lessons()
                if (self.work / src.name).exists() and manifest.get(src.name) != _hash(src)]

    def update(self, names: list[str] | None = None) -> list[tuple[str, Path | None]]:
        """Bring in the newer versions (all, or ``names``). The learner's copy moves to
        ``previous/`` unless it is exactly the copy handed out. Returns (name, where the old copy
        went, or None)."""
        manifest = self._manifest()
        done = []
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        for name in self.newer():
            if names and not any(name.startswith(n) for n in names):
                continue
            mine = self.work / name
            kept = None
            if manifest.get(name) != _hash(mine):
                (self.work / PREVIOUS).mkdir(exist_ok=True)
                kept = self.work / PREVIOUS / f"{mine.stem}-{stamp}.ipynb"
                n = 1
                while kept.exists():
                    n += 1
                    kept = self.work / PREVIOUS / f"{mine.stem}-{stamp}-{n}.ipynb"
                os.replace(mine, kept)
            self._copy_in(self.course / name, manifest)
            self._save_manifest(manifest)
            done.append((name, kept))
        return done


def main(argv: list[str]) -> int:
    what = argv[0] if argv else "prepare"
    ws = Workspace()
    rel = os.path.relpath(ws.work)
    if what == "prepare":
        copied = ws.prepare()
        if copied:
            print(f"Copied {len(copied)} lesson(s) into {rel}/: {', '.join(copied)}")
        print(f"Your notebooks are in {rel}/; no command overwrites them.")
        newer = ws.newer()
        if newer:
            print(f"A newer version of {', '.join(newer)} is in the course. Your copies are "
                  f"untouched; `make update` brings the new version in and keeps yours in "
                  f"{rel}/{PREVIOUS}/.")
        return 0
    if what == "status":
        newer = ws.newer()
        print("Newer in the course: " + (", ".join(newer) if newer else "nothing") + ".")
        return 0
    if what == "update":
        done = ws.update(argv[1:])
        for name, kept in done:
            where = f"yours is kept as {os.path.relpath(kept)}" if kept else "yours was unchanged"
            print(f"Updated {name}: {where}.")
        if not done:
            print("Every lesson is up to date.")
        ws.prepare()
        return 0
    print("usage: python -m rnnlab.workspace [prepare|status|update [PREFIX ...]]",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
