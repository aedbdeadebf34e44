"""benchmarks/lesson_resources.py: combining repeated runs, the table, and the kernel sampler."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("lesson_resources",
                                              ROOT / "benchmarks" / "lesson_resources.py")
lr = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lr)


def run(wall, cpu, rss, uss, errors=()):
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_mib": rss, "end_uss_mib": uss,
            "errors": list(errors)}


def test_combine_takes_medians_of_times_and_the_largest_memory():
    row = lr.combine([run(30.0, 9.0, 450.0, 350.0), run(20.0, 7.0, 460.0, 340.0),
                      run(25.0, 11.0, 455.0, 345.0, ["ValueError"])])
    assert row["wall_s"] == 25.0 and row["cpu_s"] == 9.0
    assert row["cpu_s_range"] == [7.0, 11.0]
    assert row["peak_rss_mib"] == 460.0 and row["end_uss_mib"] == 350.0
    assert row["errors"] == ["ValueError"] and len(row["runs"]) == 3


def test_markdown_table_rows_and_totals():
    rows = [{"notebook": "01_a", **lr.combine([run(10.0, 4.0, 300.0, 200.0)])},
            {"notebook": "02_b", **lr.combine([run(20.0, 6.0, 500.0, 250.0),
                                               run(22.0, 8.0, 510.0, 260.0)])}]
    table = lr.markdown_table(rows).splitlines()
    assert table[2] == "| 01_a | 10.0 | 4.0 | 4.0-4.0 | 300 | 200 | none |"
    assert table[3] == "| 02_b | 21.0 | 7.0 | 6.0-8.0 | 510 | 260 | none |"
    assert table[4] == "| **max / total** | 31.0 | 11.0 | | 510 | 260 | |"


def test_sampler_sees_a_child_process_memory_and_cpu():
    """The kernel's tree: a child that allocates 200 MiB and spins shows in peak RSS and CPU."""
    code = ("import time\nb = bytearray(200 * 1024 * 1024)\nfor i in range(0, len(b), 4096): "
            "b[i] = 1\nt = time.process_time()\nwhile time.process_time() - t < 0.6: pass\n"
            "time.sleep(0.5)\n")
    parent = subprocess.Popen([sys.executable, "-c",
                               f"import subprocess, sys; subprocess.run([sys.executable, '-c', "
                               f"{code!r}])"])
    try:
        sampler = lr.TreeSampler(parent.pid, interval=0.05).start()
        parent.wait(timeout=60)
        row = sampler.stop()
    finally:
        parent.kill()
    assert row["peak_tree_rss_sampled_mib"] > 200
    assert row["cpu_s"] >= 0.5
    assert lr.vm_hwm_bytes(os.getpid()) > 0
