"""Presenting live in JupyterLab: jupyterlab-slideshow's deck mode (the ``deck:start`` command,
or the deck button in a notebook's toolbar) with the course's widgets, ipywidgets 8 and ipympl.

RISE for JupyterLab (jupyterlab-rise 0.43.1) was tried too and is not used: in its separate
slideshow page the widget manager and ipympl fail to load, and every widget shows as text
("VBox(children=(IntSlider(...") (docs/slides.md)."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from . import labdriver

PANEL = """\
%matplotlib widget
import ipywidgets as widgets
from rnnlab.widgets import figure, interactive_panel

fig, ax = figure(figsize=(4, 3))
ax.set_ylim(0, 6)
(line,) = ax.plot([0, 1], [0, 1])
k = widgets.IntSlider(description="k", value=1, min=1, max=5)
k.observe(lambda c: (line.set_ydata([0, c["new"]]), fig.canvas.draw_idle()), names="value")
interactive_panel([k], fig, title="deck demo")"""


def deck_notebook() -> dict:
    nb = new_notebook(cells=[
        new_markdown_cell("# A deck", metadata={"slideshow": {"slide_type": "slide"}}),
        new_code_cell(PANEL, metadata={"slideshow": {"slide_type": "slide"}}),
        new_markdown_cell("## The end", metadata={"slideshow": {"slide_type": "slide"}}),
    ])
    nb.metadata["kernelspec"] = {"name": "rnnlab", "display_name": "Python (RNN Lab)",
                                 "language": "python"}
    return nbformat.from_dict(nb)


def test_widgets_work_in_a_live_deck(lab, browser):
    rel = lab.add_notebook("deck_demo.ipynb", deck_notebook())
    nb = labdriver.NotebookPage(lab, browser, rel).open()
    try:
        page = nb.page
        assert "deck:start" in page.evaluate("() => window.jupyterapp.commands.listCommands()")
        nb.run_all()
        # The deck opens on the active cell's slide: start from the first, then go forward.
        page.evaluate("() => { jupyterapp.shell.currentWidget.content.activeCellIndex = 0; }")
        page.evaluate("() => window.jupyterapp.commands.execute('deck:start')")
        page.wait_for_timeout(1500)
        panel = nb.interactive_panels().first
        assert not panel.is_visible()  # the title slide
        page.evaluate("() => window.jupyterapp.commands.execute('deck:forward')")
        page.wait_for_timeout(1500)
        page.screenshot(path=str(labdriver.ROOT / "test-output" / "browser" / "deck_demo.png"))
        panel.wait_for(state="visible", timeout=10_000)
        assert page.locator(".jp-OutputArea-output", has_text="VBox(children=").count() == 0
        before = nb.wait_canvas_stable(panel)
        assert before not in (None, "blank", "empty"), "the plot is blank in the deck"
        handle = panel.locator(".widget-slider .noUi-handle").first
        handle.focus()
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        assert panel.locator(".widget-readout").first.inner_text().strip() == "4"
        after = nb.wait_canvas_change(panel, before)
        assert after != before, "the plot did not redraw when the slider moved in the deck"
        assert nb.console_errors == [], nb.console_errors
    finally:
        # Leave deck mode: JupyterLab keeps it in the workspace, and the next test's page (same
        # server) would otherwise open as a deck.
        nb.page.evaluate("() => window.jupyterapp.commands.execute('deck:stop')")
        nb.page.wait_for_timeout(500)
        nb.close()
