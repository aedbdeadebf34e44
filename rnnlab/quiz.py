"""Quiz cells: questions stored per lesson in ``rnnlab/quizzes/<lesson>.toml``, shown by id.

A lesson does::

    from rnnlab.quiz import Quiz
    quiz = Quiz("l01")
    quiz.show("order-bag")      # a widget with a Check button in JupyterLab
    quiz.answer("order-bag", "b")   # the same check from code; returns the feedback line
    quiz.score()                 # what has been answered so far (saved across sessions)

Answers are kept in the file, not in the cell the learner reads. Where no widget front end is
present (nbval, a terminal, a static HTML page) the question prints as text, options included,
answer withheld.

Question types (``type = ...`` in the TOML):

* ``single``: options, exactly one ``correct = true``;
* ``multiple``: options, one or more ``correct = true``; the answer is a set of option letters;
* ``numeric``: ``answer`` and ``tolerance`` (absolute), ``hint`` for a wrong value;
* ``text``: ``accept``, a list of accepted answers (case and spacing ignored), ``hint``.

Every option has ``feedback``; every question has ``explanation``.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources

import ipywidgets as widgets
from IPython.display import display

from rnnlab import progress

QUESTION_TYPES = ("single", "multiple", "numeric", "text")
LETTERS = "abcdefghijklmnopqrstuvwxyz"


class QuizError(ValueError):
    """A quiz file that breaks the format (raised by ``load``; learners never see it)."""


@dataclass
class Option:
    text: str
    correct: bool
    feedback: str


@dataclass
class Question:
    id: str
    type: str
    prompt: str
    explanation: str
    options: list[Option] = field(default_factory=list)
    answer: float | None = None
    tolerance: float = 0.0
    accept: list[str] = field(default_factory=list)
    hint: str = ""

    def as_text(self) -> str:
        """The question as plain text, without its answer."""
        lines = [f"[{self.id}] {self.prompt}"]
        for letter, opt in zip(LETTERS, self.options, strict=False):
            lines.append(f"  ({letter}) {opt.text}")
        how = {
            "single": 'one letter, e.g. quiz.answer("{id}", "a")',
            "multiple": 'all letters that apply, e.g. quiz.answer("{id}", "ac")',
            "numeric": 'a number, e.g. quiz.answer("{id}", 0.5)',
            "text": 'a short text, e.g. quiz.answer("{id}", "...")',
        }[self.type].format(id=self.id)
        lines.append(f"  Answer with {how}")
        return "\n".join(lines)


def _need(entry: dict, key: str, kind: type, where: str):
    if key not in entry:
        raise QuizError(f"{where}: missing '{key}'")
    value = entry[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind):
        raise QuizError(f"{where}: '{key}' must be {kind.__name__}, got {type(value).__name__}")
    if isinstance(value, str) and not value.strip():
        raise QuizError(f"{where}: '{key}' is empty")
    return value


def parse_question(entry: dict, where: str) -> Question:
    """Validate one ``[[question]]`` table; raise ``QuizError`` saying what is wrong."""
    qid = _need(entry, "id", str, where)
    where = f"{where} '{qid}'"
    qtype = _need(entry, "type", str, where)
    if qtype not in QUESTION_TYPES:
        raise QuizError(f"{where}: type must be one of {QUESTION_TYPES}, got {qtype!r}")
    q = Question(
        id=qid,
        type=qtype,
        prompt=_need(entry, "prompt", str, where),
        explanation=_need(entry, "explanation", str, where),
    )
    if qtype in ("single", "multiple"):
        raw = entry.get("option", [])
        if len(raw) < 2:
            raise QuizError(f"{where}: needs at least 2 options, has {len(raw)}")
        for i, o in enumerate(raw):
            w = f"{where} option {i + 1}"
            q.options.append(
                Option(_need(o, "text", str, w), bool(o.get("correct", False)),
                       _need(o, "feedback", str, w))
            )
        n_correct = sum(o.correct for o in q.options)
        if qtype == "single" and n_correct != 1:
            raise QuizError(f"{where}: a single-choice question needs exactly 1 correct option, "
                            f"has {n_correct}")
        if qtype == "multiple" and n_correct < 1:
            raise QuizError(f"{where}: a multiple-choice question needs at least 1 correct option")
    elif qtype == "numeric":
        q.answer = _need(entry, "answer", float, where)
        q.tolerance = _need(entry, "tolerance", float, where)
        if not (math.isfinite(q.answer) and q.tolerance >= 0):
            raise QuizError(f"{where}: answer must be finite and tolerance >= 0")
        q.hint = _need(entry, "hint", str, where)
    else:
        q.accept = entry.get("accept", [])
        if not q.accept or not all(isinstance(a, str) and a.strip() for a in q.accept):
            raise QuizError(f"{where}: 'accept' must be a non-empty list of strings")
        q.hint = _need(entry, "hint", str, where)
    if "option" in entry and qtype not in ("single", "multiple"):
        raise QuizError(f"{where}: a {qtype} question takes no options")
    return q


def load(lesson: str) -> dict[str, Question]:
    """Read and validate ``rnnlab/quizzes/<lesson>.toml``: {question id: Question}."""
    path = resources.files("rnnlab") / "quizzes" / f"{lesson}.toml"
    if not path.is_file():
        raise QuizError(f"no quiz file for lesson {lesson!r} (looked for quizzes/{lesson}.toml)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise QuizError(f"quizzes/{lesson}.toml is not valid TOML: {err}") from None
    questions: dict[str, Question] = {}
    for i, entry in enumerate(data.get("question", [])):
        q = parse_question(entry, f"quizzes/{lesson}.toml question {i + 1}")
        if q.id in questions:
            raise QuizError(f"quizzes/{lesson}.toml: duplicate question id {q.id!r}")
        questions[q.id] = q
    if not questions:
        raise QuizError(f"quizzes/{lesson}.toml has no [[question]] entries")
    return questions


def _norm_text(s: str) -> str:
    return re.sub(r"\s+", " ", s.strip().lower())


def _one_letter(response, n_options: int) -> str | None:
    """The option letter in ``"b"``, ``" B "`` or ``"(b)"``; None for anything else ("", "bc")."""
    if not isinstance(response, str):
        return None
    m = re.fullmatch(r"\s*\(?\s*([a-z])\s*\)?\s*", response.lower())
    return m.group(1) if m and m.group(1) in LETTERS[:n_options] else None


_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:([,_ \u202f])\d{3})(?:\1\d{3})*(?:\.\d*)?")


def _parse_number(text: str) -> float | None:
    """A number typed as text: ``0.5``, ``1e-3``, and thousands written ``19,200``, ``19 200`` or
    ``19_200``. None when it is not a number."""
    t = text.strip()
    if _THOUSANDS.fullmatch(t):
        t = re.sub(r"[,_ \u202f]", "", t)
    try:
        return float(t)
    except ValueError:
        return None


def grade(q: Question, response) -> tuple[bool | None, str]:
    """Grade one response. Returns (correct, message); correct is None when the response is not
    of the expected form, and the message then says what was expected."""
    if q.type == "single":
        letter = _one_letter(response, len(q.options))
        if letter is None:
            valid = ", ".join(LETTERS[: len(q.options)])
            return None, f"Expected one option letter ({valid}), got {response!r}."
        opt = q.options[LETTERS.index(letter)]
        if opt.correct:
            return True, f"Correct. {opt.feedback} {q.explanation}"
        return False, f"Not quite. {opt.feedback}"
    if q.type == "multiple":
        valid = LETTERS[: len(q.options)]
        if isinstance(response, str):
            chosen = set(re.sub(r"[\s,]", "", response.lower()))
        elif isinstance(response, (set, list, tuple)) and all(isinstance(c, str) for c in response):
            chosen = {c.strip().lower() for c in response}
        else:
            chosen = None
        if not chosen or not chosen <= set(valid):
            return None, (f"Expected the letters of every option that applies (from {valid}), "
                          f"got {response!r}.")
        right = {LETTERS[i] for i, o in enumerate(q.options) if o.correct}
        if chosen == right:
            return True, f"Correct. {q.explanation}"
        # Feedback on the first option the learner got wrong, in option order.
        for letter, opt in zip(valid, q.options, strict=True):
            if (letter in chosen) != opt.correct:
                missed = "You left out" if opt.correct else "You chose"
                return False, f"Not quite. {missed} ({letter}): {opt.feedback}"
        return False, "Not quite."
    if q.type == "numeric":
        value = response
        if isinstance(value, str):
            value = _parse_number(value)
            if value is None:
                return None, f"Expected a number for question {q.id!r}, got the text {response!r}."
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            try:  # a 0-d tensor or numpy scalar
                value = float(value)
            except (TypeError, ValueError):
                return None, (f"Expected a number for question {q.id!r}, got "
                              f"{type(response).__name__}.")
        if not math.isfinite(value):
            return None, f"Expected a finite number for question {q.id!r}, got {value}."
        if abs(value - q.answer) <= q.tolerance:
            return True, f"Correct. {q.explanation}"
        return False, f"Not quite. {q.hint}"
    # text
    if not isinstance(response, str) or not response.strip():
        return None, f"Expected a short text answer for question {q.id!r}, got {response!r}."
    if _norm_text(response) in {_norm_text(a) for a in q.accept}:
        return True, f"Correct. {q.explanation}"
    return False, f"Not quite. {q.hint}"


class QuizPanel(widgets.VBox):
    """The widget for one question. Its text/plain form (what nbval, a terminal or a static page
    shows) is the question with its options and no answer."""

    def __init__(self, quiz: Quiz, q: Question):
        self._quiz, self._q = quiz, q
        prompt = widgets.HTML(f"<b>Question.</b> {q.prompt}")
        if q.type == "single":
            labels = [f"({LETTERS[i]}) {o.text}" for i, o in enumerate(q.options)]
            self.input = widgets.RadioButtons(options=labels, value=None,
                                              layout=widgets.Layout(width="auto"))
        elif q.type == "multiple":
            self.input = widgets.VBox([
                widgets.Checkbox(description=f"({LETTERS[i]}) {o.text}", indent=False,
                                 layout=widgets.Layout(width="auto"))
                for i, o in enumerate(q.options)
            ])
        else:
            self.input = widgets.Text(placeholder="a number" if q.type == "numeric" else "answer")
        self.button = widgets.Button(description="Check", button_style="primary")
        self.feedback = widgets.HTML("")
        self.button.on_click(self._on_check)
        super().__init__([prompt, self.input, self.button, self.feedback])
        self.add_class("rnnlab-quiz")

    def response(self):
        if self._q.type == "single":
            return None if self.input.value is None else LETTERS[self.input.index]
        if self._q.type == "multiple":
            return {LETTERS[i] for i, box in enumerate(self.input.children) if box.value}
        return self.input.value

    def _on_check(self, _button=None):
        response = self.response()
        if response is None or response == set() or (isinstance(response, str)
                                                      and not response.strip()):
            correct, message = None, {
                "single": "Choose an option, then press Check.",
                "multiple": "Tick every option that applies, then press Check.",
                "numeric": "Type a number, then press Check.",
                "text": "Type your answer, then press Check.",
            }[self._q.type]
        else:
            correct, message = self._quiz.answer(self._q.id, response, quiet=True)
        colour = {True: "#1a7f37", False: "#b35900", None: "#555"}[correct]
        mark = {True: "✔", False: "✘", None: "?"}[correct]
        cls = {True: "correct", False: "wrong", None: "invalid"}[correct]
        self.feedback.value = (f'<div class="rnnlab-feedback rnnlab-{cls}" '
                               f'style="color:{colour}">{mark} {_html(message)}</div>')

    def __repr__(self):
        return self._q.as_text()

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = self._q.as_text()
        return bundle


def _html(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Quiz:
    """The questions of one lesson. Bad ids and bad answers print one line, never a traceback.
    Answers are saved (``rnnlab.progress``), so ``score()`` still knows them after a restart."""

    def __init__(self, lesson: str):
        self.lesson = lesson
        try:
            self.questions = load(lesson) if isinstance(lesson, str) else None
        except QuizError as err:
            self.questions = None
            print(f"✘ {err}")
        if self.questions is None:
            if not isinstance(lesson, str):
                print(f"✘ Quiz() takes a lesson name such as 'l01', got {lesson!r}.")
            self.questions = {}

    def _get(self, qid) -> Question | None:
        q = self.questions.get(qid) if isinstance(qid, str) else None
        if q is None:
            known = ", ".join(self.questions) or "none"
            print(f"No question {qid!r} in lesson {self.lesson}; known ids: {known}.")
        return q

    def show(self, qid: str):
        """Display one question (a widget in JupyterLab, text elsewhere)."""
        q = self._get(qid)
        if q is not None:
            display(QuizPanel(self, q))

    def panel(self, qid: str) -> QuizPanel | None:
        """The widget for one question, without displaying it (for tests and custom layouts)."""
        q = self._get(qid)
        return None if q is None else QuizPanel(self, q)

    def answer(self, qid: str, response, quiet: bool = False) -> Answer:
        """Check an answer from code. Prints one line (unless quiet) and returns
        ``(correct, message)``, which a notebook does not print a second time; correct is None
        when the id or the form of the answer was wrong."""
        q = self._get(qid)
        if q is None:
            return Answer((None, f"No question {qid!r} in lesson {self.lesson}."))
        correct, message = grade(q, response)
        if correct is not None:
            progress.record_quiz(self.lesson, q.id, correct)
        if not quiet:
            print(("✔ " if correct else "✘ " if correct is False else "? ") + message)
        return Answer((correct, message))

    def score(self) -> ScoreLine:
        """Print one line: how many of this lesson's questions are answered, and answered right,
        over every session (progress is saved). Returns the line (a str that does not display
        itself again as the cell's output)."""
        saved = progress.quiz_answers(self.lesson)
        mine = {qid: ok for qid, ok in saved.items() if qid in self.questions}
        right = sum(mine.values())
        line = (f"Lesson {self.lesson} score: {right} correct of {len(mine)} answered "
                f"({len(self.questions)} questions; saved across sessions).")
        todo = [qid for qid in self.questions if not mine.get(qid)]
        if todo:
            line += " Not yet right: " + ", ".join(todo) + "."
        print(line)
        return ScoreLine(line)


class Answer(tuple):
    """``(correct, message)`` from ``Quiz.answer``, which has printed the message already: as a
    cell's last expression it shows nothing more."""

    def _ipython_display_(self):
        pass


class ScoreLine(str):
    """The score line, already printed by ``Quiz.score``: showing it again as Out[] would repeat
    it."""

    def _ipython_display_(self):
        pass
