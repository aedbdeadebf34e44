"""rnnlab.export (slides and site) and rnnlab.static (widgets as static HTML), without a
browser or a kernel; the browser tests in tests/browser/test_site.py open the real output."""

from __future__ import annotations

import json

import ipywidgets as widgets
import matplotlib
import nbformat
import numpy as np
import pytest

from rnnlab import build, export, static
from rnnlab.quiz import Quiz, QuizPanel

matplotlib.use("Agg")


def md(text, **meta):
    cell = nbformat.v4.new_markdown_cell(text)
    cell.metadata.update(meta)
    return cell


def code(text, **meta):
    cell = nbformat.v4.new_code_cell(text)
    cell.metadata.update(meta)
    return cell


# --- slide structure -------------------------------------------------------------------------

@pytest.mark.parametrize("cell, expected", [
    (md("# 05 · LSTM\nintro"), "slide"),
    (md("## 2. The gates"), "slide"),
    (md("### A detail"), "subslide"),
    (md("Plain text, no heading.\n## not at the start"), "-"),
    (code("x = 1"), "-"),
    (code("def f():\n    raise NotImplementedError()", tags=["exercise"]), "skip"),
    (code("def f():\n    return 1", tags=["solution"]), "skip"),
    (nbformat.from_dict({**code("plot()"), "outputs": [nbformat.v4.new_output(
        "display_data", data={"text/html": '<img class="rnnlab-static-plot" src="x">',
                              "text/plain": "plot"})]}), "subslide"),
    (nbformat.from_dict({**code("print(1)"), "outputs": [nbformat.v4.new_output(
        "stream", text="1\n")]}), "-"),
])
def test_default_slide_type(cell, expected):
    assert export.default_slide_type(cell) == expected


def test_given_metadata_wins_and_the_first_shown_cell_opens_a_slide():
    nb = nbformat.v4.new_notebook(cells=[
        code("import x", slideshow={"slide_type": "skip"}),
        md("Some words, no heading"),
        md("## Section", slideshow={"slide_type": "fragment"}),
        code("y = 2"),
    ])
    export.with_slide_types(nb)
    kinds = [c.metadata["slideshow"]["slide_type"] for c in nb.cells]
    assert kinds == ["skip", "slide", "fragment", "-"]


def test_a_plot_cell_gets_a_sub_slide_without_its_code():
    plot = nbformat.v4.new_output("display_data", data={
        "text/html": '<img class="rnnlab-static-plot" src="x">', "text/plain": "plot"})
    nb = nbformat.v4.new_notebook(cells=[md("## Plot"), code("draw()"), code("draw_too()")])
    nb.cells[1].outputs = [plot]
    nb.cells[2].outputs = [plot]
    nb.cells[2].metadata["slideshow"] = {"slide_type": "-"}  # a lecturer's choice: kept
    export.with_slide_types(nb)
    assert nb.cells[1].metadata["slideshow"]["slide_type"] == "subslide"
    assert nb.cells[1].metadata["transient"]["remove_source"] is True
    assert "transient" not in nb.cells[2].metadata
    page, _ = export._exporter("slides").from_notebook_node(nb)
    assert "draw()" not in page and "draw_too" in page and page.count("rnnlab-static-plot") == 2


@pytest.mark.parametrize("src", build.lesson_sources(), ids=lambda p: p.stem[:2])
def test_every_lesson_has_slides_and_skips_its_exercises(src):
    nb = export.with_slide_types(export.export_notebook(src))
    kinds = [c.metadata["slideshow"]["slide_type"] for c in nb.cells]
    assert kinds.count("slide") >= 3, f"{src.name}: only {kinds.count('slide')} slides"
    for cell in nb.cells:
        if "exercise" in cell.metadata.get("tags", []):
            assert cell.metadata["slideshow"]["slide_type"] == "skip"


def test_build_keeps_slide_metadata(tmp_path):
    src = tmp_path / "lessons_src" / "42_demo.py"
    src.parent.mkdir()
    src.write_text('# %% [markdown] slideshow={"slide_type": "slide"}\n# # 42 · Demo\n\n'
                   '# %% slideshow={"slide_type": "skip"}\nimport math\n', encoding="utf-8")
    nb = build.build_notebook(src)
    assert [c.metadata.get("slideshow") for c in nb.cells] == [
        {"slide_type": "slide"}, {"slide_type": "skip"}]


# --- what a page shows -----------------------------------------------------------------------

def test_lesson_title_goals_and_links():
    nb = nbformat.v4.new_notebook(cells=[md(
        "# 03 · Backprop\n\n**You will be able to**\n- derive it;\n- run it\n  by hand.\n\n"
        "**Prerequisites:** none")])
    assert export.lesson_title(nb) == "03 · Backprop"
    assert export.goals(nb) == ["derive it;", "run it by hand."]
    page = '<a href="04_vanishing_exploding.ipynb">next</a> <a href="x.ipynb">'
    assert export.relink(page, ".html") == ('<a href="04_vanishing_exploding.html">next</a> '
                                            '<a href="x.ipynb">')


def test_cache_key_follows_the_lesson_and_the_library():
    a = export.cache_key("source", "lib")
    assert a == export.cache_key("source", "lib")
    assert a != export.cache_key("source2", "lib") and a != export.cache_key("source", "lib2")


def test_an_unchanged_lesson_is_not_executed_again(tmp_path):
    src = build.lesson_sources()[1]
    done = nbformat.v4.new_notebook(cells=[md("# executed before")])
    nbformat.write(done, tmp_path / f"{src.stem}.ipynb")
    key = export.cache_key(src.read_text(encoding="utf-8"))
    (tmp_path / f"{src.stem}.key").write_text(key + "\n")
    # no kernel is started: the cached notebook comes back (twice: nothing in the key drifts)
    for _ in range(2):
        assert export.execute(src, cache=tmp_path).cells[0].source == "# executed before"


def test_figure_png_draws_the_animated_artists_blitting_updates():
    import matplotlib.pyplot as plt
    from PIL import Image

    fig, ax = plt.subplots(figsize=(2, 2), dpi=50)
    ax.set_xlim(0, 1), ax.set_ylim(0, 1)
    (line,) = ax.plot([0, 1], [0, 1], lw=8, color="red", animated=True)
    import io

    ours = np.asarray(Image.open(io.BytesIO(static.figure_png(fig))).convert("RGB"))
    red = (ours[..., 0] > 200) & (ours[..., 1] < 80)
    assert red.sum() > 50
    assert line.get_animated()  # left as it was
    plt.close(fig)


def test_interactive_panel_is_an_image_with_its_controls_and_the_live_note():
    from rnnlab.widgets import figure, interactive_panel

    fig, ax = figure(figsize=(2, 1.5), dpi=40)
    ax.plot([0, 1], [1, 0])
    slider = widgets.IntSlider(description="T", value=20, min=1, max=50)
    page = static.widget_html(interactive_panel([slider], fig, title="Demo plot"))
    assert "Demo plot" in page and static.LIVE_NOTE in page
    assert 'src="data:image/png;base64,' in page
    assert "<code>20 (from 1 to 50)</code>" in page


@pytest.mark.parametrize("lesson", sorted(p.stem for p in
                                          (build.ROOT / "rnnlab" / "quizzes").glob("l*.toml")))
def test_quizzes_as_text_withhold_every_answer(lesson):
    quiz = Quiz(lesson)
    for q in quiz.questions.values():
        page = static.widget_html(QuizPanel(quiz, q))
        assert "Question." in page and "not shown here" in page
        for opt in q.options:  # every option is listed; no feedback, no verdict
            assert opt.feedback not in page
        assert q.explanation not in page
        if q.type == "numeric":
            assert f"{q.answer:g}" not in page.replace(q.prompt, "")
        for accepted in q.accept:
            assert f">{accepted}<" not in page


def test_activate_replaces_every_widget_display():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    static.activate(shell)
    data, _ = shell.display_formatter.format(widgets.VBox([widgets.HTML("<i>hello</i>")]))
    assert "application/vnd.jupyter.widget-view+json" not in data
    assert "<i>hello</i>" in data["text/html"]
    quiz = Quiz("l02")
    data, _ = shell.display_formatter.format(quiz.panel(next(iter(quiz.questions))))
    assert "rnnlab-static-quiz" in data["text/html"]


# --- no solution leaves the lecturer's copy --------------------------------------------------

def test_every_exercise_has_solution_fingerprints():
    fingerprints = export.solution_fingerprints()
    names = set(json.loads(build.SOLUTIONS_JSON.read_text(encoding="utf-8")))
    assert set(fingerprints) == names
    assert all(fingerprints[n] for n in names), [n for n in names if not fingerprints[n]]


def test_fingerprints_find_the_solutions_in_the_lecturers_version():
    fingerprints = export.solution_fingerprints()
    for src in build.lesson_sources():
        lesson = {k: v for k, v in fingerprints.items() if k[1:3] == src.stem[:2]}
        nb = build.build_notebook(src, version="solutions")
        shown = export.solutions_shown("\n".join(c.source for c in nb.cells), lesson)
        assert shown == sorted(lesson), src.name


def test_student_copies_and_exported_notebooks_hold_no_solution_code(tmp_path):
    fingerprints = export.solution_fingerprints()
    build.build_version("student", tmp_path)
    for src in build.lesson_sources():
        lesson = {k: v for k, v in fingerprints.items() if k[1:3] == src.stem[:2]}
        student = nbformat.read(tmp_path / f"{src.stem}.ipynb", as_version=4)
        text = "\n".join(c.source for c in student.cells)
        assert export.solutions_shown(text, lesson) == [], src.name
        exported = "\n".join(c.source for c in export.export_notebook(src).cells)
        assert export.solutions_shown(exported, lesson) == [], src.name
