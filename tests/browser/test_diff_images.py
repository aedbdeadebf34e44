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

# Four blits (diff images), then, seconds later, the same pixels sent as one full image.
MOVES = """\
def move(k):
    x = np.linspace(0, 2 + 2 * k, 12)
    line.set_data(x, np.sin(x * (k + 1)) * 0.25 * (k + 1))
    title.set_text(f"change {k}: " + "x" * (8 - 2 * k))
    blitter.update()

def full_image():
    fig.canvas._force_full = fig.canvas._png_is_old = True
    fig.canvas.manager.refresh_all()

loop = asyncio.get_event_loop()
for k in range(4):
    loop.call_later(1.5 + 0.5 * k, move, k)
loop.call_later(9.0, full_image)"""


@pytest.mark.parametrize("scale", [1, 2])
def test_diff_images_compose_to_the_full_image(lab, browser, scale):
    rel = lab.add_notebook(f"diff_images_{scale}x.ipynb", scratch(PLOT, MOVES))
    page = labdriver.NotebookPage(lab, browser, rel, scale=scale)
    try:
        page.open()
        page.run_all()
        t0 = time.monotonic()
        plot = page.page.locator(".jupyter-matplotlib").first
        plot.wait_for(timeout=30_000)
        first = page.wait_canvas_stable(plot)
        time.sleep(max(0.0, 5.0 - (time.monotonic() - t0)))
        after_diffs = page.wait_canvas_stable(plot)
        assert after_diffs not in (None, "blank", "empty", first), (first, after_diffs)
        time.sleep(max(0.0, 11.0 - (time.monotonic() - t0)))
        after_full = page.wait_canvas_stable(plot)
        assert after_full == after_diffs
        assert not page.problems(), page.problems()
    finally:
        page.close()
