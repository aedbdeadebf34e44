"""The adding problem at full length: vanilla tanh RNN vs LSTM vs GRU, written to a JSON file.

Lesson 04 trains only a short version live (a lesson has 60 s); it loads the long runs from the
file this script writes, ``benchmarks/results/adding_problem.json`` by default.

Each run trains one model (hidden size 64, a linear read-out of the last hidden state) with Adam
and gradient clipping on fresh batches of ``rnnlab.data.adding_problem``, evaluates the MSE on a
fixed held-out set every ``--eval-every`` steps, and stops when the held-out MSE falls below
``--solved`` (the run "solved" the task), when it has taken ``--steps`` steps, or when it has
used ``--seconds`` of wall-clock time, whichever comes first. The file records, per model and
length: steps taken, seconds, the final and best held-out MSE, the step at which it was solved
(or null), the MSE curve, and why the run stopped; plus the settings, torch version, date and
host CPU count. Predicting the constant 1.0 gives MSE 1/6 (about 0.167): the baseline.

The models are PyTorch's own ``nn.RNN`` (tanh), ``nn.LSTM`` and ``nn.GRU``: they compute the
same functions as the course's from-scratch versions, faster, which matters for a long run.

    python benchmarks/adding_problem.py                       # T = 50, 100, 200; all models
    python benchmarks/adding_problem.py --lengths 100 --models lstm --seconds 60
    nohup python benchmarks/adding_problem.py > adding.log 2>&1 &   # takes many minutes
    python benchmarks/adding_problem.py --lengths 200 --models lstm gru --seconds 600 --merge

``--merge`` reruns some (model, length) pairs, e.g. with a larger budget, and keeps the rest of
the file; every run records its own step and time budgets.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rnnlab.data import ADDING_BASELINE_MSE, adding_problem  # noqa: E402

DEFAULT_OUT = ROOT / "benchmarks" / "results" / "adding_problem.json"
CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class Regressor(nn.Module):
    """A recurrent layer and a linear read-out of its last state: (batch, T, 2) -> (batch, 1)."""

    def __init__(self, cell: str, hidden: int):
        super().__init__()
        self.rnn = CELLS[cell](2, hidden, batch_first=True)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x):
        h, _ = self.rnn(x)
        return self.out(h[:, -1])


def run_one(cell: str, length: int, args) -> dict:
    torch.manual_seed(args.seed)
    model = Regressor(cell, args.hidden)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    gen = torch.Generator().manual_seed(args.seed)
    x_test, y_test = adding_problem(args.test_size, length, torch.Generator().manual_seed(10_000))
    curve_steps, curve_mse = [], []
    solved_at, stop, nonfinite = None, "step budget", False
    start = time.perf_counter()
    step = 0
    while step < args.steps:
        x, y = adding_problem(args.batch, length, gen)
        loss = nn.functional.mse_loss(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        if not torch.isfinite(loss):
            nonfinite, stop = True, "non-finite loss"
            break
        opt.step()
        step += 1
        if step % args.eval_every == 0:
            with torch.no_grad():
                mse = float(nn.functional.mse_loss(model(x_test), y_test))
            curve_steps.append(step)
            curve_mse.append(mse)
            if mse < args.solved and solved_at is None:
                solved_at = step
                stop = "solved"
                break
            if time.perf_counter() - start > args.seconds:
                stop = "time budget"
                break
    seconds = time.perf_counter() - start
    with torch.no_grad():
        final = float(nn.functional.mse_loss(model(x_test), y_test))
    return {
        "model": cell, "length": length, "steps": step, "seconds": round(seconds, 1),
        "final_mse": final, "best_mse": min(curve_mse + [final]),
        "solved": solved_at is not None, "solved_at_step": solved_at, "stopped_because": stop,
        "nonfinite": nonfinite, "step_budget": args.steps, "seconds_budget": args.seconds,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "curve_step": curve_steps, "curve_mse": curve_mse,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Train tanh RNN, LSTM and GRU on the adding problem at several lengths and "
                    "write the results (steps, seconds, MSE curves) to a JSON file that lesson 04 "
                    "loads. Takes many minutes with the defaults; run it in the background.")
    parser.add_argument("--lengths", type=int, nargs="+", default=[50, 100, 200],
                        help="sequence lengths T (default: 50 100 200)")
    parser.add_argument("--models", nargs="+", default=["rnn", "lstm", "gru"],
                        choices=sorted(CELLS), help="models to train (default: rnn lstm gru)")
    parser.add_argument("--hidden", type=int, default=64, help="hidden size (default: 64)")
    parser.add_argument("--batch", type=int, default=64, help="batch size (default: 64)")
    parser.add_argument("--lr", type=float, default=3e-3, help="Adam learning rate (default: 3e-3)")
    parser.add_argument("--clip", type=float, default=1.0,
                        help="clip_grad_norm_ threshold, for every model (default: 1.0)")
    parser.add_argument("--steps", type=int, default=6000,
                        help="most optimiser steps per run (default: 6000)")
    parser.add_argument("--seconds", type=float, default=240.0,
                        help="most wall-clock seconds per run (default: 240)")
    parser.add_argument("--solved", type=float, default=0.01,
                        help="held-out MSE under which a run counts as solved and stops "
                             "(default: 0.01, 6%% of the baseline 1/6)")
    parser.add_argument("--eval-every", type=int, default=100,
                        help="steps between held-out evaluations (default: 100)")
    parser.add_argument("--test-size", type=int, default=1000,
                        help="held-out examples (default: 1000)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (default: 1, to leave the other core free)")
    parser.add_argument("--seed", type=int, default=0, help="seed (default: 0)")
    parser.add_argument("--merge", action="store_true",
                        help="keep the runs already in --out and replace only those with the "
                             "same model and length (each run records its own budgets)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"output JSON file (default: {DEFAULT_OUT.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    settings = {k: v for k, v in vars(args).items() if k != "out"}
    record = {
        "description": "Adding problem (rnnlab.data.adding_problem), written by "
                       "benchmarks/adding_problem.py. Each run stops when solved (held-out MSE < "
                       "'solved'), or at its step or time budget; a run that hit a budget is "
                       "reported as not solved within that budget, not as unsolvable.",
        "baseline_mse": ADDING_BASELINE_MSE,
        "settings": settings,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "runs": [],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.merge and args.out.exists():
        old = json.loads(args.out.read_text(encoding="utf-8"))
        record["runs"] = old["runs"]
        for r in record["runs"]:  # files from before budgets were recorded per run
            r.setdefault("step_budget", old["settings"]["steps"])
            r.setdefault("seconds_budget", old["settings"]["seconds"])
        record["settings"] = old["settings"]  # the first invocation's; budgets are per run
        record["date"] = old["date"]
        record["merged"] = old.get("merged", []) + [
            f"{record['date']}: {' '.join(sys.argv[1:])}"]
    for length in args.lengths:
        for cell in args.models:
            result = run_one(cell, length, args)
            record["runs"] = [r for r in record["runs"]
                              if (r["model"], r["length"]) != (cell, length)] + [result]
            record["runs"].sort(key=lambda r: (r["length"], list(CELLS).index(r["model"])))
            print(f"T={length:4d} {cell:5s} steps={result['steps']:5d} "
                  f"seconds={result['seconds']:7.1f} final MSE={result['final_mse']:.4f} "
                  f"best={result['best_mse']:.4f} ({result['stopped_because']})", flush=True)
            # Written after every run, so a long job that is stopped still leaves its results.
            args.out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    record["finished"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    args.out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
