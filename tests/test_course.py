import json

import pytest

from rnnlab.course import next_lesson


def _notebook(path, heading):
    cells = [{"cell_type": "markdown", "metadata": {}, "source": [heading, "\n", "text"]},
             {"cell_type": "code", "metadata": {}, "source": [], "outputs": [],
              "execution_count": None}]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}), encoding="utf-8")


def test_links_the_next_notebook_when_it_exists(tmp_path):
    _notebook(tmp_path / "07_real_data.ipynb", "# 07 · Sequence tasks on real data")
    line = next_lesson(6, "trains these cells on real text", folder=tmp_path)
    assert line == ("**Next:** [lesson 07, Sequence tasks on real data](07_real_data.ipynb), "
                    "trains these cells on real text.")


def test_says_it_is_coming_when_missing(tmp_path):
    _notebook(tmp_path / "06_gru.ipynb", "# 06 · GRU")  # the current lesson only
    line = next_lesson(6, "trains these cells on real text", folder=tmp_path)
    assert "](" not in line  # no link to a file that does not exist
    assert line.startswith("**Next:** lesson 07 (sequence tasks on real data) trains")
    assert "being written" in line


def test_unplanned_lesson_and_untitled_notebook(tmp_path):
    assert "lesson 12 " in next_lesson(11, "goes further", folder=tmp_path)
    (tmp_path / "03_x.ipynb").write_text("not json", encoding="utf-8")
    assert next_lesson(2, "derives BPTT", folder=tmp_path).startswith(
        "**Next:** [lesson 03, 03_x](03_x.ipynb)")


def test_course_notebooks_link_forward():
    """Lesson 05's next lesson exists in the course, so its line is a link to it."""
    line = next_lesson(5, "builds the GRU")
    assert line.startswith("**Next:** [lesson 06, GRU, and choosing between them](06_gru.ipynb)")


@pytest.mark.parametrize("bad", [-1, "6", 6.0, True, None])
def test_bad_lesson_number_is_one_line(bad):
    with pytest.raises(ValueError, match="expected a lesson number"):
        next_lesson(bad, "x")


def test_empty_description_rejected():
    with pytest.raises(ValueError, match="non-empty description"):
        next_lesson(6, "  ")
