"""Execute every notebook top to bottom and print seconds per notebook and the total.

    .venv/bin/python benchmarks/course_runtime.py                 # the whole course
    .venv/bin/python benchmarks/course_runtime.py 01_feedforward  # some notebooks
    .venv/bin/python benchmarks/course_runtime.py --cells 01      # plus the slowest cells

Budgets: 60 s per notebook, 8 minutes for the course, on a 2-core laptop CPU. Times include
kernel start-up. The notebooks run on the course's kernel (``rnnlab``) with RNNLAB_STRICT=1, as
under the tests. Exit status 0 always: this is a measurement, not a test; over-budget rows are
marked so a reader sees them.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_BUDGET_S = 60.0
COURSE_BUDGET_S = 480.0


def run_notebook(path: Path, kernel: str = "rnnlab") -> tuple[float, list[tuple[float, int, str]]]:
    """Wall seconds for the whole notebook, and (seconds, index, first line) for each code cell."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name=kernel, timeout=600,
                            resources={"metadata": {"path": str(path.parent)}})
    cell_times: list[tuple[float, int, str]] = []
    start = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            t0 = time.perf_counter()
            client.execute_cell(cell, index)
            first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")
            cell_times.append((time.perf_counter() - t0, index, first[:60]))
    return time.perf_counter() - start, cell_times


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="notebook name prefixes (default: all)")
    parser.add_argument("--cells", action="store_true", help="also print the 5 slowest cells")
    args = parser.parse_args(argv)
    os.environ.setdefault("RNNLAB_STRICT", "1")
    paths = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if args.names:
        paths = [p for p in paths if any(p.stem.startswith(n) for n in args.names)]
    print(f"Course runtime on {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print(f"{'notebook':<34} {'seconds':>8}  budget")
    total = 0.0
    for path in paths:
        try:
            seconds, cells = run_notebook(path)
            mark = "ok" if seconds <= NOTEBOOK_BUDGET_S else f"OVER {NOTEBOOK_BUDGET_S:.0f} s"
        except Exception as err:  # report and go on: the tests say why it failed
            seconds, cells, mark = float("nan"), [], f"FAILED: {type(err).__name__}"
        total += 0.0 if seconds != seconds else seconds
        print(f"{path.stem:<34} {seconds:8.1f}  {mark}", flush=True)
        if args.cells:
            for s, index, first in sorted(cells, reverse=True)[:5]:
                print(f"    cell {index:>3} {s:7.2f} s  {first}")
    mark = "ok" if total <= COURSE_BUDGET_S else f"OVER {COURSE_BUDGET_S:.0f} s"
    print(f"{'total':<34} {total:8.1f}  {mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
