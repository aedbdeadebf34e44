"""A learner's progress, kept across kernel restarts: quiz answers and passed exercises.

Stored as JSON in ``progress.json`` in the learner's data folder: ``$RNNLAB_DATA_DIR`` when set,
else the platform's user data folder (``platformdirs.user_data_dir("rnnlab")``, e.g.
``~/.local/share/rnnlab`` on Linux), never inside the course's repository.

* Writes are atomic and serialised: a lock file around read-modify-write, then a temporary file
  renamed over the old one, so two kernels writing at once lose no answer and a reader never sees
  half a file.
* A corrupt or unreadable file is moved aside (``progress.json.corrupt-<time>``) with one line
  saying so, and progress starts afresh.
* Where the folder cannot be written (a read-only home), progress is kept in memory for the
  session, with a one-line note.

    from rnnlab import progress
    progress.show()            # a table: every lesson's quiz and exercises
    progress.reset("l04")      # forget lesson 04; progress.reset() forgets everything
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import platformdirs
from filelock import FileLock, Timeout

ROOT = Path(__file__).resolve().parent.parent
FILE_NAME = "progress.json"
VERSION = 1

# Progress kept here when the file cannot be written (set on the first failed write).
_memory: dict | None = None
_said: set[str] = set()


def _say_once(key: str, line: str) -> None:
    if key not in _said:
        _said.add(key)
        print(line)


def folder() -> Path:
    """The folder that holds the progress file."""
    env = os.environ.get("RNNLAB_DATA_DIR", "").strip()
    return Path(env).expanduser() if env else Path(platformdirs.user_data_dir("rnnlab"))


def path() -> Path:
    return folder() / FILE_NAME


def _empty() -> dict:
    return {"version": VERSION, "quiz": {}, "checks": {}}


def _valid(data) -> bool:
    return (isinstance(data, dict) and isinstance(data.get("quiz"), dict)
            and isinstance(data.get("checks"), dict)
            and all(isinstance(v, dict) for v in data["quiz"].values())
            and all(isinstance(v, dict) for v in data["checks"].values()))


def _set_aside(p: Path, why: str) -> None:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    aside = p.with_name(f"{p.name}.corrupt-{stamp}")
    try:
        p.replace(aside)
        kept = f"kept as {aside}"
    except OSError as err:
        kept = f"could not be moved aside ({err.strerror})"
    print(f"⚠ Your progress file {p} could not be read ({why}); it was {kept}. "
          "Progress starts afresh.")


def _read_file(p: Path) -> dict:
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        return _empty()
    except (OSError, UnicodeDecodeError) as err:
        _set_aside(p, getattr(err, "strerror", None) or type(err).__name__)
        return _empty()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        _set_aside(p, f"not valid JSON: {err.msg} at line {err.lineno}")
        return _empty()
    if not _valid(data):
        _set_aside(p, "not in the expected format")
        return _empty()
    return data


def load() -> dict:
    """All saved progress: ``{"quiz": {lesson: {qid: record}}, "checks": {name: record}}``."""
    if _memory is not None:
        return json.loads(json.dumps(_memory))
    return _read_file(path())


def _write_atomic(p: Path, data: dict) -> None:
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=".progress-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _update(change) -> None:
    """Apply ``change(data)`` to the saved progress, under the lock."""
    global _memory
    if _memory is None:
        p = path()
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            with FileLock(str(p) + ".lock", timeout=10):
                data = _read_file(p)
                change(data)
                _write_atomic(p, data)
            return
        except (OSError, Timeout) as err:
            why = getattr(err, "strerror", None) or str(err) or type(err).__name__
            _memory = _read_file(p) if p.is_file() and os.access(p, os.R_OK) else _empty()
            _say_once("memory", f"ℹ Progress cannot be saved in {p.parent} ({why}); it is kept "
                                "in memory for this session. Set RNNLAB_DATA_DIR to a folder you "
                                "can write to, to keep it.")
    change(_memory)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def record_quiz(lesson: str, qid: str, correct: bool) -> None:
    """Remember an answer: the latest counts, the number of tries is kept."""

    def change(data):
        rec = data["quiz"].setdefault(lesson, {}).setdefault(qid, {"tries": 0})
        rec["tries"] = int(rec.get("tries", 0)) + 1
        rec["correct"] = bool(correct)
        rec["when"] = _now()

    _update(change)


def record_check(name: str, passed: bool) -> None:
    """Remember a checked exercise: passed once stays passed; the latest result is kept too."""

    def change(data):
        rec = data["checks"].setdefault(name, {"tries": 0, "passed": False})
        rec["tries"] = int(rec.get("tries", 0)) + 1
        rec["passed"] = bool(rec.get("passed")) or bool(passed)
        rec["last"] = bool(passed)
        rec["when"] = _now()

    _update(change)


def quiz_answers(lesson: str) -> dict[str, bool]:
    """{question id: answered right the last time} for one lesson."""
    return {qid: bool(rec.get("correct")) for qid, rec in load()["quiz"].get(lesson, {}).items()}


def reset(lesson: str | None = None) -> None:
    """Forget one lesson's progress (``reset("l04")``) or everything (``reset()``)."""
    if lesson is not None and not isinstance(lesson, str):
        print(f"✘ reset() takes a lesson such as 'l04', or nothing for every lesson; "
              f"got {lesson!r}.")
        return

    def change(data):
        if lesson is None:
            data["quiz"].clear()
            data["checks"].clear()
        else:
            data["quiz"].pop(lesson, None)
            for name in [n for n in data["checks"] if n.split(".")[0] == lesson]:
                del data["checks"][name]

    _update(change)
    print("Progress reset" + (f" for lesson {lesson}." if lesson else " for every lesson."))


def _lessons() -> list[str]:
    from importlib import resources

    quizzes = {p.name[:-5] for p in (resources.files("rnnlab") / "quizzes").iterdir()
               if p.name.endswith(".toml")}
    exercises = {p.name[:-3] for p in (resources.files("rnnlab") / "exercises").iterdir()
                 if p.name.startswith("l") and p.name.endswith(".py")}
    built = ROOT / "notebooks"
    lessons = quizzes | exercises
    if built.is_dir():   # a lesson whose notebook is not written yet has no row
        lessons = {n for n in lessons if any(built.glob(f"{n[1:]}_*.ipynb"))}
    return sorted(lessons)


def rows() -> list[dict]:
    """One row a lesson: quiz questions right / total, exercises passed / total, last activity;
    then, once lesson 10 is there, a row for its cumulative self-test (``rnnlab.selftest``)."""
    import importlib

    from rnnlab.quiz import QuizError
    from rnnlab.quiz import load as load_quiz

    data = load()
    out = []
    for lesson in _lessons():
        try:
            questions = list(load_quiz(lesson))
        except QuizError:
            questions = []
        try:
            names = [f"{lesson}.{n}" for n in
                     importlib.import_module(f"rnnlab.exercises.{lesson}").EXERCISES]
        except ModuleNotFoundError:
            names = []
        answered = data["quiz"].get(lesson, {})
        right = sum(1 for q in questions if answered.get(q, {}).get("correct"))
        passed = sum(1 for n in names if data["checks"].get(n, {}).get("passed"))
        times = [r.get("when", "") for r in answered.values()]
        times += [data["checks"][n].get("when", "") for n in names if n in data["checks"]]
        out.append({"lesson": lesson, "quiz_right": right, "quiz_total": len(questions),
                    "exercises_passed": passed, "exercises_total": len(names),
                    "last": max(times, default="")[:10]})
    if any(r["lesson"] == "l10" for r in out) or data["quiz"].get("selftest"):
        from rnnlab.selftest import progress_row

        out.append(progress_row(data))
    return out


def table() -> str:
    """The progress table as Markdown."""
    lines = ["| lesson | quiz: right | exercises: passed | last activity |",
             "| --- | --- | --- | --- |"]
    for r in rows():
        if r["lesson"] == "selftest":   # lesson 10's cumulative self-test: no exercises
            lines.append(f"| self-test | {r['quiz_right']} of {r['quiz_total']} | – | "
                         f"{r['last'] or '–'} |")
            continue
        lines.append(f"| {r['lesson'][1:]} | {r['quiz_right']} of {r['quiz_total']} | "
                     f"{r['exercises_passed']} of {r['exercises_total']} | {r['last'] or '–'} |")
    return "\n".join(lines)


def show() -> None:
    """Display the progress table (Markdown in a notebook, text elsewhere)."""
    from IPython.display import Markdown, display

    where = "kept in memory only" if _memory is not None else f"saved in `{path()}`"
    display(Markdown(table() + f"\n\nYour progress is {where}."))

