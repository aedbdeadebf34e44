"""Widgets as static HTML, for lessons exported to slides and a web page (``rnnlab.export``).

Outside a live kernel a widget is an empty box: its picture lives in the browser's widget
manager, which an exported page does not have. ``activate()``, run first in the kernel that
executes a lesson for export, makes every widget display as plain HTML instead:

* a figure (ipympl's canvas, or ``rnnlab.widgets.canvas_widget``) becomes a PNG image of the
  figure as it is now, with the artists ``Blitter`` marks animated (the ones that change);
* an interactive panel (``interactive_panel``, every ``Explorer``) becomes its title, its controls
  written out with their values, the image, and a line saying that it is live in JupyterLab;
* a quiz question becomes its prompt and options, the answer withheld;
* any other widget becomes its text (labels, HTML) or its value.

Nothing here runs in a learner's JupyterLab: the course's notebooks never call ``activate``.
"""

from __future__ import annotations

import base64
import html
import io
import re

import ipywidgets as widgets

LIVE_NOTE = ("Interactive plot, shown in its default state: it is live in JupyterLab "
             "(open the lesson there to move the controls).")


def figure_png(fig) -> bytes:
    """The figure as a PNG, animated artists drawn too (a screen draw leaves them to the blitter;
    they are made plain while saving, whatever the backend does when it saves)."""
    animated = [a for a in fig.findobj() if a.get_animated()]
    for artist in animated:
        artist.set_animated(False)
    try:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=fig.dpi)
    finally:
        for artist in animated:
            artist.set_animated(True)
    return buf.getvalue()


def image_tag(png: bytes, alt: str = "plot") -> str:
    data = base64.b64encode(png).decode("ascii")
    return (f'<img class="rnnlab-static-plot" alt="{html.escape(alt)}" '
            f'src="data:image/png;base64,{data}" style="max-width:100%"/>')


def _figure_of(w):
    fig = getattr(w, "figure", None)  # ipympl's canvas
    if fig is None:
        fig = getattr(w, "_rnnlab_figure", None)  # canvas_widget's fallback Output
    return fig if hasattr(fig, "savefig") else None


def _control_html(w) -> str:
    label = html.escape(str(getattr(w, "description", "") or "")).strip()
    if isinstance(w, widgets.Button):
        return f'<span class="rnnlab-static-button">[{label}]</span>'
    if isinstance(w, widgets.Checkbox):
        mark = "☑" if w.value else "☐"
        return f'<span class="rnnlab-static-control">{mark} {label}</span>'
    if isinstance(w, (widgets.Dropdown, widgets.RadioButtons, widgets.ToggleButtons,
                      widgets.Select, widgets.SelectionSlider)):
        value = w.label if w.label is not None else ""
    elif isinstance(w, widgets.SelectionRangeSlider):
        value = " to ".join(str(x) for x in (w.label or ()))
    elif hasattr(w, "readout_format") and isinstance(w.value, (int, float)):
        try:
            value = format(w.value, w.readout_format)
        except (TypeError, ValueError):
            value = str(w.value)
    else:
        value = str(getattr(w, "value", ""))
    if hasattr(w, "min") and hasattr(w, "max") and not isinstance(w.value, (tuple, list)):
        value += f" (from {w.min} to {w.max})"
    sep = ": " if label and not label.endswith((":", "=")) else " "
    return (f'<span class="rnnlab-static-control">{label}{sep if label else ""}'
            f'<code>{html.escape(value)}</code></span>')


def widget_html(w) -> str:
    """The static HTML of one widget (and of everything inside it)."""
    from rnnlab.quiz import QuizPanel

    if isinstance(w, QuizPanel):
        return quiz_html(w._q)
    fig = _figure_of(w)
    if fig is not None:
        return image_tag(figure_png(fig), alt=fig.get_label() or "plot")
    if isinstance(w, widgets.Box):
        row = isinstance(w, widgets.HBox) or "row" in str(getattr(w.layout, "flex_flow", ""))
        style = "display:flex;flex-wrap:wrap;gap:0.3em 1.2em" if row else ""
        inner = "".join(widget_html(c) for c in w.children)
        body = f'<div class="rnnlab-static-box" style="{style}">{inner}</div>'
        if "rnnlab-interactive" in getattr(w, "_dom_classes", ()):
            body = (f'<div class="rnnlab-static-interactive">{body}'
                    f'<p class="rnnlab-live-note"><em>{LIVE_NOTE}</em></p></div>')
        return body
    if isinstance(w, (widgets.HTML, widgets.HTMLMath)):
        return f"<div>{w.value}</div>"
    if isinstance(w, widgets.Label):
        return f"<div>{html.escape(w.value)}</div>"
    if isinstance(w, widgets.Image):
        fmt = html.escape(w.format or "png")
        data = base64.b64encode(bytes(w.value)).decode("ascii")
        return f'<img src="data:image/{fmt};base64,{data}" style="max-width:100%"/>'
    if isinstance(w, widgets.Output):
        return ""  # what it shows is captured in the browser, not in the kernel
    if isinstance(w, (widgets.ValueWidget, widgets.Button)):
        return _control_html(w)
    return ""


_CODE = re.compile(r"`([^`]+)`")


def _inline(text: str) -> str:
    """Quiz text as the widget shows it, with `code` in backticks set as code."""
    return _CODE.sub(lambda m: f"<code>{html.escape(m.group(1))}</code>", text)


def quiz_html(q) -> str:
    """A quiz question as text: prompt and options, no answer and no feedback."""
    from rnnlab.quiz import LETTERS

    items = "".join(f"<li>({letter}) {_inline(opt.text)}</li>"
                    for letter, opt in zip(LETTERS, q.options, strict=False))
    how = {"single": "one option", "multiple": "every option that applies",
           "numeric": "a number", "text": "a short text"}[q.type]
    return (f'<div class="rnnlab-static-quiz"><p><b>Question.</b> {_inline(q.prompt)}</p>'
            + (f'<ul style="list-style:none">{items}</ul>' if items else "")
            + f"<p><em>Answer with {how} in JupyterLab (or "
              f'<code>quiz.answer("{html.escape(q.id)}", ...)</code>); the answer is not '
              "shown here.</em></p></div>")


def _bundle(obj, include=None, exclude=None):
    panel = getattr(obj, "panel", None)
    w = panel if isinstance(panel, widgets.Widget) else obj
    from rnnlab.quiz import QuizPanel

    text = w._q.as_text() if isinstance(w, QuizPanel) else (
        "(interactive plot: live in JupyterLab)" if _figure_of(w) is not None
        or "rnnlab-interactive" in getattr(w, "_dom_classes", ()) else f"({type(w).__name__})")
    return {"text/html": widget_html(w), "text/plain": text}


def activate(shell=None) -> None:
    """Make every widget (and every ``Explorer``) display as static HTML in this kernel."""
    from rnnlab.widgets import Explorer

    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    if shell is None:
        raise RuntimeError("rnnlab.static.activate() must run inside IPython")
    formatter = shell.display_formatter.mimebundle_formatter
    for cls in (widgets.Widget, Explorer):
        formatter.for_type(cls, _bundle)
