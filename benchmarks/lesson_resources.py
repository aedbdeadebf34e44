"""Peak kernel memory, CPU seconds and wall time of every lesson, each run in a fresh kernel.

    .venv/bin/python benchmarks/lesson_resources.py              # every lesson, learner version
    .venv/bin/python benchmarks/lesson_resources.py --version solutions 03 04
    .venv/bin/python benchmarks/lesson_resources.py --threads 2  # OpenMP threads per kernel
    .venv/bin/python benchmarks/lesson_resources.py --repeat 2   # each lesson twice: medians

What a lecturer needs to size a hub. Each notebook (``notebooks/NN_*.ipynb``, what learners get;
or the worked-solutions version built by ``python -m rnnlab.build solutions``) is executed top to
bottom by nbclient in a fresh kernel of the course (``rnnlab``). While it runs, the kernel's
process tree is sampled every 0.1 s:

* ``peak_rss_mib``: the kernel process's own high-water mark of resident memory (``VmHWM`` from
  ``/proc``, exact, not sampled), plus, if it ever had child processes, their sampled RSS;
* ``end_uss_mib``: memory private to the kernel at the end (``USS``): what one more learner adds,
  since the pages of shared libraries (torch, numpy) that count in RSS are shared between
  kernels of the same installation on one machine;
* ``cpu_s``: user + system CPU seconds of the kernel (and its children) from start to end;
* ``wall_s``: kernel start to the last cell done.

The kernel gets ``OMP_NUM_THREADS`` = ``--threads`` (default 1, as on a hub with one CPU per
learner). Writes ``benchmarks/results/lesson_resources.json`` and ``.md`` with the load average
before and after (the machine is shared: CPU seconds are steadier than wall time under load).
Exit status 1 if a notebook failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
MIB = 1024 * 1024


def vm_hwm_bytes(pid: int) -> int:
    """The process's peak resident set (``VmHWM``) in bytes, 0 if it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class TreeSampler:
    """Samples the RSS and CPU time of a process and its descendants on a thread."""

    def __init__(self, pid: int, interval: float = 0.1):
        self.proc = psutil.Process(pid)
        self.interval = interval
        self.peak_tree_rss = 0
        self.peak_children_rss = 0
        self.hwm = 0
        self.children_cpu: dict[int, float] = {}  # last CPU seconds seen of each child
        self.own_cpu = 0.0
        self.reaped_cpu = 0.0  # children that exited and were waited for
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> TreeSampler:
        self._thread.start()
        return self

    def sample(self) -> None:
        try:
            own = self.proc.memory_info().rss
            times = self.proc.cpu_times()
            self.own_cpu = times.user + times.system
            self.reaped_cpu = times.children_user + times.children_system
            self.hwm = max(self.hwm, vm_hwm_bytes(self.proc.pid))
            children = self.proc.children(recursive=True)
        except psutil.Error:
            return
        kids = 0
        for child in children:
            try:
                kids += child.memory_info().rss
                t = child.cpu_times()
                self.children_cpu[child.pid] = t.user + t.system
            except psutil.Error:
                continue
        self.peak_children_rss = max(self.peak_children_rss, kids)
        self.peak_tree_rss = max(self.peak_tree_rss, own + kids)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join()
        self.sample()
        try:
            uss = self.proc.memory_full_info().uss
        except psutil.Error:
            uss = 0
        # children: those reaped are in children_user/system, those seen running in their own
        # samples; the larger of the two (kernels seldom have children)
        cpu = self.own_cpu + max(self.reaped_cpu, sum(self.children_cpu.values()))
        return {
            "peak_rss_mib": round((self.hwm + self.peak_children_rss) / MIB, 1),
            "peak_tree_rss_sampled_mib": round(self.peak_tree_rss / MIB, 1),
            "end_uss_mib": round(uss / MIB, 1),
            "cpu_s": round(cpu, 2),
        }


def kernel_pid(client: NotebookClient) -> int:
    provisioner = getattr(client.km, "provisioner", None)
    process = getattr(provisioner, "process", None)
    if process is None:
        raise RuntimeError("cannot find the kernel's process (not a local kernel?)")
    return process.pid


def run_notebook(path: Path, kernel: str = "rnnlab") -> dict:
    """Execute ``path`` in a fresh kernel; wall time, memory and CPU of the kernel, and errors."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name=kernel, timeout=900, allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    with client.setup_kernel():
        sampler = TreeSampler(kernel_pid(client)).start()
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                client.execute_cell(cell, index)
        wall = time.perf_counter() - start
        row = sampler.stop()
    errors = [o.get("ename", "") for c in nb.cells if c.cell_type == "code"
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    row.update(wall_s=round(wall, 1), errors=errors,
               code_cells=sum(c.cell_type == "code" for c in nb.cells))
    return row


def combine(runs: list[dict]) -> dict:
    """One lesson's row from repeated runs: median wall and CPU time (with the CPU range: CPU
    seconds too grow on a crowded machine), the largest memory, every error."""
    cpu = sorted(r["cpu_s"] for r in runs)
    return {
        "wall_s": round(statistics.median(r["wall_s"] for r in runs), 1),
        "cpu_s": round(statistics.median(cpu), 2),
        "cpu_s_range": [cpu[0], cpu[-1]],
        "peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
        "end_uss_mib": max(r["end_uss_mib"] for r in runs),
        "errors": sorted({e for r in runs for e in r["errors"]}),
        "runs": runs,
    }


def markdown_table(rows: list[dict]) -> str:
    lines = ["| lesson | wall s | CPU s | CPU s range | peak RSS MiB | private (USS) at end MiB "
             "| errors |",
             "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        low, high = r.get("cpu_s_range", [r["cpu_s"], r["cpu_s"]])
        lines.append(f"| {r['notebook']} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | "
                     f"{low:.1f}-{high:.1f} | "
                     f"{r['peak_rss_mib']:.0f} | {r['end_uss_mib']:.0f} | "
                     f"{', '.join(r['errors']) or 'none'} |")
    if rows:
        lines.append(f"| **max / total** | {sum(r['wall_s'] for r in rows):.1f} | "
                     f"{sum(r['cpu_s'] for r in rows):.1f} | | "
                     f"{max(r['peak_rss_mib'] for r in rows):.0f} | "
                     f"{max(r['end_uss_mib'] for r in rows):.0f} | |")
    return "\n".join(lines)


def notebooks(version: str, names: list[str], workdir: Path) -> list[Path]:
    if version == "learner":
        folder = ROOT / "notebooks"
    else:
        folder = workdir / version
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        subprocess.run([sys.executable, "-m", "rnnlab.build", version, str(folder)],
                       check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    paths = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    if names:
        paths = [p for p in paths if any(p.stem.startswith(n) for n in names)]
    return paths


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="notebook name prefixes (default: all)")
    parser.add_argument("--version", choices=("learner", "solutions"), default="learner")
    parser.add_argument("--threads", type=int, default=1, help="OMP_NUM_THREADS of the kernel")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each lesson")
    parser.add_argument("--out", type=Path, default=RESULTS / "lesson_resources.json")
    args = parser.parse_args(argv)
    os.environ.setdefault("RNNLAB_STRICT", "1")
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(args.threads)
    os.environ.setdefault("PYTHONPATH", str(ROOT))
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        # progress (quiz answers, exercises) goes to a scratch folder, never the learner's
        os.environ["RNNLAB_DATA_DIR"] = str(Path(tmp) / "progress")
        paths = notebooks(args.version, args.names, Path(tmp))
        runs: dict[str, list[dict]] = {p.stem: [] for p in paths}
        for _ in range(args.repeat):  # every lesson once, then again: spreads out the noise
            for path in paths:
                try:
                    row = run_notebook(path)
                except Exception as err:  # report and go on
                    row = {"wall_s": float("nan"), "cpu_s": float("nan"),
                           "peak_rss_mib": float("nan"), "end_uss_mib": float("nan"),
                           "errors": [f"{type(err).__name__}: {err}"]}
                row["load"] = round(os.getloadavg()[0], 2)
                runs[path.stem].append(row)
                print(f"{path.stem:<30} wall {row['wall_s']:6.1f} s  cpu {row['cpu_s']:6.1f} s  "
                      f"peak RSS {row['peak_rss_mib']:6.0f} MiB  USS {row['end_uss_mib']:6.0f} "
                      f"MiB  load {row['load']}  errors: {row['errors'] or 'none'}", flush=True)
        rows = [{"notebook": name, **combine(r)} for name, r in runs.items()]
    result = {
        "what": "each lesson run top to bottom in a fresh 'rnnlab' kernel (nbclient); "
                "kernel process tree measured",
        "version": args.version,
        "kernel_threads": args.threads,
        "repeat": args.repeat,
        "date_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(),
                    "memory_gib": round(psutil.virtual_memory().total / 1024**3, 1)},
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "lessons": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    table = markdown_table(rows)
    args.out.with_suffix(".md").write_text(
        f"Lesson resources ({args.version} version, {args.threads} thread per kernel, "
        f"{args.repeat} run(s) of each lesson: median times, largest memory; "
        f"{result['date_utc']}; load average before {result['load_before']}, after "
        f"{result['load_after']} on {os.cpu_count()} cores).\n\n{table}\n")
    print(table)
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
