"""Quiz files are valid and used; grading and the widget behave; bad answers get one line."""

import re
import tomllib
from pathlib import Path

import pytest

from rnnlab import progress
from rnnlab import quiz as quizmod
from rnnlab.quiz import Quiz, QuizError, grade, load, parse_question

ROOT = Path(__file__).resolve().parent.parent
QUIZ_FILES = sorted((ROOT / "rnnlab" / "quizzes").glob("*.toml"))
SHOWN = re.compile(r"""quiz\.show\(\s*["']([^"']+)["']\s*\)""")


def lessons_using(lesson: str) -> list[Path]:
    return [p for p in (ROOT / "lessons_src").glob("*.py")
            if re.search(rf"""Quiz\(\s*["']{lesson}["']\s*\)""", p.read_text())]


def test_there_are_quiz_files():
    assert QUIZ_FILES, "no quiz files in rnnlab/quizzes"


@pytest.mark.parametrize("path", QUIZ_FILES, ids=lambda p: p.stem)
def test_quiz_file_is_valid_and_every_question_is_used(path):
    questions = load(path.stem)  # raises QuizError on any format problem
    raw = tomllib.loads(path.read_text())["question"]
    ids = [q["id"] for q in raw]
    assert len(ids) == len(set(ids)), f"duplicate ids in {path.name}"
    for q in questions.values():
        assert q.explanation.strip()
        if q.type == "single":
            assert sum(o.correct for o in q.options) == 1, q.id
        if q.type == "multiple":
            assert sum(o.correct for o in q.options) >= 1, q.id
        assert all(o.feedback.strip() for o in q.options), q.id
    if path.stem == "l10":   # lesson 10's bank is shown by its self-test (tests/test_selftest.py)
        from rnnlab.selftest import CROSS, pool

        assert CROSS == "l10" and set(questions) <= {k.split(".", 1)[1] for k in pool()}
        assert any("SelfTest(" in p.read_text() for p in (ROOT / "lessons_src").glob("10_*.py"))
        return
    users = lessons_using(path.stem)
    assert users, f"no lesson in lessons_src/ uses Quiz({path.stem!r})"
    shown = {qid for p in users for qid in SHOWN.findall(p.read_text())}
    unused = set(questions) - shown
    unknown = shown - set(questions)
    assert not unused, f"{path.name}: questions never shown by a lesson: {sorted(unused)}"
    assert not unknown, f"lessons show ids missing from {path.name}: {sorted(unknown)}"


def test_each_lesson_quiz_answers_right_and_wrong():
    """Every single/multiple/numeric/text question accepts its right answer and rejects a
    wrong one with that option's feedback."""
    for path in QUIZ_FILES:
        for q in load(path.stem).values():
            if q.type == "single":
                right = quizmod.LETTERS[[o.correct for o in q.options].index(True)]
                wrong_i = [o.correct for o in q.options].index(False)
                assert grade(q, right)[0] is True
                ok, msg = grade(q, quizmod.LETTERS[wrong_i])
                assert ok is False and q.options[wrong_i].feedback in msg
            elif q.type == "multiple":
                right = {quizmod.LETTERS[i] for i, o in enumerate(q.options) if o.correct}
                assert grade(q, "".join(sorted(right)))[0] is True
                all_letters = set(quizmod.LETTERS[: len(q.options)])
                if right != all_letters:
                    assert grade(q, "".join(sorted(all_letters)))[0] is False
            elif q.type == "numeric":
                assert grade(q, q.answer)[0] is True
                assert grade(q, str(q.answer))[0] is True
                assert grade(q, q.answer + 10 * q.tolerance + 1)[0] is False
            else:
                assert grade(q, "  " + q.accept[0].upper() + " ")[0] is True
                assert grade(q, "certainly not this")[0] is False


NUMERIC = {"id": "n", "type": "numeric", "prompt": "2+2?", "explanation": "Four.",
           "answer": 4, "tolerance": 0.01, "hint": "Count."}
SINGLE = {"id": "s", "type": "single", "prompt": "Pick", "explanation": "Because.",
          "option": [{"text": "x", "correct": True, "feedback": "fx"},
                     {"text": "y", "feedback": "fy"}]}


def test_string_to_numeric_question_gets_one_line():
    q = parse_question(NUMERIC, "t")
    ok, msg = grade(q, "four")
    assert ok is None
    assert msg == "Expected a number for question 'n', got the text 'four'."
    assert grade(q, "4.0")[0] is True and grade(q, 5)[0] is False
    assert grade(q, float("nan"))[0] is None
    assert grade(q, [4])[0] is None and "\n" not in grade(q, [4])[1]


def test_single_choice_rejects_bad_letter():
    q = parse_question(SINGLE, "t")
    assert grade(q, "z") == (None, "Expected one option letter (a, b), got 'z'.")
    assert grade(q, 1)[0] is None
    assert grade(q, "A")[0] is True


def test_unknown_question_id_prints_one_line(capsys):
    quiz = Quiz("l01")
    assert quiz.show("no-such-question") is None
    out = capsys.readouterr().out.strip()
    assert out.startswith("No question 'no-such-question' in lesson l01; known ids:")
    assert "\n" not in out
    correct, _msg = quiz.answer("no-such-question", "a")
    assert correct is None


def test_unknown_lesson_file_raises_quiz_error_in_load():
    with pytest.raises(QuizError, match="no quiz file"):
        load("l99")


@pytest.mark.parametrize("broken, message", [
    ({**SINGLE, "option": [{"text": "x", "correct": True, "feedback": "f"},
                           {"text": "y", "correct": True, "feedback": "f"}]}, "exactly 1 correct"),
    ({**SINGLE, "option": [{"text": "x", "correct": True}, {"text": "y", "feedback": "f"}]},
     "missing 'feedback'"),
    ({k: v for k, v in SINGLE.items() if k != "explanation"}, "missing 'explanation'"),
    ({**NUMERIC, "tolerance": -1}, "tolerance"),
    ({**NUMERIC, "type": "essay"}, "type must be one of"),
])
def test_broken_questions_are_rejected(broken, message):
    with pytest.raises(QuizError, match=message):
        parse_question(broken, "t")


def test_score_remembers_answers():
    quiz = Quiz("l01")
    quiz.answer("linear-shape", "a", quiet=True)          # wrong
    quiz.answer("first-layer-count", "19200", quiet=True)  # right
    line = quiz.score()
    assert "1 correct of 2 answered" in line
    assert "linear-shape" in line and "first-layer-count" not in line.split("Not yet right:")[1]
    quiz.answer("linear-shape", "b", quiet=True)           # the latest answer wins
    assert "2 correct of 2 answered" in quiz.score()


def test_widget_check_button_gives_feedback():
    quiz = Quiz("l01")
    panel = quiz.panel("linear-shape")
    panel.input.index = 0                   # wrong: (5, 3)
    panel.button.click()
    assert "rnnlab-wrong" in panel.feedback.value
    assert "That is (in, out)" in panel.feedback.value
    panel.input.index = 1                   # right: (3, 5)
    panel.button.click()
    assert "rnnlab-correct" in panel.feedback.value
    assert "out_features, in_features" in panel.feedback.value   # the explanation
    panel.input.value = None                # nothing chosen
    panel.button.click()
    assert "rnnlab-invalid" in panel.feedback.value
    assert "Choose an option" in panel.feedback.value and "None" not in panel.feedback.value


def test_widget_multiple_and_text_inputs():
    quiz = Quiz("l01")
    multi = quiz.panel("window-limits")
    for i, box in enumerate(multi.input.children):
        box.value = multi._q.options[i].correct
    multi.button.click()
    assert "rnnlab-correct" in multi.feedback.value
    num = quiz.panel("first-layer-count")
    num.input.value = "lots"
    num.button.click()
    assert "rnnlab-invalid" in num.feedback.value and "Expected a number" in num.feedback.value


def test_plain_text_form_withholds_the_answer():
    quiz = Quiz("l01")
    panel = quiz.panel("linear-shape")
    text = panel._repr_mimebundle_()["text/plain"]
    assert "(a) (5, 3)" in text and "(b) (3, 5)" in text
    for opt in panel._q.options:
        assert opt.feedback not in text
    assert panel._q.explanation not in text
    assert "application/vnd.jupyter.widget-view+json" in panel._repr_mimebundle_()


def test_score_line_does_not_display_twice():
    line = Quiz("l01").score()
    assert isinstance(line, str) and hasattr(line, "_ipython_display_")
    assert line._ipython_display_() is None


@pytest.mark.parametrize("response", ["bc", "", " ", "abcd", "ab", "(", "b)c", "z", "1", None, 2])
def test_single_choice_needs_exactly_one_valid_letter(response):
    q = load("l01")["linear-shape"]        # (b) is right
    correct, message = grade(q, response)
    assert correct is None, f"{response!r} was graded {correct}"
    assert message.startswith("Expected one option letter (a, b")


@pytest.mark.parametrize("response", ["b", "B", " b ", "(b)", "( B )"])
def test_single_choice_letter_forms(response):
    assert grade(load("l01")["linear-shape"], response)[0] is True


def test_thousands_separators_are_numbers_but_decimal_commas_are_not():
    q = load("l01")["first-layer-count"]    # 19200
    for text in ["19,200", "19 200", "19_200", "19200", "19200.0", " 19,200 "]:
        assert grade(q, text)[0] is True, text
    for text in ["19,20", "1,9200", "19.200,5", "19,200,00"]:
        assert grade(q, text)[0] is None, text
    assert grade(q, "1,000")[0] is False    # a number, just not this one


def test_answer_prints_once_and_shows_no_out(capsys):
    result = Quiz("l01").answer("linear-shape", "b")
    assert capsys.readouterr().out.count("Correct.") == 1
    correct, message = result
    assert correct is True and message.startswith("Correct.")
    assert result._ipython_display_() is None   # IPython shows no Out[] for it


def test_unknown_lesson_is_one_line_not_a_traceback(capsys):
    quiz = Quiz("l99")
    out = capsys.readouterr().out.strip()
    assert out.startswith("✘") and "l99" in out and "\n" not in out
    quiz.show("anything")
    assert "No question 'anything'" in capsys.readouterr().out
    assert quiz.answer("x", "a")[0] is None
    Quiz(5)
    assert "takes a lesson name" in capsys.readouterr().out


def test_score_survives_a_new_quiz_object_and_lists_saved_answers():
    Quiz("l01").answer("linear-shape", "b", quiet=True)
    assert progress.quiz_answers("l01") == {"linear-shape": True}
    assert "1 correct of 1 answered" in Quiz("l01").score()
