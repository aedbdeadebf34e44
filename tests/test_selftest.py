"""Lesson 10's cumulative self-test: the seeded draw, the banks' section metadata, the score, the
widget's controls and the progress row."""

import re
import tomllib

import pytest

from rnnlab import progress, selftest
from rnnlab.quiz import LETTERS, QuizPanel, grade
from rnnlab.quiz import load as load_bank
from rnnlab.selftest import SelfTest, ShortPanel, draw, pool


def right_response(q):
    """A response that ``grade`` accepts as right, from the bank itself."""
    if q.type == "single":
        return LETTERS[next(i for i, o in enumerate(q.options) if o.correct)]
    if q.type == "multiple":
        return "".join(LETTERS[i] for i, o in enumerate(q.options) if o.correct)
    if q.type == "numeric":
        return q.answer
    return q.accept[0]


def wrong_response(q):
    if q.type in ("single", "multiple"):
        return LETTERS[next(i for i, o in enumerate(q.options) if not o.correct)]
    if q.type == "numeric":
        return q.answer + 10 * q.tolerance + 1
    return "certainly not the answer"


def test_draw_is_reproducible_and_rerolls():
    assert draw(3) == draw(3)
    draws = {tuple(draw(s)) for s in range(6)}
    assert len(draws) > 1, "different seeds should give different draws"
    t = SelfTest(seed=3)
    first = list(t.keys)
    assert t.reroll() == draw(4) and t.seed == 4 and t.keys != first
    assert t.reroll(3) == first


def test_every_lesson_bank_is_drawn_from_and_every_drawn_question_exists():
    lessons = selftest.banks()
    assert lessons[0] == "l01" and "l10" in lessons
    for seed in range(20):
        keys = draw(seed)
        assert len(keys) == len(set(keys))
        drawn_lessons = {k.split(".")[0] for k in keys}
        assert drawn_lessons == set(lessons)
        for key in keys:
            lesson, qid = key.split(".", 1)
            raw = tomllib.loads((selftest.ROOT / "rnnlab" / "quizzes" / f"{lesson}.toml")
                                .read_text(encoding="utf-8"))
            ids = [e["id"] for e in raw.get("question", []) + raw.get("short", [])]
            assert qid in ids, f"{key} is not in quizzes/{lesson}.toml"
        kinds = [pool()[k].kind for k in keys]
        assert kinds.count("short") == 2 and kinds.count("two lessons") == 3


def test_new_bank_has_twelve_two_lesson_questions_and_short_answers():
    items = [it for it in pool().values() if it.lesson == "l10"]
    two = [it for it in items if it.question is not None]
    assert len(two) >= 12 and len(load_bank("l10")) == len(two)
    for it in two:
        assert len({w.lesson for w in it.where}) >= 2, f"{it.key} should need two lessons"
        assert grade(it.question, right_response(it.question))[0] is True
    shorts = [it for it in items if it.short is not None]
    assert len(shorts) >= 5 and all(s.short.model_answer and s.short.points for s in shorts)


def test_every_referenced_section_exists_in_its_lesson_source():
    for it in pool().values():
        assert it.where, f"{it.key} has no section to go back to"
        for w in it.where:
            src = selftest.lesson_source(w.lesson)
            if src is None:       # a lesson not written yet (l10's own, before it lands)
                pytest.fail(f"{it.key} points at lesson {w.lesson}, which has no source")
            heads = re.findall(r"^# ## (\d+)\. ", src.read_text(encoding="utf-8"), re.M)
            assert str(w.section) in heads, f"{it.key}: {w} does not exist"
            assert w.title


def test_scores_by_lesson_and_topic_add_up_to_the_total(capsys):
    t = SelfTest(seed=5)
    for i, key in enumerate(t.keys, 1):
        it = pool()[key]
        if it.question is not None:
            t.answer(i, right_response(it.question) if i % 2 else wrong_response(it.question))
        else:
            assert t.mark(i, True) is None          # not committed yet: refused
            assert "Commit your answer" in capsys.readouterr().out
            assert "Model answer" in t.commit(i, "my own words about it")
            t.mark(i, i % 3 == 0)
    s = t.tally()
    assert s.asked == len(t.keys)
    assert sum(r for r, _ in s.by_lesson.values()) == s.right
    assert sum(r for r, _ in s.by_topic.values()) == s.right
    assert sum(n for _, n in s.by_lesson.values()) == sum(n for _, n in s.by_topic.values()) \
        == s.asked
    assert len(s.go_back) == s.asked - s.right
    expected = sum(1 for i, k in enumerate(t.keys, 1)
                   if (pool()[k].question is not None and i % 2)
                   or (pool()[k].short is not None and i % 3 == 0))
    assert s.right == expected
    text = t.score()
    assert f"{s.right} of {s.asked}" in text and "section" in text


def test_answers_are_saved_for_the_self_test_and_the_lesson():
    t = SelfTest(seed=0)
    key = t.keys[0]
    q = pool()[key].question
    t.answer(1, right_response(q), quiet=True)
    saved = progress.load()["quiz"]
    assert saved["selftest"][key]["correct"] is True
    assert saved[key.split(".")[0]][q.id]["correct"] is True
    row = [r for r in progress.rows() if r["lesson"] == "selftest"]
    assert row and row[0]["quiz_right"] == 1 and row[0]["quiz_total"] == len(pool())
    assert f"| self-test | 1 of {len(pool())} |" in progress.table()


def test_bad_input_gives_one_line(capsys):
    t = SelfTest(seed="x")
    out = capsys.readouterr().out
    assert "whole number" in out and t.seed == 0
    for call in (lambda: t.answer(99, "a"), lambda: t.answer("nope", "a"),
                 lambda: t.reroll(-1), lambda: draw(1.5)):
        call()
        line = capsys.readouterr().out.strip()
        assert line.startswith("✘") and "\n" not in line
    short = next(i for i, k in enumerate(t.keys, 1) if pool()[k].short is not None)
    assert t.commit(short, "  ") is None
    assert capsys.readouterr().out.strip().startswith("✘")
    assert t.answer(short, "a")[0] is None
    quiz_q = next(i for i, k in enumerate(t.keys, 1) if pool()[k].question is not None)
    assert t.answer(quiz_q, "")[0] is None


def test_widget_controls():
    t = SelfTest(seed=1)
    panel = t.panel()
    widgets_ = panel.panels()
    assert len(widgets_) == len(t.keys)
    for w, key in zip(widgets_, t.keys, strict=True):
        it = pool()[key]
        if isinstance(w, QuizPanel):
            q = it.question
            if q.type == "single":
                w.input.value = w.input.options[LETTERS.index(right_response(q))]
            elif q.type == "multiple":
                for i, box in enumerate(w.input.children):
                    box.value = LETTERS[i] in right_response(q)
            else:
                w.input.value = str(right_response(q))
            w.button.click()
            assert "rnnlab-correct" in w.feedback.value
        else:
            assert isinstance(w, ShortPanel)
            w.commit_button.click()                      # nothing written yet
            assert "Write your answer first" in w.status.value and not w.model.value
            assert w.had_it.disabled
            w.text.value = "the forget gate keeps the cell, the input gate writes"
            w.commit_button.click()
            assert "Model answer" in w.model.value and not w.had_it.disabled
            w.missed.click()
            assert "revisit" in w.status.value
            w.had_it.click()
            assert "had it" in w.status.value
    panel.score_button.click()
    s = t.tally()
    assert s.right == s.asked and f"{s.asked} of {s.asked} right" in panel.result.value
    before = list(t.keys)
    panel.reroll_button.click()
    assert t.keys == draw(2) and t.keys != before and panel.result.value == ""
    assert f"seed {t.seed}" in panel.header.value
    assert len(panel.panels()) == len(t.keys)
    panel.score_button.click()
    assert f"0 of {len(t.keys)} right" in panel.result.value


def test_the_panel_prints_its_draw_as_text_without_a_widget_front_end():
    t = SelfTest(seed=2)
    text = t.panel()._repr_mimebundle_()["text/plain"]
    assert text == t.questions() and all(k in text for k in t.keys)
