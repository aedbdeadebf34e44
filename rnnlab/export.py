"""The course outside JupyterLab: reveal.js slide decks and an offline HTML site.

    python -m rnnlab.export slides [DIR]   # DIR (default slides/): one deck per lesson
    python -m rnnlab.export site [DIR]     # DIR (default site/): index + one page per lesson
    python -m rnnlab.export ... --only 03  # only the lessons whose names start so

Both are built from the *student* version of each lesson (``rnnlab.build``: no worked solution,
no hint of one), executed top to bottom in the course's kernel with ``rnnlab.static`` active, so
every plot is an image (interactive plots in their default state, with a line saying they are
live in JupyterLab) and every quiz is text with its answer withheld. Executed notebooks are kept
in ``build/executed/`` and reused while the lesson and the library are unchanged (a hash of
both), so ``make slides`` after ``make site`` executes nothing.

Everything a page loads is a local file next to it (``_static/``): MathJax 2.7.9 from the
``jupyter-server-mathjax`` package, reveal.js from ``vendor/reveal.js`` (MIT licence, see the
README there). No page asks the network for anything, so the output opens from ``file://`` in a
lecture hall without a connection.

Slide structure comes from the cells' ``slideshow`` metadata in ``lessons_src/`` (jupytext
keeps it: ``# %% [markdown] slideshow={"slide_type": "slide"}``). A cell without it gets the
default rule (``default_slide_type``): a Markdown cell that opens with a ``#`` or ``##`` heading
starts a slide, one with a ``###`` heading a sub-slide, a code cell that shows a plot a
sub-slide (below the slide: the down arrow), an exercise cell is skipped, anything else
continues the current slide. So a new lesson gets slides without any hand-written metadata.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat

from rnnlab import build

ROOT = build.ROOT
TEMPLATES = Path(__file__).resolve().parent / "templates"
REVEAL = ROOT / "vendor" / "reveal.js"
EXECUTED = ROOT / "build" / "executed"
SLIDES_DIR = ROOT / "slides"
SITE_DIR = ROOT / "site"
STATIC = "_static"
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"
MATHJAX_URL = f"{STATIC}/mathjax/MathJax.js?config={MATHJAX_CONFIG}"
ACTIVATE = "import rnnlab.static as _rnnlab_static\n_rnnlab_static.activate()"
HEADING = re.compile(r"^\s*(#{1,6})\s+\S")
LESSON_LINK = re.compile(r'href="(\d\d_[\w-]+)\.ipynb"')
SKIP_TAGS = ("exercise", "solution")


class ExportError(RuntimeError):
    """A lesson that failed to execute for export; says which and why."""


# --- slide structure -------------------------------------------------------------------------

def default_slide_type(cell) -> str:
    """The slide type of a cell that has no ``slideshow`` metadata (see the module docstring)."""
    if set(cell.metadata.get("tags", [])) & set(SKIP_TAGS):
        return "skip"
    if cell.cell_type == "markdown":
        m = HEADING.match(cell.source)
        if m:
            return "slide" if len(m.group(1)) <= 2 else "subslide"
    if cell.cell_type == "code" and any(_has_plot(o) for o in cell.get("outputs", [])):
        return "subslide"  # a plot gets a screen of its own
    return "-"


def _has_plot(output) -> bool:
    data = output.get("data", {})
    return "image/png" in data or "rnnlab-static-plot" in str(data.get("text/html", ""))


def with_slide_types(nb):
    """The notebook with every cell's ``slideshow.slide_type`` set (kept where given); the first
    shown cell always opens a slide. A plot cell that gets its sub-slide by the default rule
    shows the plot without its code (the site and the notebooks keep the code)."""
    first = True
    for cell in nb.cells:
        show = cell.metadata.setdefault("slideshow", {})
        if "slide_type" not in show:
            show["slide_type"] = default_slide_type(cell)
            if cell.cell_type == "code" and show["slide_type"] == "subslide":
                # a plot's own sub-slide shows the plot, not the code that draws it
                cell.metadata.setdefault("transient", {})["remove_source"] = True
        if first and show["slide_type"] != "skip":
            if show["slide_type"] in ("-", "fragment", "notes"):
                show["slide_type"] = "slide"
            first = False
    return nb


# --- executing ---------------------------------------------------------------------------------

def _library_digest() -> str:
    h = hashlib.sha256()
    lib = Path(__file__).resolve().parent
    for path in sorted(lib.rglob("*")):
        # The page templates and this module do not change what a lesson computes.
        if (path.is_file() and not {"__pycache__", "templates"} & set(path.parts)
                and path.name != "export.py"):
            h.update(path.relative_to(lib).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def cache_key(source: str, library: str | None = None) -> str:
    """Changes when the lesson's source or anything in ``rnnlab/`` changes."""
    library = _library_digest() if library is None else library
    return hashlib.sha256((library + "\0" + source).encode()).hexdigest()


def export_notebook(src: Path):
    """The student version of one lesson source, as exported (before execution)."""
    return build.build_notebook(src, version="student")


def execute(src: Path, cache: Path = EXECUTED, timeout: int = 300, library: str | None = None,
            log=print):
    """The executed student version of one lesson (reused from ``cache`` when unchanged)."""
    nb = export_notebook(src)
    # From the source, not the built notebook: a build without a previous notebook gets new
    # random cell ids every time. rnnlab/build.py is part of the library digest.
    key = cache_key(src.read_text(encoding="utf-8"), library)
    cached, key_file = cache / f"{src.stem}.ipynb", cache / f"{src.stem}.key"
    if cached.exists() and key_file.exists() and key_file.read_text().strip() == key:
        return nbformat.read(cached, as_version=4)
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb.cells.insert(0, nbformat.v4.new_code_cell(ACTIVATE))
    workdir = cache / "run"
    workdir.mkdir(parents=True, exist_ok=True)
    # The kernel writes quiz progress here, never into the lecturer's own; no solution on request.
    env = dict(os.environ, RNNLAB_DATA_DIR=str(cache / "progress"), RNNLAB_SOLUTIONS="off",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT),
                                                        os.environ.get("PYTHONPATH")])))
    client = NotebookClient(nb, kernel_name=build.KERNELSPEC["name"], timeout=timeout,
                            resources={"metadata": {"path": str(workdir)}})
    start = time.perf_counter()
    try:
        client.execute(env=env)
    except CellExecutionError as err:
        raise ExportError(f"{src.name} failed while executing for export: "
                          f"{str(err).strip().splitlines()[-1]}") from None
    log(f"executed {src.name} in {time.perf_counter() - start:.0f} s")
    nb.cells.pop(0)
    cache.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, cached)
    key_file.write_text(key + "\n")
    return nb


# --- pages -------------------------------------------------------------------------------------

def lesson_title(nb) -> str:
    """The first Markdown heading, without its ``#``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return "Lesson"


def goals(nb) -> list[str]:
    """The "You will be able to" bullets of the first cell, as Markdown strings."""
    first = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
    out, inside = [], False
    for line in first.splitlines():
        if "will be able to" in line.lower():
            inside = True
        elif inside and line.startswith("- "):
            out.append(line[2:].strip())
        elif inside and line.startswith("  ") and out:
            out[-1] += " " + line.strip()
        elif inside and line.strip():
            break
    return out


def relink(page: str, suffix: str) -> str:
    """Links between lessons (``NN_name.ipynb``) pointed at the exported pages."""
    return LESSON_LINK.sub(lambda m: f'href="{m.group(1)}{suffix}"', page)


def copy_assets(dest: Path, reveal: bool) -> None:
    """MathJax (and reveal.js) into ``dest/_static``, once."""
    import jupyter_server_mathjax

    static = dest / STATIC
    mathjax = Path(jupyter_server_mathjax.__file__).parent / "static"
    if not (static / "mathjax" / "MathJax.js").exists():
        shutil.copytree(mathjax, static / "mathjax", dirs_exist_ok=True)
    if reveal and not (static / "reveal.js" / "dist" / "reveal.js").exists():
        shutil.copytree(REVEAL, static / "reveal.js", dirs_exist_ok=True)


def _exporter(kind: str):
    from nbconvert import HTMLExporter, SlidesExporter

    common = dict(extra_template_basedirs=[str(TEMPLATES)], mathjax_url=MATHJAX_URL,
                  exclude_input_prompt=True, exclude_output_prompt=True)
    if kind == "slides":
        return SlidesExporter(template_name="rnnlab_reveal",
                              reveal_url_prefix=f"{STATIC}/reveal.js", reveal_theme="white",
                              reveal_scroll=True, **common)
    return HTMLExporter(template_name="rnnlab_lab", **common)


def _nav(lessons: list[tuple[str, str]], i: int, suffix: str) -> dict:
    prev = lessons[i - 1] if i > 0 else None
    nxt = lessons[i + 1] if i + 1 < len(lessons) else None
    return {"prev": prev and {"href": prev[0] + suffix, "title": prev[1]},
            "next": nxt and {"href": nxt[0] + suffix, "title": nxt[1]},
            "index": "index.html"}


def lesson_sources(only: list[str] | None = None) -> list[Path]:
    return [s for s in build.lesson_sources()
            if not only or any(s.stem.startswith(p) for p in only)]


def export(kind: str, dest: Path, only: list[str] | None = None, cache: Path = EXECUTED,
           log=print) -> list[Path]:
    """Write the slide decks (``kind="slides"``) or the site (``"site"``) into ``dest``; returns
    the pages written, index first."""
    if kind not in ("slides", "site"):
        raise ValueError(f"kind must be 'slides' or 'site', got {kind!r}")
    dest.mkdir(parents=True, exist_ok=True)
    copy_assets(dest, reveal=kind == "slides")
    library = _library_digest()
    suffix = ".slides.html" if kind == "slides" else ".html"
    notebooks = [(src, execute(src, cache, library=library, log=log))
                 for src in lesson_sources(only)]
    lessons = [(src.stem, lesson_title(nb)) for src, nb in notebooks]
    exporter = _exporter(kind)
    pages = [dest / "index.html"]
    for i, (src, nb) in enumerate(notebooks):
        nb = nbformat.from_dict(json.loads(json.dumps(nb)))  # a copy: the cache stays as it is
        nb.metadata["title"] = lessons[i][1]
        if kind == "slides":
            with_slide_types(nb)
        body, _ = exporter.from_notebook_node(
            nb, resources={"rnnlab_nav": _nav(lessons, i, suffix),
                           "metadata": {"name": src.stem}})
        page = dest / (src.stem + suffix)
        page.write_text(relink(body, suffix), encoding="utf-8")
        pages.append(page)
        log(f"wrote {page.relative_to(dest.parent) if dest.parent in page.parents else page}")
    (dest / "index.html").write_text(index_page(notebooks, suffix, kind), encoding="utf-8")
    return pages


def index_page(notebooks, suffix: str, kind: str) -> str:
    import mistune

    rows = []
    for src, nb in notebooks:
        items = "".join(f"<li>{mistune.html(g).strip().removeprefix('<p>').removesuffix('</p>')}"
                        "</li>" for g in goals(nb))
        rows.append(f'<li class="lesson"><a href="{src.stem}{suffix}">'
                    f"{html.escape(lesson_title(nb))}</a>"
                    + (f"<ul>{items}</ul>" if items else "") + "</li>")
    what = "slides" if kind == "slides" else "lessons"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>RNN Lab: {what}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 52em; margin: 2em auto; padding: 0 1em;
       line-height: 1.45; color: #222; }}
li.lesson {{ margin: 0.8em 0; }} li.lesson > a {{ font-weight: 600; font-size: 1.1em; }}
code {{ background: #f3f3f3; padding: 0 0.2em; }}
</style></head>
<body>
<h1>RNN Lab: recurrent neural networks, {what}</h1>
<p>A read-only copy of the course: every lesson as it runs, plots as images, quiz questions
without their answers, exercises unsolved. It works offline. To run the code, move the sliders
and check your answers, open the lessons in JupyterLab (<code>make lab</code>).</p>
<h2>Lesson map</h2>
<ol class="lesson-map" start="0" style="list-style:none;padding-left:0">
{chr(10).join(rows)}
</ol>
</body></html>
"""


def main(argv: list[str]) -> int:
    args = list(argv)
    only: list[str] = []
    if "--only" in args:
        i = args.index("--only")
        only, args = args[i + 1:], args[:i]
    if not args or args[0] not in ("slides", "site"):
        print("usage: python -m rnnlab.export slides|site [DIR] [--only PREFIX ...]",
              file=sys.stderr)
        return 2
    kind = args[0]
    dest = Path(args[1]).resolve() if len(args) > 1 else (SLIDES_DIR if kind == "slides"
                                                          else SITE_DIR)
    start = time.perf_counter()
    try:
        pages = export(kind, dest, only or None)
    except ExportError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"{kind}: {len(pages)} pages in {dest}/ ({time.perf_counter() - start:.0f} s); "
          f"open {dest / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


# --- for the tests: what a solution looks like --------------------------------------------------

def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def solution_fingerprints(min_len: int = 12) -> dict[str, list[str]]:
    """{exercise: the lines of its worked solution (``rnnlab/solutions.json``) that appear
    nowhere else in its lesson's source}, whitespace collapsed. A page or notebook that holds
    one of them shows (part of) a solution. Comment lines and lines shorter than ``min_len``
    are left out (``return h`` proves nothing)."""
    table = json.loads(build.SOLUTIONS_JSON.read_text(encoding="utf-8"))
    sources = {f"l{s.stem[:2]}": s for s in build.lesson_sources()}
    out: dict[str, list[str]] = {}
    for name, code in table.items():
        src = sources.get(name.split(".")[0])
        if src is None:
            continue
        rest = _squash(build.SOLUTION_BLOCK.sub("", src.read_text(encoding="utf-8")))
        lines = {_squash(line) for line in code.splitlines()}
        out[name] = sorted(line for line in lines
                           if len(line) >= min_len and not line.startswith("#")
                           and line not in rest)
    return out


def solutions_shown(text: str, fingerprints: dict[str, list[str]] | None = None) -> list[str]:
    """The exercises whose solution lines occur in ``text`` (a page's text, a notebook)."""
    fingerprints = solution_fingerprints() if fingerprints is None else fingerprints
    flat = _squash(text)
    return sorted(name for name, lines in fingerprints.items()
                  if any(line in flat for line in lines))
