"""What each interactive plot costs in the kernel per control change, without a browser.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/kernel_latency.py [--changes 12] [notebooks/...]

Runs each notebook (nbclient, kernel ``rnnlab``, the ipympl backend as in JupyterLab) with every
``Explorer`` recorded as it is built, then moves each plot's control the way
``benchmarks/widget_latency.py`` does (its first slider one step at a time, bouncing between the
ends, else the next option of its first dropdown or toggle buttons) and times, at pixel density
1x and 2x, the kernel's share of slider-to-screen: the callback (``_update``), the redraw (a blit,
or the full draw the front end would ask for) and the image ipympl sends (diff and PNG). The
front end is simulated: no comm, ``send_binary`` only counts bytes. The browser adds the comm
round trip and the decoding and drawing of the image (``widget_latency.py`` measures it all).
``total`` is wall-clock time, ``cpu`` the kernel process's CPU time for the same change (less
sensitive to other processes on a busy machine); callback and png are wall-clock. Timings on a
busy machine are inflated; compare runs interleaved on the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SETUP = r"""
import rnnlab.widgets as _rw
_EXPLORERS = []
_start0 = _rw.Explorer._start
def _start(self, *a, **k):
    _EXPLORERS.append(self)
    return _start0(self, *a, **k)
_rw.Explorer._start = _start
"""

MEASURE = r"""
import json as _json, statistics as _st, time as _time
import ipywidgets as _w

def _pick(ex):
    cs = list(ex.controls.values())
    for kinds in ((_w.IntSlider, _w.FloatSlider, _w.FloatLogSlider, _w.IntRangeSlider,
                   _w.SelectionSlider), (_w.Dropdown,), (_w.ToggleButtons,), (_w.RadioButtons,)):
        for c in cs:
            if isinstance(c, kinds):
                return c
    return None

def _values(c, n):
    if isinstance(c, _w.Dropdown | _w.ToggleButtons | _w.RadioButtons | _w.SelectionSlider):
        opts = [o[1] if isinstance(o, tuple) else o for o in c.options]
        i = opts.index(c.value)
        return [opts[(i + 1 + j) % len(opts)] for j in range(n)]
    if isinstance(c, _w.IntRangeSlider):
        lo, hi = c.value
        out, d = [], 1
        for _ in range(n):
            if hi + d > c.max or lo + d < c.min:
                d = -d
            lo, hi = lo + d, hi + d
            out.append((lo, hi))
        return out
    v, d, out = c.value, c.step, []
    for _ in range(n):
        if v + d > c.max + 1e-9 or v + d < c.min - 1e-9:
            d = -d
        v = round(v + d, 10)
        out.append(v)
    return out

def _measure(n):
    rows = []
    for k, ex in enumerate(_EXPLORERS):
        c = _pick(ex)
        if c is None:
            continue
        canvas = ex.fig.canvas
        canvas.syncing_data_url = False
        sent = []
        canvas.send_binary = lambda data, sent=sent: sent.append(len(data))
        if canvas not in canvas.manager.web_sockets:
            canvas.manager.add_web_socket(canvas)
        upd0, diff0 = ex._update, canvas.get_diff_image
        parts = {}
        def upd(upd0=upd0, parts=parts):
            t = _time.perf_counter(); out = upd0()
            parts["cb"] = _time.perf_counter() - t
            return out
        def diff(diff0=diff0, parts=parts):
            t = _time.perf_counter(); out = diff0()
            parts["png"] = parts.get("png", 0.0) + _time.perf_counter() - t
            return out
        ex._update, canvas.get_diff_image = upd, diff
        name = [nm for nm, w in ex.controls.items() if w is c][0]
        start = c.value
        for dpr in (1, 2):
            canvas._set_device_pixel_ratio(dpr)
            canvas.handle_event({"type": "draw"})
            c.value = _values(c, 1)[0]        # warm-up change
            if ex.blitter.pending:
                canvas.handle_event({"type": "draw"})
            tot, cpu, cbs, pngs, sizes = [], [], [], [], []
            fulls = ex.blitter.full_draws
            import cProfile, pstats, os as _os
            prof = cProfile.Profile() if (_os.environ.get("KL_PROFILE") and dpr == 2) else None
            if prof: prof.enable()
            for v in _values(c, n):
                parts.clear(); del sent[:]
                t, tc = _time.perf_counter(), _time.process_time()
                c.value = v
                if ex.blitter.pending:        # the front end asks for the full draw
                    canvas.handle_event({"type": "draw"})
                tot.append(_time.perf_counter() - t)
                cpu.append(_time.process_time() - tc)
                cbs.append(parts.get("cb", float("nan")))
                pngs.append(parts.get("png", 0.0))
                sizes.append(sum(sent))
            if prof:
                prof.disable()
                pstats.Stats(prof).sort_stats("tottime").print_stats(18)
            rows.append({"plot": k + 1, "title": ex.title, "control": name, "dpr": dpr,
                         "pixels": list(map(int, canvas.get_width_height(physical=True))),
                         "total_ms": 1e3 * _st.median(tot), "cpu_ms": 1e3 * _st.median(cpu),
                         "callback_ms": 1e3 * _st.median(cbs),
                         "png_ms": 1e3 * _st.median(pngs), "kB": _st.median(sizes) / 1e3,
                         "full_draws": ex.blitter.full_draws - fulls, "n": n})
        ex._update, canvas.get_diff_image = upd0, diff0
        canvas._set_device_pixel_ratio(1)
        c.value = start
    return rows
print("KERNEL_LATENCY " + _json.dumps(_measure(CHANGES)))
"""


def run(path: Path, changes: int) -> list[dict]:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(SETUP))
    nb.cells.append(nbformat.v4.new_code_cell(MEASURE.replace("CHANGES", str(changes))))
    client = NotebookClient(nb, kernel_name="rnnlab", timeout=600,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    if os.environ.get("KL_PROFILE"):
        print("".join(o.get("text", "") for o in nb.cells[-1].get("outputs", [])))
    for out in nb.cells[-1].get("outputs", []):
        for line in out.get("text", "").splitlines():
            if line.startswith("KERNEL_LATENCY "):
                return json.loads(line[len("KERNEL_LATENCY "):])
    raise RuntimeError(f"{path.name}: no measurement printed: {nb.cells[-1].get('outputs')}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*")
    ap.add_argument("--changes", type=int, default=12)
    args = ap.parse_args(argv)
    paths = [Path(p).resolve() for p in args.notebooks] or sorted(
        p for p in (ROOT / "notebooks").glob("0*.ipynb") if not p.name.startswith("00"))
    print(f"# kernel_latency, load {' '.join(f'{v:.1f}' for v in os.getloadavg())}, "
          f"{time.strftime('%H:%M UTC', time.gmtime())}")
    print(f"{'notebook':<28} {'plot':<4} {'control':<12} {'px':>3} {'pixels':>9} {'total':>7} "
          f"{'cpu':>7} "
          f"{'callback':>8} {'png':>6} {'kB':>6} {'full':>4}")
    for path in paths:
        for r in run(path, args.changes):
            print(f"{path.name:<28} {r['plot']:<4} {r['control'][:12]:<12} {r['dpr']:>2}x "
                  f"{'x'.join(map(str, r['pixels'])):>9} {r['total_ms']:>5.1f}ms "
                  f"{r['cpu_ms']:>5.1f}ms "
                  f"{r['callback_ms']:>6.1f}ms {r['png_ms']:>4.1f}ms {r['kB']:>6.1f} "
                  f"{r['full_draws']:>2}/{r['n']}", flush=True)
    print(f"# load at the end {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
