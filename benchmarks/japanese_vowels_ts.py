"""Convert the UEA archive's JapaneseVowels_{TRAIN,TEST}.ts (as shipped with aeon) into
``rnnlab/data/japanese_vowels.npz``, the file lesson 07 reads (see rnnlab/data/README.md).

    python benchmarks/japanese_vowels_ts.py DIR      # DIR holds JapaneseVowels_TRAIN.ts, _TEST.ts

Each case is stored as its frames (length, 12), all cases of a split concatenated, with the
lengths and the labels (speakers 1-9 as 0-8); the values are those of the .ts text, in float64.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "rnnlab" / "data" / "japanese_vowels.npz"


def read_ts(path: Path):
    cases, labels = [], []
    in_data = False
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.lower() == "@data":
            in_data = True
            continue
        if not in_data:
            continue
        *dims, label = line.split(":")
        arr = np.array([[float(v) for v in d.split(",")] for d in dims]).T   # (length, 12)
        cases.append(arr)
        labels.append(int(label) - 1)
    return cases, np.array(labels)


def main() -> None:
    folder = Path(sys.argv[1])
    out = {}
    for split in ("train", "test"):
        cases, labels = read_ts(folder / f"JapaneseVowels_{split.upper()}.ts")
        out[f"{split}_frames"] = np.concatenate(cases)
        out[f"{split}_lengths"] = np.array([len(c) for c in cases])
        out[f"{split}_labels"] = labels
        print(split, len(cases), "cases, lengths", min(out[f"{split}_lengths"]), "to",
              max(out[f"{split}_lengths"]))
    np.savez_compressed(OUT, **out)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
