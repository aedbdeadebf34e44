"""Drive the course in a real JupyterLab in a real browser (Playwright on Debian's Chromium).

Used by the browser tests (``tests/browser``) and by ``benchmarks/widget_latency.py``:

* ``LabServer``: JupyterLab on a free loopback port with a token, on a temporary copy of the
  notebooks, with isolated settings (all cells rendered, no news pop-up) and ``RNNLAB_STRICT=1``;
  ``stop()`` shuts down its kernels and the server.
* ``launch_browser()``: headless Chromium from ``/usr/bin/chromium`` (never a downloaded one).
* ``NotebookPage``: open a notebook, Run All, wait for the kernel to finish, and report problems
  (error outputs, widgets that failed to display or never loaded, callback errors) by notebook;
  find quiz panels and interactive plots, answer and move them, and watch the canvas pixels.
"""

from __future__ import annotations

import atexit
import html
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
QUIZZES = ROOT / "rnnlab" / "quizzes"
LAB_SETTINGS = ROOT / "jupyter" / "lab" / "settings"
CHROMIUM = Path(os.environ.get("RNNLAB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1400, "height": 1000}
# Seconds a notebook may take to run top to bottom in the browser (lessons aim for 60 s).
RUN_TIMEOUT = float(os.environ.get("RNNLAB_BROWSER_RUN_TIMEOUT", "300"))
# Seconds a plot may take to redraw after a control moves.
REDRAW_TIMEOUT = float(os.environ.get("RNNLAB_BROWSER_REDRAW_TIMEOUT", "15"))

# Lines in the server's log (the kernels write there) that mean a callback raised.
KERNEL_ERROR = re.compile(r"Traceback \(most recent call last\)|Exception in comm_msg|"
                          r"Error in callback|Exception in callback")


def notebooks() -> list[Path]:
    """Every notebook of the course, in lesson order (discovered, never listed)."""
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def browser_missing() -> str | None:
    """Why the browser tests cannot run here (None when they can)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install -r requirements.txt)"
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    return None


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """In the server's process (Linux): SIGTERM when the process that started it dies, so a
    killed test run leaves no server behind (the server then shuts down its kernels)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


class LabServer:
    """JupyterLab serving ``base/root`` (a copy of notebooks/ under ``root/notebooks``).

    Everything it writes (settings, workspaces, runtime files, autosaves) stays under ``base``.
    The kernelspec ``rnnlab`` is found in ``<venv>/share/jupyter/kernels`` through sys.prefix, as
    the server runs on this interpreter."""

    def __init__(self, base: Path | None = None, strict: bool = True, python: str | None = None):
        self._own_base = base is None
        self.base = Path(tempfile.mkdtemp(prefix="rnnlab-lab-")) if base is None else Path(base)
        self.root = self.base / "root"
        self.strict = strict
        self.python = python or sys.executable
        self.port = 0
        self.token = secrets.token_hex(16)
        self.proc: subprocess.Popen | None = None
        self.log_path = self.base / "server.log"
        self._log = None

    # -- set-up ------------------------------------------------------------------------------
    def _prepare(self) -> dict[str, str]:
        b = self.base
        if self.root.exists():
            shutil.rmtree(self.root)
        shutil.copytree(NOTEBOOKS, self.root / "notebooks",
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        (self.root / "scratch").mkdir()
        settings = b / "settings"
        _write_json(settings / "@jupyterlab" / "notebook-extension" /
                    "tracker.jupyterlab-settings", {"windowingMode": "none"})
        _write_json(settings / "@jupyterlab" / "apputils-extension" /
                    "notification.jupyterlab-settings",
                    {"fetchNews": "false", "checkForUpdates": False})
        # The course's own JupyterLab defaults (jupyter/lab/settings), as `make setup` installs
        # them into the environment.
        app_settings = b / "app-settings"
        if app_settings.exists():
            shutil.rmtree(app_settings)
        shutil.copytree(LAB_SETTINGS, app_settings)
        config = b / "config"
        _write_json(config / "labconfig" / "page_config.json",
                    {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
        env = dict(os.environ)
        env.update({
            "JUPYTER_CONFIG_DIR": str(config),
            "JUPYTERLAB_SETTINGS_DIR": str(settings),
            "JUPYTERLAB_WORKSPACES_DIR": str(b / "workspaces"),
            "JUPYTER_RUNTIME_DIR": str(b / "runtime"),
            "JUPYTER_DATA_DIR": str(b / "data"),
            "IPYTHONDIR": str(b / "ipython"),
            "PYTHONUNBUFFERED": "1",
        })
        env.pop("JUPYTER_PATH", None)
        if self.strict:
            env["RNNLAB_STRICT"] = "1"
        else:
            env.pop("RNNLAB_STRICT", None)
        return env

    def start(self, timeout: float = 90) -> LabServer:
        env = self._prepare()
        self.port = _free_port()
        cmd = [
            self.python, "-m", "jupyterlab", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}", "--ServerApp.terminals_enabled=False",
            "--LabApp.expose_app_in_browser=True",
            "--ServerApp.shutdown_no_activity_timeout=0", "--LabApp.extension_manager=readonly",
            f"--LabApp.app_settings_dir={self.base / 'app-settings'}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI run as root
            cmd.append("--allow-root")
        self._log = open(self.log_path, "w", encoding="utf-8")  # noqa: SIM115
        self.proc = subprocess.Popen(
            cmd, cwd=self.root, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
        atexit.register(self.stop)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.proc.returncode}:\n"
                                   + self.log_tail())
            try:
                specs = self.api("GET", "/api/kernelspecs")
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"JupyterLab did not answer in {timeout:.0f} s:\n"
                                       + self.log_tail()) from None
                time.sleep(0.25)
        if "rnnlab" not in specs.get("kernelspecs", {}):
            names = ", ".join(specs.get("kernelspecs", {}))
            self.stop()
            raise RuntimeError(f"the server does not see the kernelspec 'rnnlab' (it sees {names});"
                               " run `make setup`")
        return self

    # -- use ---------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, method: str, path: str, timeout: float = 10):
        req = urllib.request.Request(self.url + path, method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def notebook_url(self, relpath: str) -> str:
        return f"{self.url}/lab/tree/{relpath}?token={self.token}&reset"

    def add_notebook(self, name: str, nb: dict) -> str:
        """Write a scratch notebook into the served folder; returns its path for ``open``."""
        path = self.root / "scratch" / name
        path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
        return f"scratch/{name}"

    def log_mark(self) -> int:
        if self._log is not None:
            self._log.flush()
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_since(self, mark: int) -> str:
        if self._log is not None:
            self._log.flush()
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            f.seek(mark)
            return f.read()

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def shutdown_kernels(self) -> None:
        try:
            for k in self.api("GET", "/api/kernels") or []:
                self.api("DELETE", f"/api/kernels/{k['id']}", timeout=30)
        except (urllib.error.URLError, OSError):
            pass

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.shutdown_kernels()
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                pass
            try:  # the server's process group: itself and any kernel left behind
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(10)
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._own_base:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> LabServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# --------------------------------------------------------------------------------------------
# The browser
# --------------------------------------------------------------------------------------------

def launch_browser(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                      args=CHROMIUM_ARGS)


# --------------------------------------------------------------------------------------------
# Quiz answers, read from rnnlab/quizzes/*.toml
# --------------------------------------------------------------------------------------------

def _norm(text: str) -> str:
    """Text as the browser shows it: tags dropped, entities decoded, spacing collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", text))).strip()


@dataclass
class QuizAnswer:
    """What the tests need to know about one question to answer it wrong, then right."""

    id: str
    type: str
    prompt: str
    explanation: str
    options: list[str] = field(default_factory=list)  # option texts, in order
    correct: list[int] = field(default_factory=list)  # indices of the correct options
    answer: float | None = None
    tolerance: float = 0.0
    accept: list[str] = field(default_factory=list)

    @classmethod
    def from_entry(cls, e: dict) -> QuizAnswer:
        opts = e.get("option", [])
        return cls(id=e["id"], type=e["type"], prompt=e["prompt"], explanation=e["explanation"],
                   options=[o["text"] for o in opts],
                   correct=[i for i, o in enumerate(opts) if o.get("correct", False)],
                   answer=e.get("answer"), tolerance=float(e.get("tolerance", 0.0)),
                   accept=list(e.get("accept", [])))

    def wrong(self):
        """A response graded wrong (not invalid): option indices, or text to type."""
        if self.type == "single":
            return [next(i for i in range(len(self.options)) if i not in self.correct)]
        if self.type == "multiple":
            others = [i for i in range(len(self.options)) if i not in self.correct]
            return others if others else self.correct[:1]
        if self.type == "numeric":
            return repr(float(self.answer) + 10 * self.tolerance + 1.0)
        return "certainly not the answer"

    def right(self):
        if self.type in ("single", "multiple"):
            return list(self.correct)
        if self.type == "numeric":
            return repr(float(self.answer))
        return self.accept[0]


def quiz_answers(folder: Path = QUIZZES, notebook: str = "") -> dict[str, QuizAnswer]:
    """Every question of the course, keyed by its prompt as the browser shows it. Where two
    lessons share a prompt, the notebook's own lesson (``NN_name.ipynb`` -> ``lNN.toml``) wins."""
    out: dict[str, QuizAnswer] = {}
    m = re.match(r"(\d+)_", Path(notebook).name)
    own = f"l{m[1]}.toml" if m else ""
    for path in sorted(folder.glob("*.toml"), key=lambda p: (p.name == own, p.name)):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for entry in data.get("question", []):
            q = QuizAnswer.from_entry(entry)
            out[_norm(q.prompt)] = q
    return out


# --------------------------------------------------------------------------------------------
# A notebook in the browser
# --------------------------------------------------------------------------------------------

# JavaScript run in the page. Each takes the panel element (or nothing) as its argument.
_JS_CELLS = """() => {
  const panel = document.querySelector('.jp-NotebookPanel');
  if (!panel) return [];
  return [...panel.querySelectorAll('.jp-Notebook .jp-Cell')].map((c, i) => {
    const outs = [...c.querySelectorAll('.jp-OutputArea-output')];
    const last = t => t.trim().split('\\n').filter(l => l.trim()).slice(-1)[0] || t.trim();
    const editor = c.querySelector('.jp-InputArea-editor');
    const ERR = '[data-mime-type="application/vnd.jupyter.error"]';
    return {
      index: i + 1,
      code: c.classList.contains('jp-CodeCell'),
      prompt: (c.querySelector('.jp-InputPrompt') || {innerText: ''}).innerText.trim(),
      source: editor ? editor.textContent : '',
      errors: outs.filter(o => o.matches(ERR) || o.querySelector(ERR)).map(o => last(o.innerText)),
      widgetErrors: c.querySelectorAll('.jupyter-widgets-error-widget').length,
      errorText: outs.some(o => o.innerText.includes('Error displaying widget')),
      loading: outs.some(o => o.innerText.includes('Loading widget...')),
      text: outs.map(o => o.innerText).join('\\n'),
      internal: [...c.querySelectorAll('.rnnlab-status')].map(s => s.innerText.trim())
                  .filter(t => t.includes('internal error')),
    };
  });
}"""

# Error outputs, from the notebook's model (in the page they render like any stderr text).
_JS_MODEL_ERRORS = """(path) => {
  const app = window.jupyterapp;
  if (!app) return null;
  for (const w of app.shell.widgets('main')) {
    if (!w.context || w.context.path !== path || !w.content || !w.content.model) continue;
    const cells = w.content.model.cells, out = [];
    for (let i = 0; i < cells.length; i++) {
      const cell = cells.get(i);
      if (cell.type !== 'code') continue;
      for (let j = 0; j < cell.outputs.length; j++) {
        const o = cell.outputs.get(j).toJSON();
        if (o.output_type === 'error') out.push({index: i + 1, text: o.ename + ': ' + o.evalue});
      }
    }
    return out;
  }
  return null;
}"""

_JS_HASH = """(panel) => {
  const c = panel.querySelector('.jupyter-matplotlib-canvas-div canvas');
  if (!c) return null;
  if (!c.width || !c.height) return 'empty';
  const u = new Uint32Array(c.getContext('2d').getImageData(0, 0, c.width, c.height).data.buffer);
  let h = 2166136261 >>> 0, same = true;
  for (let i = 0; i < u.length; i++) {
    h = Math.imul(h ^ u[i], 16777619) >>> 0;
    same = same && u[i] === u[0];
  }
  return same ? 'blank' : c.width + 'x' + c.height + ':' + h.toString(16);
}"""

# Records, for the ipympl canvas of a panel, the time of every draw onto it, and for the panel,
# the time of every input event (key, pointer, change). Times are performance.now() values.
_JS_WATCH = """(panel) => {
  if (!window.__rnnlabPatched) {
    const orig = CanvasRenderingContext2D.prototype.drawImage;
    CanvasRenderingContext2D.prototype.drawImage = function (...args) {
      const out = orig.apply(this, args);
      const log = this.canvas.__rnnlabDraws;
      if (log) log.push(performance.now());
      if (this.canvas.__rnnlabOnDraw) this.canvas.__rnnlabOnDraw();
      return out;
    };
    window.__rnnlabPatched = true;
  }
  const c = panel.querySelector('.jupyter-matplotlib-canvas-div canvas');
  if (!c) return false;
  c.__rnnlabDraws = c.__rnnlabDraws || [];
  if (!panel.__rnnlabInputs) {
    panel.__rnnlabInputs = [];
    for (const type of ['keydown', 'pointerdown', 'change', 'input'])
      panel.addEventListener(type, e => panel.__rnnlabInputs.push(e.timeStamp), true);
  }
  return true;
}"""

# Before a change: a promise (window.__rnnlabWait) that resolves at the first draw on the canvas
# after a new input event, or after ``ms`` milliseconds. Waiting on it is one call that returns
# when the draw happens, so nothing polls the page while the change is on its way (polling from
# Python costs CPU in the browser, the driver and Python, which on a 2-core machine delays the
# kernel and the page it measures).
_JS_ARM = """(panel, ms) => {
  const c = panel.querySelector('.jupyter-matplotlib-canvas-div canvas');
  const i0 = panel.__rnnlabInputs.length;
  window.__rnnlabWait = new Promise(resolve => {
    const timer = setTimeout(() => { c.__rnnlabOnDraw = null; resolve(false); }, ms);
    c.__rnnlabOnDraw = () => {
      if (panel.__rnnlabInputs.length > i0) {
        c.__rnnlabOnDraw = null;
        clearTimeout(timer);
        resolve(true);
      }
    };
  });
  return true;
}"""

_JS_WATCHED = """(panel) => {
  const c = panel.querySelector('.jupyter-matplotlib-canvas-div canvas');
  return {draws: c.__rnnlabDraws.slice(), inputs: panel.__rnnlabInputs.slice()};
}"""

# Installed before JupyterLab loads: the time of every kernel message that asks an ipympl canvas
# to redraw ({"type": "draw"}, sent by draw_idle once a callback has updated the artists), and
# of every image an ipympl canvas receives ({"type": "binary"}: a full frame, or a blit's diff).
_JS_WS_SPY = r"""(() => {
  const Orig = window.WebSocket, decoder = new TextDecoder();
  window.__rnnlabDrawRequests = [];
  window.__rnnlabImages = [];
  window.WebSocket = class extends Orig {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (ev) => {
        const d = ev.data;
        const text = typeof d === 'string' ? d
          : d instanceof ArrayBuffer ? decoder.decode(new Uint8Array(d)) : '';
        if (text.includes('\\"type\\": \\"draw\\"') || text.includes('\\"type\\":\\"draw\\"'))
          window.__rnnlabDrawRequests.push(performance.now());
        if (text.includes('\\"type\\": \\"binary\\"') || text.includes('\\"type\\":\\"binary\\"'))
          window.__rnnlabImages.push(performance.now());
      });
    }
  };
})();"""

CONTROL_SELECTOR = ", ".join([
    ".widget-slider", ".widget-dropdown", ".widget-toggle-buttons", ".widget-checkbox",
    ".widget-radio", ".widget-text", ".widget-textarea", ".jupyter-widgets.widget-toggle-button",
    ".widget-select", ".jupyter-widgets.widget-button",
])


@dataclass
class Control:
    kind: str  # slider dropdown toggle-buttons toggle checkbox radio number text button
    label: str
    locator: object

    def __str__(self) -> str:
        return f"{self.kind} {self.label!r}" if self.label else self.kind


class NotebookPage:
    """One notebook opened in its own browser context. ``problems`` collects what went wrong,
    as lines that start with the notebook's name."""

    def __init__(self, server: LabServer, browser, relpath: str, scale: float = 1.0):
        """``scale``: the screen's pixel density (2 for a "retina" screen)."""
        self.server, self.browser, self.relpath = server, browser, relpath
        self.name = Path(relpath).name
        self.context = browser.new_context(viewport=VIEWPORT, device_scale_factor=scale)
        self.context.add_init_script(_JS_WS_SPY)
        self.page = self.context.new_page()
        self.console_errors: list[str] = []
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda err: self.console_errors.append(f"page error: {err}"))
        self._log_mark = server.log_mark()
        self._direction: dict[int, bool] = {}
        self.redraw_timeout = REDRAW_TIMEOUT

    def _on_console(self, msg) -> None:
        if msg.type == "error":
            self.console_errors.append(msg.text.splitlines()[0][:300])

    def close(self) -> None:
        try:
            self.context.close()
        finally:
            self.server.shutdown_kernels()

    # -- opening and running -----------------------------------------------------------------
    def status_bar(self) -> list[str]:
        """The status bar's items; the kernel's reads e.g. "Python (RNN Lab) | Idle"."""
        text = self.page.inner_text("#jp-main-statusbar")
        return [s.strip() for s in re.split(r"\n|\|", text) if s.strip()]

    def wait_kernel_idle(self, timeout: float = 120) -> None:
        """Wait for the status bar's kernel status to read Idle (the notebook's own execution
        indicator says idle before the kernel even exists)."""
        deadline = time.monotonic() + timeout
        while "Idle" not in self.status_bar():
            dialog = self.page.query_selector(".jp-Dialog")
            if dialog is not None:
                raise AssertionError(f"{self.name}: a dialog blocks the notebook: "
                                     + _norm(dialog.inner_text())[:300])
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: the kernel was not idle after {timeout:.0f} s "
                                     f"(status bar: {' | '.join(self.status_bar())})")
            time.sleep(0.25)

    def open(self) -> NotebookPage:
        self.page.goto(self.server.notebook_url(self.relpath))
        self.page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=60_000)
        self.wait_kernel_idle()
        # The file browser off: the notebook gets the width (as in a screenshot of a lesson).
        self.page.evaluate("() => window.jupyterapp && window.jupyterapp.shell.collapseLeft()")
        return self

    def cells(self) -> list[dict]:
        return self.page.evaluate(_JS_CELLS)

    def run_all(self, timeout: float = RUN_TIMEOUT) -> float:
        """Run > Run All Cells, then wait until every queued cell has run and the kernel is
        idle. Returns the seconds it took."""
        t0 = time.monotonic()
        if not any(c["code"] and c["source"].strip() for c in self.cells()):
            return 0.0
        self.page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
        self.page.locator(".lm-Menu-item", has=self.page.locator(
            ".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$"))).click()
        started = time.monotonic()
        while not any(c["prompt"] not in ("", "[ ]:") for c in self.cells() if c["code"]):
            if time.monotonic() - started > 30:
                raise AssertionError(f"{self.name}: Run All Cells started no cell in 30 s")
            time.sleep(0.1)
        settled = 0
        while settled < 2:
            time.sleep(0.5)
            busy = [c for c in self.cells() if c["code"] and c["prompt"] == "[*]:"]
            settled = settled + 1 if not busy and "Idle" in self.status_bar() else 0
            if time.monotonic() - t0 > timeout:
                where = f"cell {busy[0]['index']}" if busy else "the kernel"
                raise AssertionError(f"{self.name}: still running after {timeout:.0f} s "
                                     f"({where} busy)")
        return time.monotonic() - t0

    def save(self, timeout: float = 30) -> None:
        """File > Save, then wait until the notebook is no longer marked as changed."""
        self.page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        deadline = time.monotonic() + timeout
        while self.page.evaluate("""(path) => {
            for (const w of window.jupyterapp.shell.widgets('main'))
              if (w.context && w.context.path === path) return w.context.model.dirty;
            return true; }""", self.relpath):
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: not saved after {timeout:.0f} s")
            time.sleep(0.2)

    def wait_widgets(self, timeout: float = 30) -> None:
        """Give widget views time to render (each shows "Loading widget..." until it does)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(c["loading"] for c in self.cells()):
            time.sleep(0.25)

    # -- checking ----------------------------------------------------------------------------
    def log_console_errors(self) -> list[str]:
        """Error entries of this notebook in JupyterLab's log console, where ipywidgets puts
        the output of widget callbacks (a callback's traceback lands here, not in a cell)."""
        if self.page.query_selector(".jp-LogConsole") is None:
            self.page.evaluate("() => window.jupyterapp.commands.execute('logconsole:open')")
            self.page.wait_for_selector(".jp-LogConsole", state="attached", timeout=10_000)
            time.sleep(0.3)
        return self.page.evaluate("""(src) => {
          const area = document.getElementById('source:' + src);
          if (!area) return [];
          return [...area.querySelectorAll('.jp-OutputArea-child')].filter(e => {
            const p = e.querySelector('[data-log-level]');
            const level = p ? p.getAttribute('data-log-level') : '';
            return level === 'error' || level === 'critical';
          }).map(e => {
            const o = e.querySelector('.jp-OutputArea-output');
            const lines = (o ? o.innerText : e.innerText).split('\\n').filter(l => l.trim());
            return lines.slice(-1)[0] || '';
          });
        }""", self.relpath)

    def problems(self, executed: bool = True) -> list[str]:
        """Every problem visible now, one line each, naming the notebook (and cell)."""
        out = []
        cells = self.cells()
        model_errors = self.page.evaluate(_JS_MODEL_ERRORS, self.relpath)
        for c in cells:
            where = f"{self.name} cell {c['index']}"
            errors = c["errors"] if model_errors is None else [
                e["text"] for e in model_errors if e["index"] == c["index"]]
            for err in errors:
                out.append(f"{where}: error output: {_first_line(RuntimeError(err))}")
            if c["widgetErrors"] or c["errorText"]:
                out.append(f"{where}: Error displaying widget")
            if c["loading"]:
                out.append(f"{where}: widget stuck on 'Loading widget...'")
            for line in c["internal"]:
                out.append(f"{where}: widget callback failed: {line}")
            if executed and c["code"] and c["source"].strip() and not re.fullmatch(
                    r"\[\d+\]:", c["prompt"]):
                out.append(f"{where}: not executed (prompt {c['prompt'] or 'empty'})")
        for err in self.log_console_errors():
            out.append(f"{self.name}: widget callback raised (log console): {err}")
        for err in self.console_errors:
            out.append(f"{self.name}: browser console: {err}")
        log = self.server.log_since(self._log_mark)
        for line in log.splitlines():
            if re.search(r"KernelRestarter|restarting kernel|Kernel died|Dead kernel", line):
                out.append(f"{self.name}: kernel died: {line.strip()[:200]}")
        return list(dict.fromkeys(out))

    def screenshot(self, path: Path) -> None:
        """The whole notebook in one picture: the viewport grows to the notebook's height."""
        path.parent.mkdir(parents=True, exist_ok=True)
        height = self.page.evaluate("""() => {
          const s = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer');
          return s ? s.scrollHeight - s.clientHeight + window.innerHeight : window.innerHeight;
        }""")
        self.page.set_viewport_size({"width": VIEWPORT["width"],
                                     "height": int(min(max(height + 40, 600), 16000))})
        time.sleep(0.5)
        self.page.evaluate("""() => {
          const s = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer');
          if (s) s.scrollTop = 0;
        }""")
        time.sleep(0.3)
        try:
            self.page.screenshot(path=str(path))
        finally:
            self.page.set_viewport_size(VIEWPORT)

    # -- exercises ---------------------------------------------------------------------------
    def exercise_problems(self) -> tuple[list[str], list[str]]:
        """The exercises whose check cell ran in the learner's version, and a line for each one
        whose checker did not say "not implemented yet" (an exercise must start unsolved)."""
        names, out = [], []
        for c in self.cells():
            m = re.match(r"""\s*check\(\s*["'](l\d\d\.\w+)["']""", c["source"])
            if not (c["code"] and m):
                continue
            names.append(m[1])
            if f"✘ {m[1]}: not implemented yet" not in c["text"]:
                said = _norm(c["text"])[:160] or "nothing"
                out.append(f"{self.name} cell {c['index']}: the checker of {m[1]} should say "
                           f"'not implemented yet' before the learner writes a line; it said "
                           f"{said!r}")
        return names, out

    # -- quizzes -----------------------------------------------------------------------------
    def quiz_panels(self):
        return self.page.locator(".rnnlab-quiz")

    def quiz_prompt(self, panel) -> str:
        text = _norm(panel.locator(".widget-html").first.inner_text())
        return re.sub(r"^Question\.\s*", "", text)

    def _set_quiz_response(self, panel, q: QuizAnswer, response) -> None:
        if q.type == "single":
            letter = "abcdefghijklmnopqrstuvwxyz"[response[0]]
            panel.locator(".widget-radio-box label",
                          has_text=re.compile(rf"^\s*\({letter}\)")).first.click()
        elif q.type == "multiple":
            boxes = panel.locator(".widget-checkbox input[type=checkbox]")
            for i in range(boxes.count()):
                box = boxes.nth(i)
                if box.is_checked() != (i in response):
                    box.click()
        else:
            box = panel.locator(".widget-text input").first
            box.fill(response)
            box.press("Tab")

    def _check_quiz(self, panel, cls: str) -> str:
        panel.locator("button", has_text=re.compile(r"^\s*Check\s*$")).click()
        fb = panel.locator(f".rnnlab-feedback.{cls}")
        fb.wait_for(state="visible", timeout=10_000)
        return _norm(fb.inner_text())

    def answer_quiz(self, panel, q: QuizAnswer) -> list[str]:
        """Answer wrong, press Check, expect the wrong-answer feedback; answer right, expect
        the explanation. Returns problems (empty when the panel behaves)."""
        where = f"{self.name}: quiz {q.id!r}"
        out = []
        panel.scroll_into_view_if_needed()
        try:
            self._set_quiz_response(panel, q, q.wrong())
            text = self._check_quiz(panel, "rnnlab-wrong")
            if not text.startswith("✘"):
                out.append(f"{where}: wrong-answer feedback reads {text[:120]!r}")
        except Exception as err:  # noqa: BLE001 - reported, with the notebook's name
            out.append(f"{where}: no wrong-answer feedback after Check ({_first_line(err)})")
        try:
            self._set_quiz_response(panel, q, q.right())
            text = self._check_quiz(panel, "rnnlab-correct")
            if _norm(q.explanation) not in text:
                out.append(f"{where}: the right answer does not show the explanation "
                           f"(feedback reads {text[:120]!r})")
        except Exception as err:  # noqa: BLE001
            out.append(f"{where}: no correct-answer feedback after Check ({_first_line(err)})")
        return out

    # -- interactive plots -------------------------------------------------------------------
    def interactive_panels(self):
        return self.page.locator(".rnnlab-interactive")

    def panel_title(self, panel, k: int) -> str:
        first = panel.locator(":scope > .widget-html b")
        title = _norm(first.first.inner_text()) if first.count() else ""
        return f"plot {k + 1}" + (f" {title!r}" if title else "")

    def controls(self, panel) -> list[Control]:
        """The panel's controls (ipympl's own toolbar left out), in page order."""
        found = []
        items = panel.locator(CONTROL_SELECTOR)
        for i in range(items.count()):
            el = items.nth(i)
            info = el.evaluate("""e => ({
              cls: e.className, inMpl: !!e.closest('.jupyter-matplotlib'),
              label: ((e.querySelector(':scope > .widget-label, .widget-label-basic')
                       || {}).innerText || e.innerText || '').replace('\\u200b', '').trim()
                       .split('\\n')[0],
              number: !!e.querySelector('input[type=number]')})""")
            if info["inMpl"]:
                continue
            cls = info["cls"].split()
            kind = ("slider" if "widget-slider" in cls else
                    "dropdown" if ("widget-dropdown" in cls or "widget-select" in cls) else
                    "button" if "widget-button" in cls else
                    "toggle-buttons" if "widget-toggle-buttons" in cls else
                    "checkbox" if "widget-checkbox" in cls else
                    "radio" if "widget-radio" in cls else
                    "number" if info["number"] else
                    "text" if ("widget-text" in cls or "widget-textarea" in cls) else "toggle")
            found.append(Control(kind, info["label"][:40], el))
        return found

    def canvas_hash(self, panel) -> str | None:
        return panel.evaluate(_JS_HASH)

    def wait_canvas_stable(self, panel, timeout: float = 15) -> str | None:
        """The canvas's pixels once they stop changing (and are not blank)."""
        deadline = time.monotonic() + timeout
        last, since = None, time.monotonic()
        while time.monotonic() < deadline:
            h = self.canvas_hash(panel)
            if h != last:
                last, since = h, time.monotonic()
            elif h not in (None, "blank", "empty") and time.monotonic() - since > 0.4:
                return h
            time.sleep(0.1)
        return last

    def wait_canvas_change(self, panel, before: str | None, timeout: float | None = None):
        deadline = time.monotonic() + (self.redraw_timeout if timeout is None else timeout)
        while time.monotonic() < deadline:
            h = self.canvas_hash(panel)
            if h != before and h not in (None, "blank", "empty"):
                return h
            time.sleep(0.05)
        return None

    def change(self, control: Control, small: bool = False) -> str:
        """Move one control as a learner would. ``small``: one step of a slider (else to an
        end). Returns what was done."""
        el, page = control.locator, self.page
        el.scroll_into_view_if_needed()
        if control.kind == "slider":
            handle = el.locator(".noUi-handle").first
            now, lo, hi = (float(handle.get_attribute(a) or 0) for a in
                           ("aria-valuenow", "aria-valuemin", "aria-valuemax"))
            if small:  # one step, bouncing between the ends
                up = self._direction.get(id(control), True)
                up = True if now <= lo else False if now >= hi else up
                self._direction[id(control)] = up
                key = "ArrowRight" if up else "ArrowLeft"
            else:
                key = "End" if now < hi else "Home"
            handle.focus()
            page.keyboard.press(key)
            return f"pressed {key}"
        if control.kind == "dropdown":
            select = el.locator("select")
            n = select.locator("option").count()
            current = select.evaluate("s => s.selectedIndex")
            target = (current + 1) % n
            select.select_option(index=target)
            return f"selected option {target + 1} of {n}"
        if control.kind in ("toggle-buttons", "radio"):
            sel = ("button:not(.mod-active)" if control.kind == "toggle-buttons"
                   else "label:has(input:not(:checked))")
            el.locator(sel).first.click()
            return "chose another option"
        if control.kind == "button":
            el.click()
            return "clicked"
        if control.kind in ("toggle", "checkbox"):
            target = el.locator("input") if control.kind == "checkbox" else el
            target.first.click()
            return "clicked"
        box = el.locator("input, textarea").first
        if control.kind == "number":
            box.focus()
            page.keyboard.press("ArrowUp")
            page.keyboard.press("Enter")
            return "stepped up"
        value = box.input_value()
        new = value[::-1] if value[::-1] != value else value + value[:1]
        box.fill(new)
        box.press("Enter")
        return f"typed {new[:30]!r}"

    def check_panel(self, panel, k: int) -> list[str]:
        """Move every control of one interactive plot; each move must change the canvas."""
        where = f"{self.name}: {self.panel_title(panel, k)}"
        out = []
        if panel.locator(".jupyter-matplotlib-canvas-div canvas").count() == 0:
            return [f"{where}: no ipympl canvas (is %matplotlib widget on?)"]
        controls = self.controls(panel)
        if not controls:
            return [f"{where}: no controls found"]
        for control in controls:
            # A second move (the other way, or the next option) before a control is declared
            # dead: on a loaded 2-core machine an update can be lost in a race in the front end.
            tried = []
            for _attempt in range(2):
                before = self.wait_canvas_stable(panel)
                if before in (None, "blank", "empty"):
                    tried = [f"the canvas is {before or 'missing'} before moving {control}"]
                    break
                try:
                    tried.append(self.change(control))
                except Exception as err:  # noqa: BLE001 - reported, with the notebook's name
                    tried = [f"could not move {control}: {_first_line(err)}"]
                    break
                if self.wait_canvas_change(panel, before) is not None:
                    tried = []
                    break
            else:
                tried = [f"the plot did not change in {self.redraw_timeout:.0f} s after {control} "
                         f"({', then '.join(tried)})"]
            out += [f"{where}: {t}" for t in tried]
        return out

    # -- latency -----------------------------------------------------------------------------
    def redraw_latencies(self, panel, control: Control, n: int = 12,
                         poll: bool = False) -> list[float]:
        """Milliseconds from each input event on ``control`` (one slider step, or the next
        option) to the next draw on the panel's ipympl canvas, measured in the page.
        ``self.kernel_parts`` gets, for each, the part until the new image arrived in the page
        (input sent, callback run, figure rendered, PNG made and sent); the rest is the
        browser decoding and drawing it. ``poll``: the earlier way, asking the page every 10 ms
        whether the draw happened (only to measure what that costs)."""
        panel.element_handle().evaluate(_JS_WATCH)
        out = []
        self.kernel_parts: list[float] = []
        for _ in range(n):
            self.wait_canvas_stable(panel, timeout=5)
            seen = panel.evaluate(_JS_WATCHED)
            n_draws, n_inputs = len(seen["draws"]), len(seen["inputs"])
            panel.evaluate(_JS_ARM, 1000 * self.redraw_timeout)
            self.change(control, small=True)
            if poll:
                deadline = time.monotonic() + self.redraw_timeout
                while time.monotonic() < deadline:
                    now = panel.evaluate(_JS_WATCHED)
                    if len(now["draws"]) > n_draws and len(now["inputs"]) > n_inputs \
                            and now["draws"][-1] >= now["inputs"][n_inputs]:
                        break
                    time.sleep(0.01)
            else:
                self.page.evaluate("() => window.__rnnlabWait")  # returns at the redraw
            seen = panel.evaluate(_JS_WATCHED)
            t_in = seen["inputs"][n_inputs] if len(seen["inputs"]) > n_inputs else None
            later = [t for t in seen["draws"][n_draws:] if t_in is not None and t >= t_in]
            if not later:
                out.append(float("nan"))
                self.kernel_parts.append(float("nan"))
                continue
            out.append(later[0] - t_in)
            images = [t for t in self.page.evaluate("() => window.__rnnlabImages")
                      if t_in <= t <= later[0]]
            self.kernel_parts.append(images[-1] - t_in if images else float("nan"))
        return out


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0][:200]


# --------------------------------------------------------------------------------------------
# The whole check of one notebook
# --------------------------------------------------------------------------------------------

@dataclass
class Report:
    """What ``check_notebook`` found, by stage. Every line names the notebook."""

    name: str
    run: list[str] = field(default_factory=list)  # running it: errors, widgets, kernel
    exercises: list[str] = field(default_factory=list)  # checkers that did not say "not yet"
    exercise_names: list[str] = field(default_factory=list)  # the check cells that ran
    quizzes: list[str] = field(default_factory=list)
    plots: list[str] = field(default_factory=list)
    n_quizzes: int = 0
    n_plots: int = 0
    n_controls: int = 0
    checked: set[str] = field(default_factory=set)  # the stages that ran to their end
    seconds: float = 0.0  # Run All, until the kernel was idle
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage

    @property
    def problems(self) -> list[str]:
        return self.run + self.exercises + self.quizzes + self.plots

    def __str__(self) -> str:
        times = ", ".join(f"{k} {v:.0f} s" for k, v in self.timings.items())
        head = (f"{self.name}: Run All took {self.seconds:.1f} s; {self.n_quizzes} quiz panels, "
                f"{self.n_plots} interactive plots ({self.n_controls} controls); {times}")
        return "\n".join([head] + [f"  {p}" for p in self.problems])


def check_notebook(server: LabServer, browser, relpath: str,
                   answers: dict[str, QuizAnswer] | None = None,
                   screenshot: Path | None = None,
                   redraw_timeout: float = REDRAW_TIMEOUT) -> Report:
    """Open one notebook, Run All, and check what a learner would see: no error output, every
    widget displayed, every quiz panel answering (wrong, then right), every interactive plot
    redrawing when each of its controls moves, and no callback error anywhere."""
    page = NotebookPage(server, browser, relpath)
    page.redraw_timeout = redraw_timeout
    report = Report(page.name)
    answers = quiz_answers(notebook=page.name) if answers is None else answers
    stage = report.run
    t0 = time.monotonic()

    def done(name: str) -> None:
        nonlocal t0
        report.checked.add(name)
        report.timings[name] = time.monotonic() - t0
        t0 = time.monotonic()

    try:
        page.open()
        done("open")
        report.seconds = page.run_all()
        page.wait_widgets()
        if screenshot is not None:
            page.screenshot(screenshot)
        report.run += page.problems()
        seen = set(report.run)
        done("run")
        report.exercise_names, report.exercises = page.exercise_problems()

        stage = report.quizzes
        panels = page.quiz_panels()
        report.n_quizzes = panels.count()
        for k in range(report.n_quizzes):
            panel = panels.nth(k)
            prompt = page.quiz_prompt(panel)
            q = answers.get(prompt)
            if q is None:
                report.quizzes.append(f"{page.name}: quiz panel {k + 1} ({prompt[:60]!r}) is not "
                                      "in any rnnlab/quizzes/*.toml")
                continue
            report.quizzes += page.answer_quiz(panel, q)
        new = [p for p in page.problems(executed=False) if p not in seen]
        report.quizzes += new
        seen.update(new)
        done("quizzes")

        stage = report.plots
        panels = page.interactive_panels()
        report.n_plots = panels.count()
        for k in range(report.n_plots):
            report.n_controls += len(page.controls(panels.nth(k)))
            report.plots += page.check_panel(panels.nth(k), k)
        time.sleep(0.5)  # let a last callback's traceback reach the log console
        report.plots += [p for p in page.problems(executed=False) if p not in seen]
        done("plots")
    except Exception as err:  # noqa: BLE001 - every failure is reported with the notebook's name
        text = str(err).strip()
        if not text.startswith(page.name):
            text = f"{page.name}: {type(err).__name__}: {_first_line(err)}"
        stage.append(text.splitlines()[0][:400])
    finally:
        try:
            page.close()
        except Exception:  # noqa: BLE001 - closing a page that already failed
            pass
    return report
