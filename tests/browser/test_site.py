"""The slide decks (make slides) and the offline site (make site), opened from file:// in
headless Chromium with the network cut off: every request that is not a local file is aborted,
and the test fails if a page even tried one.

Both are built once per session (``exported``) into test-output/slides and test-output/site.
The executed lessons are reused from build/executed/ when the lessons and the library are
unchanged (rnnlab.export's cache); from a fresh clone the first build executes every lesson
(about a minute each on a 2-core machine)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rnnlab import build, export

pytestmark = pytest.mark.timeout(2400)  # the session's first test also builds everything

OUT = build.ROOT / "test-output"
LESSONS = [s.stem for s in build.lesson_sources()]
MATH_IN = re.compile(r"\$[^$\n]+\$")
PLOT_CODE = re.compile(r"\bfigure\(|plt\.|Explorer\(")


@pytest.fixture(scope="session")
def exported(browser_ready):
    site = export.export("site", OUT / "site")
    slides = export.export("slides", OUT / "slides")
    return {"site": site, "slides": slides}


@pytest.fixture(scope="session")
def fingerprints():
    return export.solution_fingerprints()


def open_offline(browser, path: Path):
    """The page at file://path with every other request aborted; returns (page, report)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    report = {"attempted": [], "failed": [], "errors": []}

    def route(r):
        url = r.request.url
        if url.startswith(("file://", "data:")):
            r.continue_()
        else:
            report["attempted"].append(url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    # MathJax 2's HTML-CSS output probes fonts with a face whose source is about:blank
    # ("MathJax_Blank"), which Chromium refuses; it is no request for a file, local or not.
    page.on("requestfailed", lambda r: r.url == "about:blank"
            or report["failed"].append(f"{r.url} ({r.failure})"))
    page.on("pageerror", lambda e: report["errors"].append(str(e)))
    page.goto(path.as_uri(), wait_until="load")
    # MathJax 2 queues typesetting; a callback queued now runs after it has finished.
    ready = page.evaluate("""() => new Promise(resolve => {
        if (!(window.MathJax && MathJax.Hub)) { resolve(false); return; }
        MathJax.Hub.Queue(() => resolve(true));
        setTimeout(() => resolve(false), 60000);
    })""")
    report["mathjax"] = ready
    return context, page, report


def lesson_source(stem: str) -> str:
    return (build.SOURCES / f"{stem}.py").read_text(encoding="utf-8")


def check_common(page, report, stem: str):
    assert report["attempted"] == [], f"{stem}: requests that left the machine"
    assert report["failed"] == [], f"{stem}: failed requests"
    assert report["errors"] == [], f"{stem}: script errors"
    assert report["mathjax"], f"{stem}: the local MathJax did not load or finish"
    src = lesson_source(stem)
    markdown = "\n".join(c.source for c in
                         export.export_notebook(build.SOURCES / f"{stem}.py").cells
                         if c.cell_type == "markdown")
    if MATH_IN.search(markdown):  # TeX in the prose (code may hold matplotlib's own)
        assert page.locator(".MathJax, .MathJax_Display, .MathJax_SVG").count() > 0, \
            f"{stem}: maths in the source, none typeset"
    if PLOT_CODE.search(src):
        n = page.evaluate("""() => [...document.querySelectorAll('img.rnnlab-static-plot')]
                             .filter(i => i.complete && i.naturalWidth > 50).length""")
        assert n > 0, f"{stem}: plots in the source, no plot image on the page"


@pytest.mark.parametrize("stem", LESSONS)
def test_site_page_opens_offline(exported, browser, fingerprints, stem):
    path = OUT / "site" / f"{stem}.html"
    assert path in exported["site"]
    context, page, report = open_offline(browser, path)
    try:
        check_common(page, report, stem)
        title = export.lesson_title(export.export_notebook(build.SOURCES / f"{stem}.py"))
        assert page.locator("h1").first.inner_text().strip().rstrip("¶").strip() == title
        text = page.inner_text("body")
        lesson = {k: v for k, v in fingerprints.items() if k[1:3] == stem[:2]}
        assert export.solutions_shown(text, lesson) == [], f"{stem}: solution code on the page"
        # quizzes: shown as text, no answer, no widget left blank
        assert "Loading widget" not in text and "Error displaying widget" not in text
        if "quiz.show(" in lesson_source(stem):
            assert page.locator(".rnnlab-static-quiz").count() >= 1
        # navigation: every link to another page of the site points at a file that exists
        for href in page.eval_on_selector_all("nav.rnnlab-nav a", "a => a.map(x => x.href)"):
            assert Path(href.removeprefix("file://")).exists(), href
        i = LESSONS.index(stem)
        assert page.locator('nav a[rel="next"]').count() == (2 if i + 1 < len(LESSONS) else 0)
        assert page.locator('nav a[rel="prev"]').count() == (2 if i > 0 else 0)
    finally:
        context.close()


def test_site_index_lists_every_lesson(exported, browser):
    context, page, report = open_offline(browser, OUT / "site" / "index.html")
    try:
        assert report["attempted"] == [] and report["failed"] == [] and report["errors"] == []
        links = page.eval_on_selector_all("ol.lesson-map li.lesson > a",
                                          "a => a.map(x => x.getAttribute('href'))")
        assert links == [f"{stem}.html" for stem in LESSONS]
    finally:
        context.close()


@pytest.mark.parametrize("stem", LESSONS)
def test_slide_deck_opens_offline(exported, browser, stem):
    path = OUT / "slides" / f"{stem}.slides.html"
    assert path in exported["slides"]
    context, page, report = open_offline(browser, path)
    try:
        page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=30000)
        check_common(page, report, stem)
        slides = page.evaluate("() => Reveal.getTotalSlides()")
        assert slides >= 3, f"{stem}: {slides} slides"
        title = export.lesson_title(export.export_notebook(build.SOURCES / f"{stem}.py"))
        first = page.evaluate("() => Reveal.getSlide(0).textContent")  # the theme upper-cases
        assert title in first, f"{stem}: the first slide does not show the lesson's title"
        # exercise cells are skipped: no stub on a slide
        deck = page.evaluate("() => document.querySelector('.reveal .slides').textContent")
        assert "raise NotImplementedError()" not in deck
        page.keyboard.press("ArrowRight")  # it responds to the keyboard
        assert page.evaluate("() => Reveal.getIndices().h") == 1
    finally:
        context.close()
