"""RNN, LSTM and GRU character models on lesson 07's text, each trained for the same wall-clock
budget with stateful truncated BPTT, scored on held-out text beside the baselines.

    python benchmarks/char_lm.py                       # the run lesson 07 loads (about 13 min)
    python benchmarks/char_lm.py --quick               # seconds, to a scratch file

Data: ``rnnlab.corpus.pydoc_split`` (split by document), ``OpenVocab`` of the training text.
Each model (``rnnlab.charlm.CharLM``: embedding 64, one recurrent layer of ``--hidden`` units,
dropout on inputs and outputs) is trained by ``rnnlab.charlm.train_stream`` (the text as
``--batch`` parallel streams, windows of ``--seq-len``, state carried and detached, clipping at
1, the learning rate decaying along a cosine to a twentieth) for ``--seconds`` of training
time, with the whole validation split scored every ``--eval-every`` seconds (the learning curve
against wall-clock time), then the test split, state carried. The baselines come from
``benchmarks/results/char_baselines.json`` (same split, fingerprint checked). Written to
``benchmarks/results/char_lm.json`` with the budget, seed, date, threads, load average and the
split, and the LSTM's weights (float16) to ``benchmarks/results/char_lm_lstm.pt``.
``--quick`` writes to the temporary folder only.
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


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="+", default=list(charlm.KINDS), choices=charlm.KINDS)
    p.add_argument("--seconds", type=float, default=240.0, help="training seconds per model")
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--embed", type=int, default=64)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seq-len", type=int, default=100)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--eval-every", type=float, default=20.0, help="training seconds")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="3 s per model, scratch output")
    args = p.parse_args()
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
    print(f"split {split.fingerprint}, vocabulary {len(vocab)}, {args.seconds:g} s per model, "
          f"{args.threads} thread(s), load average {load_before[0]:.2f}")

    runs = {}
    for kind in args.models:
        seed_everything(args.seed, threads=args.threads)
        model = charlm.CharLM(kind, len(vocab), args.hidden, args.embed, 1, args.dropout)
        hist = charlm.train_stream(model, train, args.seconds, args.batch, args.seq_len,
                                   args.lr, eval_fn=lambda m: charlm.stream_bpc(m, valid),
                                   eval_every=args.eval_every, progress=False, decay=True)
        test_bpc = charlm.stream_bpc(model, test)
        hist.pop("grad_norm")
        runs[kind] = {"params": sum(q.numel() for q in model.parameters()),
                      "steps": hist["step"][-1],
                      "characters_seen": hist["step"][-1] * args.batch * args.seq_len,
                      "valid_bpc": hist["eval"][-1], "test_bpc": test_bpc,
                      "test_perplexity": 2 ** test_bpc, "curve": hist}
        print(f"{kind:5s} params {runs[kind]['params']:7d} steps {runs[kind]['steps']:5d} "
              f"valid {hist['eval'][-1]:.3f} test {test_bpc:.3f}")
        if kind == "lstm":
            charlm.save(model, out_dir / "char_lm_lstm.pt", vocab,
                        extra={"split": split.fingerprint, "test_bpc": test_bpc})

    record = {
        "description": "Character models on pydoc_data.topics, written by benchmarks/char_lm.py: "
                       "each trained for the same wall-clock budget (evaluation excluded) with "
                       "stateful truncated BPTT; curve.eval is bits per character on the whole "
                       "validation split, test_bpc on the test split, state carried across "
                       "windows. baselines: from char_baselines.json (test split).",
        "quick": args.quick,
        "settings": vars(args),
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
    path = out_dir / "char_lm.json"
    path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
