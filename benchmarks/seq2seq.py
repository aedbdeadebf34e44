"""Encoder-decoder without and with attention, on dates and on reversal, written to a JSON file.

Lesson 08 trains only a tiny model live (a lesson has 60 s); it loads the numbers and the small
checkpoints this script writes (``benchmarks/results/seq2seq.json`` and
``benchmarks/results/seq2seq_<task>_<model>.pt``).

For each task (``date``: written dates to ISO; ``reverse``: symbol strings of length 5-40,
reversed), two models of the same size are trained from the same seed on the same batches:
``none`` (the decoder gets one fixed vector, the encoder's final states) and ``additive``
(Bahdanau attention). Each trains with Adam, gradient clipping and full teacher forcing until
its step or time budget runs out; if a late loss spike left it worse on the validation set than
at an earlier evaluation, the weights of that evaluation are kept (``kept_step``). Then, on
held-out data never trained on:

* greedy exact-match and character accuracy, overall and by input length (dates also on
  ``test_long``, inputs longer than 90% of the training inputs);
* exposure bias: accuracy at each output position when the decoder reads the true previous
  tokens (teacher-forced) against its own (free-running);
* beam search (beam 4; ranked by total or by mean log-probability) against greedy, on a
  subset.

The file records the seed, budgets, steps and seconds taken, thread count, torch version and
date. A model that ran out of budget is reported as such, not as unable to learn the task.

    python benchmarks/seq2seq.py                       # about 9 minutes on one thread
    python benchmarks/seq2seq.py --tasks date --seconds 30 --out /tmp/s.json --checkpoints /tmp
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rnnlab.seq2seq import (  # noqa: E402
    Seq2Seq,
    accuracy_by_length,
    evaluate,
    position_accuracy,
    save_checkpoint,
    sequence_loss,
)
from rnnlab.seqtasks import (  # noqa: E402
    DATE_SOURCE,
    DATE_TARGET,
    batch_stream,
    date_splits,
    make_batch,
    symbol_splits,
    symbol_vocab,
)

RESULTS = ROOT / "benchmarks" / "results"
MODELS = {"none": None, "additive": "additive"}
EDGES = {"date": [6, 10, 14, 18, 22, 26, 30], "reverse": [5, 10, 15, 20, 25, 30, 35, 41]}
MAX_INPUT = {"date": 40, "reverse": 40}


def task_data(task: str, seed: int, n_train: int):
    if task == "date":
        splits = date_splits(seed, n_train=n_train, n_val=300, n_test=1000, n_long=500)
        return splits, DATE_SOURCE, DATE_TARGET, 12
    vocab = symbol_vocab()
    return symbol_splits(seed, "reverse", n_train=n_train, n_val=300, n_test=1400), vocab, \
        vocab, 42


def exact(model, pairs, sv, tv, max_len) -> float:
    records = evaluate(model, pairs, sv, tv, max_len)
    return sum(r["exact"] for r in records) / len(records)


def summary(records) -> dict:
    n = len(records)
    return {"n": n, "exact": sum(r["exact"] for r in records) / n,
            "char_acc": sum(r["char_acc"] for r in records) / n}


def beam_vs_greedy(model, pairs, sv, tv, max_len, beam) -> dict:
    """Greedy, and beam search ranked by total log-probability (length penalty 0) and by mean
    log-probability per token (length penalty 1), on the same pairs."""
    return {"n": len(pairs), "beam": beam,
            "greedy": summary(evaluate(model, pairs, sv, tv, max_len)),
            "beam_penalty_0": summary(evaluate(model, pairs, sv, tv, max_len, beam=beam,
                                               length_penalty=0.0)),
            "beam_penalty_1": summary(evaluate(model, pairs, sv, tv, max_len, beam=beam,
                                               length_penalty=1.0))}


def run_one(task: str, name: str, data, args) -> dict:
    splits, sv, tv, max_len = data
    torch.manual_seed(args.seed)
    model = Seq2Seq(len(sv), len(tv), embed_size=args.embed, hidden_size=args.hidden,
                    attention=MODELS[name])
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    stream = batch_stream(splits["train"], sv, tv, args.batch,
                          torch.Generator().manual_seed(args.seed))
    budget = args.seconds * (args.reverse_factor if task == "reverse" else 1.0)
    curve, losses = [], []
    best = (-1.0, 0, None)  # validation exact match, step, weights
    start = time.perf_counter()
    step, stop = 0, "step budget"
    model.train()
    while step < args.steps:
        batch = next(stream)
        logits, _ = model(batch.src, batch.src_lengths, batch.tgt_in)
        loss = sequence_loss(logits, batch.tgt_out)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
        losses.append(loss.item())
        step += 1
        if step % args.eval_every == 0:
            model.eval()
            curve.append({"step": step, "seconds": round(time.perf_counter() - start, 1),
                          "train_loss": sum(losses[-50:]) / len(losses[-50:]),
                          "val_exact": exact(model, splits["val"], sv, tv, max_len)})
            model.train()
            if curve[-1]["val_exact"] >= best[0]:
                best = (curve[-1]["val_exact"], step,
                        {k: v.clone() for k, v in model.state_dict().items()})
            print(f"  {task} {name} step {step}: loss {curve[-1]['train_loss']:.3f} "
                  f"val exact {curve[-1]['val_exact']:.3f}", flush=True)
        if time.perf_counter() - start > budget:
            stop = "time budget"
            break
    seconds = time.perf_counter() - start
    model.eval()
    final_val = exact(model, splits["val"], sv, tv, max_len)
    kept = step
    if best[2] is not None and best[0] > final_val:  # a late loss spike: keep the best weights
        model.load_state_dict(best[2])
        kept = best[1]

    t0 = time.perf_counter()
    result = {"task": task, "model": name, "attention": MODELS[name], "steps": step,
              "seconds": round(seconds, 1), "stopped_because": stop,
              "seconds_budget": budget, "step_budget": args.steps,
              "parameters": sum(p.numel() for p in model.parameters()),
              "final_train_loss": sum(losses[-50:]) / len(losses[-50:]), "curve": curve,
              "final_val_exact": final_val, "kept_step": kept,
              "kept_val_exact": max(final_val, best[0])}
    for split in [s for s in ("test", "test_long") if s in splits]:
        records = evaluate(model, splits[split], sv, tv, max_len)
        result[split] = summary(records)
        result[split]["by_length"] = accuracy_by_length(records, EDGES[task])
        result[split]["examples"] = [{k: r[k] for k in ("src", "tgt", "pred")}
                                     for r in records[:5]]
    sub = splits["test"][:args.exposure_n]
    result["exposure_bias"] = position_accuracy(model, make_batch(sub, sv, tv), max_len)
    beam_sub = splits["test"][:args.beam_n]
    result["beam_vs_greedy"] = beam_vs_greedy(model, beam_sub, sv, tv, max_len, args.beam)
    if "test_long" in splits:
        result["beam_vs_greedy_long"] = beam_vs_greedy(
            model, splits["test_long"][:args.beam_n], sv, tv, max_len, args.beam)
    result["eval_seconds"] = round(time.perf_counter() - t0, 1)
    if args.checkpoints is not None:
        path = args.checkpoints / f"seq2seq_{task}_{name}.pt"
        meta = {"task": task, "max_input": MAX_INPUT[task], "max_len": max_len,
                "seed": args.seed, "steps": step, "seconds": round(seconds, 1),
                "test_exact": result["test"]["exact"],
                "written_by": "benchmarks/seq2seq.py",
                "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")}
        save_checkpoint(model, path, sv, tv, meta)
        result["checkpoint"] = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) \
            else str(path)
        result["checkpoint_bytes"] = path.stat().st_size
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Train encoder-decoders without and with attention on written dates and on "
                    "reversal; write accuracy by length, exposure bias and beam-vs-greedy to a "
                    "JSON file and small checkpoints that lesson 08 loads.")
    parser.add_argument("--tasks", nargs="+", default=["date", "reverse"],
                        choices=["date", "reverse"])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--seconds", type=float, default=80.0,
                        help="training seconds per date model (default: 80)")
    parser.add_argument("--reverse-factor", type=float, default=2.0,
                        help="reversal models get this many times --seconds (default: 2)")
    parser.add_argument("--steps", type=int, default=20000, help="most steps per model")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--clip", type=float, default=1.0)
    parser.add_argument("--embed", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--n-train", type=int, default=20000)
    parser.add_argument("--eval-every", type=int, default=200)
    parser.add_argument("--exposure-n", type=int, default=500)
    parser.add_argument("--beam-n", type=int, default=200)
    parser.add_argument("--beam", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS / "seq2seq.json")
    parser.add_argument("--checkpoints", type=Path, default=RESULTS,
                        help="folder for the checkpoints (default: benchmarks/results)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    record = {
        "description": "Encoder-decoder (bidirectional GRU encoder, GRU decoder) without "
                       "attention ('none': one fixed context vector) and with additive "
                       "attention, written by benchmarks/seq2seq.py. Greedy decoding unless "
                       "stated; exact = whole output right; char_acc = share of positions "
                       "right over the longer of output and target. Budgets are per model; a "
                       "run that hit its budget is not converged.",
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "torch": torch.__version__, "python": platform.python_version(),
        "cpu_count": os.cpu_count(), "threads": torch.get_num_threads(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "runs": [],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    total = time.perf_counter()
    for task in args.tasks:
        data = task_data(task, args.seed, args.n_train)
        if task == "date":
            record["date_long_threshold"] = data[0]["long_threshold"]
        for name in args.models:
            result = run_one(task, name, data, args)
            record["runs"].append(result)
            print(f"{task:8s} {name:9s} steps={result['steps']:5d} "
                  f"seconds={result['seconds']:6.1f} test exact={result['test']['exact']:.3f} "
                  f"char={result['test']['char_acc']:.3f}", flush=True)
            for row in result["test"]["by_length"]:
                print(f"    len {row['lengths']:>6s} n={row['n']:4d} exact={row['exact']:.3f} "
                      f"char={row['char_acc']:.3f}")
            args.out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    record["total_seconds"] = round(time.perf_counter() - total, 1)
    args.out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out} in {record['total_seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
