"""Length generalisation and long-range lookup: an LSTM, a GRU, a minGRU and a Transformer on
``rnnlab.tasks``, trained on short sequences and tested on short and long ones.

    python benchmarks/synthetic_tasks.py                 # the numbers lesson 09 loads
    python benchmarks/synthetic_tasks.py --quick         # under a minute, to a scratch file
    python benchmarks/synthetic_tasks.py --tasks lookup  # the lookup run (about 12 CPU minutes)

1. Parity (a regular language, after Deletang et al., ICLR 2023, "Neural networks and the
   Chomsky hierarchy"): bit strings of length 1..``--train-max`` in training, the answer read at
   the last position; accuracy on fresh strings of every length in ``--test-lengths``. Chance is
   0.5 at every length.
2. Copy after a gap (Hochreiter & Schmidhuber 1997; Arjovsky et al. 2016): ``--copy-n``
   symbols, ``--gap`` blanks, a go marker, then the symbols are asked back one by one. A
   Transformer can look the symbol up directly; a recurrent network must carry it through the
   gap in its state. Chance is 1 / ``--copy-symbols``.
3. Positional lookup (``--tasks lookup``, written to ``benchmarks/results/lookup.json`` and
   ``lookup_models.pt`` instead): ``--lookup-lengths`` n random symbols of ``--lookup-symbols``,
   then a query naming a position; the answer is the symbol there (``rnnlab.tasks.
   lookup_batch``). One model per n, each with about ``--lookup-params`` parameters (the query
   tokens make the vocabulary grow with n), an LSTM and a Transformer with learned positions,
   each trained for ``--cpu-seconds`` of process CPU time (one thread) at learning rate 3e-3,
   then tested on ``--test-n`` fresh examples of the same n. Chance is 1 / ``--lookup-symbols``.

Every model has about ``--params`` parameters (``rnnlab.compare.width_for_params``, two layers)
and is trained for the same number of steps with Adam (``rnnlab.compare.train_task``); the
training time of each is recorded. Written to ``benchmarks/results/synthetic_tasks.json`` with
the settings, seed, date, thread count and load average; ``--quick`` writes to the system's
temporary folder and marks the file ``"quick": true``. The trained models' weights go to
``benchmarks/results/synthetic_tasks_models.pt`` (``{task: {kind: {width, vocab, max_len,
state_dict}}}``), so the lesson can test them itself.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from rnnlab.compare import (  # noqa: E402
    KINDS,
    build_lm,
    count_params,
    run_record,
    task_accuracy,
    task_loss,
    train_task,
    width_for_params,
)
from rnnlab.tasks import (  # noqa: E402
    copy_batch,
    copy_vocab_size,
    lookup_batch,
    lookup_vocab_size,
    parity_batch,
)
from rnnlab.train import seed_everything  # noqa: E402

DEFAULT_OUT = ROOT / "benchmarks" / "results" / "synthetic_tasks.json"
MODELS_OUT = ROOT / "benchmarks" / "results" / "synthetic_tasks_models.pt"
LOOKUP_OUT = ROOT / "benchmarks" / "results" / "lookup.json"
LOOKUP_MODELS_OUT = ROOT / "benchmarks" / "results" / "lookup_models.pt"
QUICK_OUT = Path(tempfile.gettempdir()) / "rnnlab-benchmarks" / "synthetic_tasks.quick.json"
LOOKUP_LR = 3e-3
LR = {"lstm": 3e-3, "gru": 3e-3, "transformer": 1e-3, "mingru": 3e-3}


def sized(kind: str, vocab: int, target: int, max_len: int):
    opts = {"max_len": max_len} if kind == "transformer" else {}
    width = width_for_params(kind, vocab, target, 2, **opts)
    return build_lm(kind, vocab, width, 2, **opts), width


def run_task(name, make, vocab, train_lengths, test_lengths, args, saved) -> dict:
    out = {}
    for kind in args.models:
        seed_everything(args.seed, threads=args.threads)
        model, width = sized(kind, vocab, args.params, max(test_lengths) + 8)
        gen = torch.Generator().manual_seed(args.seed)
        start = time.perf_counter()
        losses = train_task(model, make, train_lengths, args.steps, args.batch, LR[kind],
                            gen=gen)
        seconds = time.perf_counter() - start
        acc = {str(n): task_accuracy(model, make, n, n=args.test_n,
                                     gen=torch.Generator().manual_seed(args.seed + 1))
               for n in test_lengths}
        tail = losses[-50:]
        saved.setdefault(name, {})[kind] = {"width": width, "vocab": vocab,
                                            "max_len": max(test_lengths) + 8,
                                            "state_dict": model.state_dict()}
        out[kind] = {"width": width, "params": count_params(model), "lr": LR[kind],
                     "train_seconds": seconds, "final_loss": sum(tail) / len(tail),
                     "accuracy": acc, "load_average_after": os.getloadavg()}
        print(f"{name:7s} {kind:12s} params {count_params(model):6d} {seconds:6.1f} s  " +
              " ".join(f"{n}:{a:.2f}" for n, a in acc.items()), flush=True)
    return out


def run_lookup(args, saved) -> dict:
    """Each kind at each n: about ``lookup_params`` parameters, ``cpu_seconds`` of training."""
    out = {}
    for n in args.lookup_lengths:
        vocab = lookup_vocab_size(n, args.lookup_symbols)
        make = partial(_lookup, n_symbols=args.lookup_symbols)
        for kind in args.models:
            seed_everything(args.seed, threads=args.threads)
            opts = {"max_len": n + 1, "positions": "learned"} if kind == "transformer" else {}
            width = width_for_params(kind, vocab, args.lookup_params, 2, **opts)
            model = build_lm(kind, vocab, width, 2, **opts)
            gen = torch.Generator().manual_seed(args.seed)
            opt = torch.optim.Adam(model.parameters(), lr=LOOKUP_LR)
            model.train()
            losses, cpu0, wall0 = [], time.process_time(), time.perf_counter()
            while time.process_time() - cpu0 < args.cpu_seconds:
                x, y = make(args.batch, n, gen)
                loss = task_loss(model, x, y)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                losses.append(loss.item())
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            model.eval()
            acc = task_accuracy(model, make, n, n=args.test_n,
                                gen=torch.Generator().manual_seed(args.seed + 1))
            tail = losses[-50:]
            saved.setdefault("lookup", {}).setdefault(str(n), {})[kind] = {
                "width": width, "vocab": vocab, "max_len": n + 1, "state_dict": model.state_dict()}
            out.setdefault(kind, {})[str(n)] = {
                "width": width, "params": count_params(model), "lr": LOOKUP_LR,
                "steps": len(losses), "cpu_seconds": cpu, "wall_seconds": wall,
                "final_loss": sum(tail) / len(tail), "accuracy": acc,
                "load_average_after": os.getloadavg()}
            print(f"lookup n={n:4d} {kind:12s} params {count_params(model):6d} "
                  f"{len(losses):5d} steps {cpu:5.1f} cpu s  acc {acc:.3f}", flush=True)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="+", default=list(KINDS), choices=KINDS)
    p.add_argument("--tasks", nargs="+", default=["parity", "copy"],
                   choices=["parity", "copy", "lookup"],
                   help="lookup is written to its own files (lookup.json, lookup_models.pt)")
    p.add_argument("--params", type=int, default=20000, help="parameters per model")
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--train-max", type=int, default=40)
    p.add_argument("--test-lengths", type=int, nargs="+",
                   default=[10, 20, 40, 60, 100, 200, 300])
    p.add_argument("--test-n", type=int, default=1000)
    p.add_argument("--copy-n", type=int, default=4)
    p.add_argument("--copy-symbols", type=int, default=8)
    p.add_argument("--gaps", type=int, nargs="+", default=[10, 50, 100, 200],
                   help="gaps tested; training draws gaps from 1..train-max")
    p.add_argument("--lookup-lengths", type=int, nargs="+", default=[16, 64, 128])
    p.add_argument("--lookup-symbols", type=int, default=8)
    p.add_argument("--lookup-params", type=int, default=30000)
    p.add_argument("--cpu-seconds", type=float, default=120.0,
                   help="process CPU seconds of training per lookup model")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--models-out", type=Path, default=None)
    p.add_argument("--merge", type=Path, nargs="+", default=None,
                   help="join result files of tasks run as separate processes (their models "
                   "files are found beside them: NAME.json -> NAME_models.pt)")
    args = p.parse_args()
    lookup = "lookup" in args.tasks
    if lookup and len(args.tasks) > 1:
        p.error("run --tasks lookup on its own (it has its own result files)")
    if args.models_out is None:
        args.models_out = LOOKUP_MODELS_OUT if lookup else MODELS_OUT
    if args.merge:
        merge(args.merge, args.out or DEFAULT_OUT, args.models_out)
        return
    if args.quick:
        args.steps, args.params, args.test_n = 30, 3000, 100
        args.test_lengths, args.gaps = [10, 60], [10, 60]
        args.lookup_lengths, args.cpu_seconds, args.lookup_params = [8], 2.0, 3000
    default_out = LOOKUP_OUT if lookup else DEFAULT_OUT
    if args.quick:
        default_out = QUICK_OUT.with_name(default_out.stem + ".quick.json")
    out_path = args.out or default_out
    load_start = os.getloadavg()
    results, saved = {}, {}
    if "parity" in args.tasks:
        results["parity"] = run_task("parity", parity_batch, 2, range(1, args.train_max + 1),
                                     args.test_lengths, args, saved)
    if "copy" in args.tasks:
        # make(batch, gap, gen): the "length" the trainer draws is the gap
        make = partial(_copy, n_copy=args.copy_n, n_symbols=args.copy_symbols)
        results["copy"] = run_task("copy", make, copy_vocab_size(args.copy_symbols),
                                   range(1, args.train_max + 1), args.gaps, args, saved)
    if lookup:
        results["lookup"] = run_lookup(args, saved)
    record = {
        "description": LOOKUP_DESCRIPTION if lookup else SYNTHETIC_DESCRIPTION,
        "quick": args.quick,
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        **run_record(load_start),
        "results": results,
    }
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out_path}")
    if not args.quick:
        torch.save(saved, args.models_out)
        print(f"wrote {args.models_out}")


def merge(paths, out_path: Path, models_out: Path) -> None:
    """One results file (and one models file) from files of tasks run as separate processes."""
    parts = [json.loads(Path(p).read_text(encoding="utf-8")) for p in paths]
    record = {**parts[0], "results": {}, "parts": []}
    models = {}
    for path, part in zip(paths, parts, strict=True):
        for task, runs in part["results"].items():
            record["results"].setdefault(task, {}).update(runs)
        for task, runs in torch.load(Path(part["settings"]["models_out"]),
                                     weights_only=True).items():
            if task == "lookup":            # {n: {kind: ...}}: join the kinds of each n
                for n, by_kind in runs.items():
                    models.setdefault(task, {}).setdefault(n, {}).update(by_kind)
            else:
                models.setdefault(task, {}).update(runs)
        record["parts"].append({"file": Path(path).name,
                                "tasks": {t: list(r) for t, r in part["results"].items()},
                                "date": part["date"],
                                "load_average_start": part["load_average_start"],
                                "load_average_end": part["load_average_end"]})
    record["settings"] = {**parts[0]["settings"], "tasks": list(record["results"]),
                          "models": sorted({k for r in record["results"].values() for k in r}),
                          "out": str(out_path), "models_out": str(models_out)}
    record["load_average_start"] = max((p["load_average_start"] for p in parts),
                                       key=lambda v: v[0])
    record["load_average_end"] = max((p["load_average_end"] for p in parts), key=lambda v: v[0])
    record["date"] = max(p["date"] for p in parts)
    out_path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    torch.save(models, models_out)
    print(f"wrote {out_path} and {models_out}")


SYNTHETIC_DESCRIPTION = (
    "Accuracy on fresh examples after training on short ones, written by "
    "benchmarks/synthetic_tasks.py. parity: accuracy by string length "
    "(trained on 1..train_max; chance 0.5). copy: share of copied symbols "
    "right, by gap (trained on gaps 1..train_max; chance 1/copy_symbols).")
LOOKUP_DESCRIPTION = (
    "Positional lookup (rnnlab.tasks.lookup_batch), written by benchmarks/synthetic_tasks.py "
    "--tasks lookup: n random symbols then a query naming a position; results[lookup][kind][n] "
    "is the share of fresh examples answered right after cpu_seconds of one-thread training "
    "(chance 1/lookup_symbols), one model per n.")


def _lookup(batch, n, gen, n_symbols):
    return lookup_batch(batch, n, gen, n_symbols=n_symbols)


def _copy(batch, gap, gen, n_copy, n_symbols):
    return copy_batch(batch, n_copy, gap, gen, n_symbols=n_symbols)


if __name__ == "__main__":
    main()
