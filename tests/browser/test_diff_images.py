"""The cropped diff images of ``rnnlab.widgets._diff_image``, drawn by ipympl's front end, give
the same picture as one full image of the figure: at pixel density 1x and 2x."""

from __future__ import annotations

import time

import pytest

from . import labdriver
from .test_harness import scratch

PLOT = """\
%matplotlib widget
import asyncio
import numpy as np
from rnnlab import widgets as rw
fig, ax = rw.figure(figsize=(5, 3), dpi=72)
ax.set_xlim(0, 10)
ax.set_ylim(-1.2, 1.2)
(line,) = ax.plot([], [], "o-")
title = ax.set_title(" ")
blitter = rw.Blitter(fig, [line, title])
blitter.update()
fig.canvas"""

# Four blits (diff images), then the same pixels sent as one full image: each one when the test
# types its number into the box (not on a timer, so a slow machine cannot reorder them).
MOVES = """\
import ipywidgets as widgets

def move(k):
    x = np.linspace(0, 2 + 2 * k, 12)
    line.set_data(x, np.sin(x * (k + 1)) * 0.25 * (k + 1))
    title.set_text(f"change {k}: " + "x" * (8 - 2 * k))
    blitter.update()

def full_image():
    fig.canvas._force_full = fig.canvas._png_is_old = True
    fig.canvas.manager.refresh_all()

step = widgets.IntText(value=-1, description="step")
step.observe(lambda change: move(change["new"]) if change["new"] < 4 else full_image(),
             names="value")
step"""


def _images(page) -> int:
    """How many images (full or diff) the page's ipympl canvases have received."""
    return page.page.evaluate("() => window.__rnnlabImages.length")


def _wait_images(page, n: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while _images(page) < n:
        assert time.monotonic() < deadline, f"expected {n} images, the page got {_images(page)}"
        time.sleep(0.05)


@pytest.mark.parametrize("scale", [1, 2])
def test_diff_images_compose_to_the_full_image(lab, browser, scale):
    rel = lab.add_notebook(f"diff_images_{scale}x.ipynb", scratch(PLOT, MOVES))
    page = labdriver.NotebookPage(lab, browser, rel, scale=scale)
    try:
        page.open()
        page.run_all()
        plot = page.page.locator(".jupyter-matplotlib").first
        plot.wait_for(timeout=30_000)
        box = page.page.locator(".widget-text input").first
        box.wait_for(timeout=30_000)
        first = page.wait_canvas_stable(plot)
        for k in range(5):                               # moves 0-3: diffs; 4: a full image
            n = _images(page)
            box.fill(str(k))
            box.press("Enter")
            _wait_images(page, n + 1)
            shown = page.wait_canvas_stable(plot)
            if k == 3:
                after_diffs = shown
        assert after_diffs not in (None, "blank", "empty", first), (first, after_diffs)
        assert shown == after_diffs                      # the full image: the same pixels
        assert not page.problems(), page.problems()
    finally:
        page.close()
