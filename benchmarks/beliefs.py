"""Lesson 10's two trained experiments at full size: recall accuracy against delay for a vanilla
RNN, an LSTM and a GRU, and a depth sweep (1 to 8 stacked GRU layers) on a fixed parameter and
step budget.

    python benchmarks/beliefs.py              # the run lesson 10 loads (1 thread; see "seconds")
    python benchmarks/beliefs.py --quick      # a minute, to a scratch file
    python benchmarks/beliefs.py --parts depth     # one part; the other is kept from the file

The two parts can run as two processes at once (``--parts recall`` and ``--parts depth``): each
writes its own part, with its own settings, date and load, into the same file, keeping the
other part already there.

Both use ``rnnlab.beliefs`` (the same functions the lesson runs live, smaller). Everything is
written to ``benchmarks/results/beliefs.json`` with the settings, seed, date, thread count and the
machine's load average at the start and the end; ``--quick`` writes to the system's temporary
folder and marks the file ``"quick": true``. The results are step-budgeted, so they do not depend
on the machine's speed; the seconds recorded do, and on a shared machine they are noisy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from rnnlab.beliefs import depth_sweep, reach, recall_accuracy  # noqa: E402

DEFAULT_OUT = ROOT / "benchmarks" / "results" / "beliefs.json"
QUICK_OUT = Path(tempfile.gettempdir()) / "rnnlab-benchmarks" / "beliefs.quick.json"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--delays", type=int, nargs="+", default=[1, 2, 5, 10, 20, 50, 100])
    p.add_argument("--recall-steps", type=int, default=1000)
    p.add_argument("--recall-lr", type=float, default=1e-2)
    p.add_argument("--width", type=int, default=32)
    p.add_argument("--depths", type=int, nargs="+", default=list(range(1, 9)))
    p.add_argument("--budget", type=int, default=20_000, help="parameters of every depth")
    p.add_argument("--depth-steps", type=int, default=150)
    p.add_argument("--seq-len", type=int, default=32, help="training window of the depth sweep")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--quick", action="store_true", help="tiny settings, scratch output")
    p.add_argument("--parts", nargs="+", default=["recall", "depth"], choices=["recall", "depth"])
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args()
    if args.quick:
        args.delays, args.recall_steps, args.depths, args.depth_steps = [2, 10], 30, [1, 2], 10
    out_path = args.out or (QUICK_OUT if args.quick else DEFAULT_OUT)
    torch.set_num_threads(args.threads)
    for part in args.parts:
        load_start, t0 = os.getloadavg(), time.time()
        record = {"date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                  "load_average_start": load_start}
        if part == "recall":
            recall = {}
            for kind in ("rnn", "lstm", "gru"):
                recall[kind] = {}
                for d in args.delays:
                    t = time.time()
                    acc = recall_accuracy(kind, d, args.recall_steps, args.width, args.seed,
                                          lr=args.recall_lr)
                    recall[kind][str(d)] = acc
                    print(f"recall {kind:4s} delay {d:4d}: {acc:.3f} ({time.time() - t:.0f} s)",
                          flush=True)
            record.update(
                settings={k: getattr(args, k.replace("-", "_")) for k in
                          ("delays", "recall_steps", "recall_lr", "width", "seed")},
                accuracy=recall,
                reach={k: reach({int(d): a for d, a in v.items()}) for k, v in recall.items()})
        else:
            sweep = depth_sweep(args.depths, args.budget, args.depth_steps, args.seed,
                                seq_len=args.seq_len)
            for depth, r in sweep.items():
                print(f"depth {depth}: width {r['width']}, {r['params']} parameters, "
                      f"valid {r['bpc']:.3f} bpc, train {r['train_bpc']:.3f}", flush=True)
            record.update(
                settings={k: getattr(args, k) for k in ("depths", "budget", "depth_steps",
                                                         "seq_len", "seed")},
                by_depth={str(k): v for k, v in sweep.items()})
        record.update(load_average_end=os.getloadavg(), seconds=round(time.time() - t0, 1))
        write(out_path, part, record, args.quick)


def write(out_path: Path, part: str, record: dict, quick: bool) -> None:
    """Put one part into the results file, keeping the other part already there."""
    old = json.loads(out_path.read_text(encoding="utf-8")) if out_path.exists() else {}
    old.update({
        "description": "Written by benchmarks/beliefs.py. recall: accuracy (share of 512 fresh "
                       "examples) of one model per (cell, delay) trained for recall_steps Adam "
                       "steps to recall one of 8 symbols after `delay` blanks "
                       "(rnnlab.beliefs.recall_accuracy; chance 0.125); reach: the longest "
                       "delay before accuracy first falls below 0.9. depth: GRU language models "
                       "of each depth with about `budget` parameters, depth_steps Adam steps on "
                       "lesson 07's text, validation bits per character "
                       "(rnnlab.beliefs.depth_sweep). Step budgets, so the numbers do not "
                       "depend on the machine's speed; the seconds do.",
        "quick": quick,
        "threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        part: record,
    })
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(old, indent=1) + "\n", encoding="utf-8")
    print(f"wrote the {part} part to {out_path}", flush=True)


if __name__ == "__main__":
    main()
