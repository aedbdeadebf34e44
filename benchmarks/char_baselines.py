"""The baselines lesson 07's character-level language models have to beat, on held-out text.

Splits ``pydoc_data.topics`` by document (``rnnlab.corpus.pydoc_split``), fits every counting
model of ``rnnlab.baselines`` on the training split and scores the test split (and the
validation split, for choosing an order without looking at the test), in bits per character with
perplexity beside it; compressors are scored on the test text given the training text. Writes
``benchmarks/results/char_baselines.json`` with the split (topics, sizes, fingerprint), the
table, the timings and the Python version (the text changes a little between releases).

    python benchmarks/char_baselines.py                  # orders 1-6, about half a minute
    python benchmarks/char_baselines.py --orders 1 2 3 4 5 6 7 8 10 12
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rnnlab.baselines import KneserNey, baseline_table  # noqa: E402
from rnnlab.corpus import OpenVocab, pydoc_split  # noqa: E402

DEFAULT_OUT = ROOT / "benchmarks" / "results" / "char_baselines.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6],
                        help="Kneser-Ney orders (default: 1-6)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the split (default: 0)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"where to write (default: {DEFAULT_OUT.relative_to(ROOT)})")
    args = parser.parse_args()

    split = pydoc_split(args.seed)
    vocab = OpenVocab(split.train)
    print(f"split {split.fingerprint}: {split.sizes()} characters; vocabulary {len(vocab)}")
    test = baseline_table(split.train, split.test, vocab, args.orders)
    valid = {n: KneserNey(split.train, vocab, n).bits_per_char(split.valid) for n in args.orders}
    print(f"{'model (test split)':36s} {'bpc':>6s} {'ppl':>6s} {'valid':>6s} {'seconds':>8s}")
    for row in test:
        n = int(row["name"].rsplit(" ", 1)[1]) if row["name"].startswith("Kneser") else None
        row["valid_bpc"] = valid[n] if n else None
        shown = f"{row['valid_bpc']:6.3f}" if n else " " * 6
        print(f"{row['name']:36s} {row['bpc']:6.3f} {row['perplexity']:6.2f} {shown} "
              f"{row['seconds']:8.2f}")
    record = {
        "description": "Baselines for lesson 07's character-level language models, written by "
                       "benchmarks/char_baselines.py: bits per character on the test split "
                       "(valid_bpc: on the validation split), perplexity = 2 ** bpc. Counting "
                       "models are fitted on the training split; compressors are charged "
                       "size(train + test) - size(train).",
        "split": {"seed": args.seed, "fingerprint": split.fingerprint,
                  "characters": split.sizes(), "topics": split.names,
                  "vocabulary": len(vocab),
                  "unknown_in_test": vocab.unknown_count(split.test)},
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "rows": test,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
