"""RNN, LSTM and GRU character models on lesson 07's text, each trained for a budget of training
seconds with stateful truncated BPTT, scored on held-out text beside the baselines.

    python benchmarks/char_lm.py --models lstm --seconds 900 --out char_lm_lstm.part.json
    python benchmarks/char_lm.py --models gru rnn --seconds 450 --out char_lm_gru_rnn.part.json
    python benchmarks/char_lm.py --combine char_lm_lstm.part.json char_lm_gru_rnn.part.json
    python benchmarks/char_lm.py --quick               # seconds, to a scratch file

Data: ``rnnlab.corpus.pydoc_split`` (split by document), ``OpenVocab`` of the training text.
Each model (``rnnlab.charlm.CharLM``: embedding 64, one recurrent layer of ``--hidden`` units,
dropout on inputs and outputs) is trained by ``rnnlab.charlm.train_stream`` (the text as
``--batch`` parallel streams, windows of ``--seq-len``, state carried and detached, clipping at
``--clip``, the learning rate decaying along a cosine to a twentieth) for ``--seconds`` of
training time on ``--clock`` (``cpu``, the default: CPU seconds of this one-thread process,
which a busy shared machine does not shrink; ``wall``: elapsed seconds), stopping anyway after
``--max-wall`` elapsed seconds per model. The whole validation split is scored every
``--eval-every`` training seconds (the learning curve; the wall time of each point is kept
too), then the test split, state carried. The baselines come from
``benchmarks/results/char_baselines.json`` (same split, fingerprint checked). Each run records
its settings, steps, parameter count, training and wall seconds, load averages and date;
``--out`` names the file in ``benchmarks/results`` (two processes can train at once, each to
its own part), ``--combine`` merges parts into ``char_lm.json``. The LSTM's weights (float16)
go to ``benchmarks/results/char_lm_lstm.pt``. ``--quick`` writes to the temporary folder only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from rnnlab import charlm  # noqa: E402
from rnnlab.corpus import OpenVocab, pydoc_split  # noqa: E402
from rnnlab.train import seed_everything  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
QUICK_DIR = Path(tempfile.gettempdir()) / "rnnlab-benchmarks"


def combine(parts: list[str], out_dir: Path) -> Path:
    """Merge the runs of several part files (same split and baselines) into ``char_lm.json``."""
    records = [json.loads((out_dir / name).read_text(encoding="utf-8")) for name in parts]
    first = records[0]
    for rec in records[1:]:
        if rec["split"] != first["split"] or rec["baselines"] != first["baselines"]:
            raise SystemExit("the parts are for different splits or baselines")
    merged = {k: v for k, v in first.items() if k not in ("runs", "settings", "parts")}
    merged["parts"] = parts
    merged["runs"] = {kind: run for rec in records for kind, run in rec["runs"].items()}
    merged["date"] = max(rec["date"] for rec in records)
    path = out_dir / "char_lm.json"
    path.write_text(json.dumps(merged, indent=1) + "\n", encoding="utf-8")
    return path


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="+", default=list(charlm.KINDS), choices=charlm.KINDS)
    p.add_argument("--seconds", type=float, default=900.0, help="training seconds per model")
    p.add_argument("--clock", default="cpu", choices=("cpu", "wall"))
    p.add_argument("--max-wall", type=float, default=None, help="elapsed seconds per model, cap")
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--embed", type=int, default=64)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seq-len", type=int, default=100)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--clip", type=float, default=1.0)
    p.add_argument("--eval-every", type=float, default=45.0, help="training seconds")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="char_lm.json", help="file name in benchmarks/results")
    p.add_argument("--combine", nargs="+", metavar="PART", help="merge parts into char_lm.json")
    p.add_argument("--quick", action="store_true", help="3 s per model, scratch output")
    args = p.parse_args()
    if args.combine:
        print(f"wrote {combine(args.combine, RESULTS)}")
        return
    if args.quick:
        args.seconds, args.eval_every, args.hidden = 3.0, 1.0, 32
    out_dir = QUICK_DIR if args.quick else RESULTS
    out_dir.mkdir(parents=True, exist_ok=True)

    split = pydoc_split(0)
    vocab = OpenVocab(split.train)
    train, valid, test = (vocab.encode(t) for t in (split.train, split.valid, split.test))
    base = json.loads((RESULTS / "char_baselines.json").read_text(encoding="utf-8"))
    if base["split"]["fingerprint"] != split.fingerprint:
        raise SystemExit(f"char_baselines.json is for split {base['split']['fingerprint']}, "
                         f"this Python gives {split.fingerprint}: rerun char_baselines.py")
    load_before = os.getloadavg()
    print(f"split {split.fingerprint}, vocabulary {len(vocab)}, {args.seconds:g} {args.clock} s "
          f"per model, {args.threads} thread(s), load average {load_before[0]:.2f}", flush=True)

    runs = {}
    settings = {k: v for k, v in vars(args).items() if k not in ("combine", "models", "out")}
    for kind in args.models:
        seed_everything(args.seed, threads=args.threads)
        model = charlm.CharLM(kind, len(vocab), args.hidden, args.embed, 1, args.dropout)
        load_start = os.getloadavg()[0]
        date_start = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        hist = charlm.train_stream(model, train, args.seconds, args.batch, args.seq_len,
                                   args.lr, clip=args.clip,
                                   eval_fn=lambda m: charlm.stream_bpc(m, valid),
                                   eval_every=args.eval_every, progress=False, decay=True,
                                   clock=args.clock, max_wall=args.max_wall)
        test_bpc = charlm.stream_bpc(model, test)
        hist.pop("grad_norm")
        runs[kind] = {"settings": settings, "params": sum(q.numel() for q in model.parameters()),
                      "steps": hist["step"][-1],
                      "characters_seen": hist["step"][-1] * args.batch * args.seq_len,
                      "train_seconds": hist["seconds"][-1], "clock": args.clock,
                      "wall_seconds": hist["wall"][-1],
                      "stopped_by": ("budget" if hist["seconds"][-1] >= args.seconds
                                     else "wall cap"),
                      "valid_bpc": hist["eval"][-1], "test_bpc": test_bpc,
                      "test_perplexity": 2 ** test_bpc,
                      "load_average_start": load_start,
                      "load_average_end": os.getloadavg()[0],
                      "started": date_start, "curve": hist}
        print(f"{kind:5s} params {runs[kind]['params']:7d} steps {runs[kind]['steps']:5d} "
              f"{hist['seconds'][-1]:.0f} {args.clock} s in {hist['wall'][-1]:.0f} wall s, "
              f"valid {hist['eval'][-1]:.3f} test {test_bpc:.3f}", flush=True)
        if kind == "lstm":
            charlm.save(model, out_dir / "char_lm_lstm.pt", vocab,
                        extra={"split": split.fingerprint, "test_bpc": test_bpc})

    record = {
        "description": "Character models on pydoc_data.topics, written by benchmarks/char_lm.py: "
                       "each trained for a budget of training seconds (runs[*].clock: cpu = CPU "
                       "seconds of the one-thread process, evaluation excluded; wall_seconds is "
                       "the elapsed time, evaluations included) with stateful truncated BPTT; "
                       "curve.eval is bits per character on the whole validation split, "
                       "test_bpc on the test split, state carried across windows. baselines: "
                       "from char_baselines.json (test split).",
        "quick": args.quick,
        "split": {"seed": 0, "fingerprint": split.fingerprint, "characters": split.sizes(),
                  "vocabulary": len(vocab)},
        "baselines": {r["name"]: {"bpc": r["bpc"], "perplexity": r["perplexity"]}
                      for r in base["rows"]},
        "threads": torch.get_num_threads(),
        "load_average_before": load_before[0],
        "load_average_after": os.getloadavg()[0],
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "runs": runs,
    }
    path = out_dir / args.out
    path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
