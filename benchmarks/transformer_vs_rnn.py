"""LSTM, GRU, Transformer and minGRU on lesson 07's text: matched parameter count, the same
wall-clock budget, held-out bits per character against training time.

    python benchmarks/transformer_vs_rnn.py                  # the full run lesson 09 loads
    python benchmarks/transformer_vs_rnn.py --quick          # under a minute, to a scratch file
    python benchmarks/transformer_vs_rnn.py --models lstm --out a.json   # one model; then
    python benchmarks/transformer_vs_rnn.py --merge a.json b.json        # join the files

Data: ``rnnlab.corpus.pydoc_split`` (split by document), ``OpenVocab`` of the training text.
Each model is sized by ``rnnlab.compare.width_for_params`` to the parameter count of the
Transformer at ``--width`` (the reference), trained by ``rnnlab.compare.train_for`` on random
windows of ``--seq-len`` characters for ``--seconds`` of training time (evaluation excluded;
by default CPU seconds of this process, ``--clock process``, so that other programs on a shared
machine do not shrink one model's budget more than another's),
and scored on a stretch of the validation text every ``--eval-every`` seconds; at the end on the
whole test text, every window from an empty state (the same context for every model), and for
the recurrent models also with their state carried across windows. The models take turns on the
same machine one after another; the budget, seed, date, thread count, torch version and device
are written with the numbers, and the load average (``os.getloadavg``) at the start, after
each model and at the end, to ``benchmarks/results/transformer_vs_rnn.json``. ``--quick``
writes to the system's temporary folder, never into the repository, and marks the file
``"quick": true``: its numbers prove the script runs, nothing more. Timings on a shared
machine are noisy: run the real comparison on a quiet one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from rnnlab.compare import (  # noqa: E402
    KINDS,
    bits_per_char,
    build_lm,
    count_params,
    run_record,
    train_for,
    width_for_params,
)
from rnnlab.corpus import OpenVocab, pydoc_split  # noqa: E402
from rnnlab.train import pick_device, seed_everything  # noqa: E402

DEFAULT_OUT = ROOT / "benchmarks" / "results" / "transformer_vs_rnn.json"
QUICK_OUT = Path(tempfile.gettempdir()) / "rnnlab-benchmarks" / "transformer_vs_rnn.quick.json"
LR = {"lstm": 3e-3, "gru": 3e-3, "transformer": 1e-3, "mingru": 3e-3}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="+", default=list(KINDS), choices=KINDS)
    p.add_argument("--seconds", type=float, default=600.0, help="training seconds per model")
    p.add_argument("--width", type=int, default=128, help="the Transformer's d_model; the "
                   "others are sized to its parameter count")
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--seq-len", type=int, default=128)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--eval-every", type=float, default=30.0, help="training seconds")
    p.add_argument("--eval-chars", type=int, default=20000,
                   help="validation characters scored at each evaluation")
    p.add_argument("--clock", choices=["process", "wall"], default="process",
                   help="process: the budget counts this process's CPU seconds (fair on a "
                   "shared machine, one thread); wall: wall-clock seconds (use on a GPU)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    p.add_argument("--quick", action="store_true",
                   help="tiny models, 4 s each, scratch output: proves the script runs")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--merge", type=Path, nargs="+", default=None,
                   help="join the files of models run as separate processes into one")
    args = p.parse_args()
    if args.merge:
        merge(args.merge, args.out or DEFAULT_OUT)
        return
    if args.quick:
        args.seconds, args.width, args.eval_every, args.eval_chars = 4.0, 32, 2.0, 2000
        args.seq_len, args.batch = 64, 16
    out_path = args.out or (QUICK_OUT if args.quick else DEFAULT_OUT)
    seed_everything(args.seed, threads=args.threads)
    device = pick_device(args.device)

    split = pydoc_split(0)
    vocab = OpenVocab(split.train)
    train_ids, valid_ids = vocab.encode(split.train), vocab.encode(split.valid)
    test_ids = vocab.encode(split.test)
    test_used = test_ids[:5 * args.eval_chars] if args.quick else test_ids
    valid_part = valid_ids[:args.eval_chars]
    ref = build_lm("transformer", len(vocab), args.width, args.layers)
    target = count_params(ref)
    print(f"split {split.fingerprint}, vocabulary {len(vocab)}, target {target} parameters, "
          f"{args.seconds:g} s each, {args.threads} thread(s), {device}")

    load_start = os.getloadavg()
    clock = time.process_time if args.clock == "process" else time.perf_counter
    baselines = None
    base_file = ROOT / "benchmarks" / "results" / "char_baselines.json"
    if base_file.exists():
        rows = json.loads(base_file.read_text(encoding="utf-8"))["rows"]
        baselines = {r["name"]: r["bpc"] for r in rows}
    runs = {}
    for kind in args.models:
        width = (args.width if kind == "transformer"
                 else width_for_params(kind, len(vocab), target, args.layers))
        seed_everything(args.seed, threads=args.threads)
        model = build_lm(kind, len(vocab), width, args.layers).to(device)
        gen = torch.Generator().manual_seed(args.seed)
        wall = time.perf_counter()
        hist = train_for(model, train_ids, args.seconds, args.batch, args.seq_len, LR[kind],
                         eval_fn=lambda m: bits_per_char(m, valid_part, args.seq_len, 16),
                         eval_every=args.eval_every, gen=gen, clock=clock)
        wall = time.perf_counter() - wall
        fresh = bits_per_char(model, test_used, args.seq_len, 16)
        carried = (bits_per_char(model, test_used, args.seq_len, 16, carry=True)
                   if kind != "transformer" else None)
        runs[kind] = {"width": width, "params": count_params(model), "lr": LR[kind],
                      "steps": hist["step"][-1],
                      "characters_seen": hist["step"][-1] * args.batch * args.seq_len,
                      "curve": hist, "test_bpc": fresh, "test_bpc_carried_state": carried,
                      "wall_seconds_with_evaluation": wall,
                      "load_average_after": os.getloadavg()}
        shown = f", carried {carried:.3f}" if carried is not None else ""
        print(f"{kind:12s} width {width:4d} params {runs[kind]['params']:7d} steps "
              f"{hist['step'][-1]:6d} valid {hist['eval'][-1]:.3f} test {fresh:.3f}{shown} "
              f"({wall:.0f} s wall)", flush=True)
        record = {
            "description": "Held-out bits per character against training time, written by "
                           "benchmarks/transformer_vs_rnn.py. Parameter counts matched to the "
                           "Transformer's; the same training-time budget (settings.clock: "
                           "process = CPU seconds of the benchmark's process, wall = "
                           "wall-clock); curve.eval is bits per character on the first "
                           "eval_chars of the validation split, test_bpc on the test split "
                           "(every window from an empty state; test_bpc_carried_state carries "
                           "a recurrent state across windows). Written again after each model.",
            "quick": args.quick,
            "settings": {k: (str(v) if isinstance(v, Path) else v)
                         for k, v in vars(args).items()},
            "target_params": target,
            "split": {"fingerprint": split.fingerprint, "characters": split.sizes(),
                      "vocabulary": len(vocab), "test_characters_scored": len(test_used)},
            "device": str(device),
            **run_record(load_start),
            "baselines_bpc": baselines,
            "runs": runs,
        }
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out_path}")


def merge(paths: list[Path], out_path: Path) -> None:
    """One results file from several, each holding some of the models, run at the same time
    as separate processes (each model's budget counts its own process's CPU time, so running
    them side by side changes the wall-clock time, not the budget)."""
    parts = [json.loads(Path(p).read_text(encoding="utf-8")) for p in paths]
    first = parts[0]
    for part in parts[1:]:
        for key in ("split", "target_params", "quick"):
            if part[key] != first[key]:
                raise SystemExit(f"cannot merge: {key} differs between {paths[0]} and the rest")
        same = {k: v for k, v in part["settings"].items() if k not in ("models", "out")}
        if same != {k: v for k, v in first["settings"].items() if k not in ("models", "out")}:
            raise SystemExit("cannot merge: the settings differ")
    record = {**first, "runs": {}, "parts": []}
    for path, part in zip(paths, parts, strict=True):
        record["runs"].update(part["runs"])
        record["parts"].append({"file": Path(path).name, "models": list(part["runs"]),
                                "date": part["date"],
                                "load_average_start": part["load_average_start"],
                                "load_average_end": part["load_average_end"]})
    record["settings"] = {**first["settings"], "models": list(record["runs"]),
                          "out": str(out_path)}
    record["load_average_start"] = max((p["load_average_start"] for p in parts),
                                       key=lambda v: v[0])
    record["load_average_end"] = max((p["load_average_end"] for p in parts), key=lambda v: v[0])
    record["date"] = max(p["date"] for p in parts)
    record["description"] += (" Merged from files of models run side by side as separate "
                              "processes (parts); the load averages are the highest of the "
                              "parts'.")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out_path} ({', '.join(record['runs'])})")


if __name__ == "__main__":
    main()
