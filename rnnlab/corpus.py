"""Real text for character-level language models: Python's own documentation, split by document,
its vocabulary with an unknown character, and windows for truncated backpropagation through time.

    split = pydoc_split()                          # train / valid / test, no topic in two of them
    vocab = OpenVocab(split.train)                 # characters of the training text, plus UNK
    ids = vocab.encode(split.test)                 # (len,) int64; unseen characters -> vocab.unk_id
    for x, y in StreamWindows(vocab.encode(split.train), batch=32, seq_len=100):
        ...                                        # (32, 100) inputs and next characters

The text is ``pydoc_data.topics``, the help pages of the ``help()`` command (about 465k
characters of English technical prose, shipped with Python, so nothing is downloaded). Its
contents change a little between Python releases: ``Split.fingerprint`` names the version.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

import torch

from rnnlab.text import Vocab

SPLITS = ("train", "valid", "test")


def pydoc_topics() -> dict[str, str]:
    """The help topics of the running Python: topic name -> text (each ends with a newline)."""
    from pydoc_data.topics import topics

    return dict(topics)


@dataclass(frozen=True)
class Split:
    """Documents assigned to train / valid / test; each split's text is its documents joined by a
    blank line, in sorted order of their names."""

    names: dict[str, list[str]]    # split -> sorted topic names
    texts: dict[str, str]          # split -> text

    @property
    def train(self) -> str:
        return self.texts["train"]

    @property
    def valid(self) -> str:
        return self.texts["valid"]

    @property
    def test(self) -> str:
        return self.texts["test"]

    @property
    def fingerprint(self) -> str:
        """A short hash of the three texts: equal fingerprints, equal splits."""
        h = hashlib.sha256()
        for name in SPLITS:
            h.update(self.texts[name].encode("utf-8") + b"\0")
        return h.hexdigest()[:12]

    def sizes(self) -> dict[str, int]:
        """Characters in each split."""
        return {name: len(text) for name, text in self.texts.items()}


def split_documents(docs: dict[str, str], fractions=(0.8, 0.1, 0.1), seed: int = 0) -> Split:
    """Split whole documents into train / valid / test, aiming at ``fractions`` of the characters.

    The names are sorted and shuffled with ``random.Random(seed)``; each document in turn goes to
    valid or test if it fits in what that split still lacks of its share (to the one lacking
    more), else to train. A document is never cut, so no text is in two splits; valid and test
    come out a little under their shares, and a document longer than a share stays in train.
    """
    if len(fractions) != 3 or min(fractions) <= 0 or abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(f"fractions must be three positive numbers summing to 1, got {fractions}")
    if len(docs) < 3:
        raise ValueError(f"need at least 3 documents to split, got {len(docs)}")
    names = sorted(docs)
    random.Random(seed).shuffle(names)
    total = sum(len(docs[n]) for n in names)
    lacking = {s: f * total for s, f in zip(SPLITS, fractions, strict=True)}
    chosen: dict[str, list[str]] = {s: [] for s in SPLITS}
    for name in names:
        size = len(docs[name])
        fits = [s for s in SPLITS[1:] if size <= lacking[s]]
        target = max(fits, key=lacking.get) if fits else "train"
        chosen[target].append(name)
        lacking[target] -= size
    for s in SPLITS:
        if not chosen[s]:
            raise ValueError(f"split {s!r} got no document; use more documents")
        chosen[s].sort()
    texts = {s: "\n".join(docs[n] for n in chosen[s]) for s in SPLITS}
    return Split(chosen, texts)


def pydoc_split(seed: int = 0, fractions=(0.8, 0.1, 0.1)) -> Split:
    """``split_documents(pydoc_topics(), fractions, seed)``: the course's real text, split."""
    return split_documents(pydoc_topics(), fractions, seed)


class OpenVocab(Vocab):
    """The characters of a training text, plus one unknown character ``UNK`` for the rest.

    Characters seen fewer than ``min_count`` times in the training text, and every character never
    seen there, all encode to ``unk_id`` (the last id) and decode to ``UNK`` (U+FFFD, the Unicode
    replacement character). So any text encodes, a model always has an id to give probability to,
    and scores on held-out text include its rare characters (as one symbol, "some rare
    character", not spelled out). With ``min_count=2`` the training text itself holds a few
    unknowns, so a trained model learns how likely one is instead of never seeing it."""

    UNK = "\ufffd"

    def __init__(self, text: str, min_count: int = 1):
        if not isinstance(text, str) or not text:
            raise ValueError("an open vocabulary needs a non-empty training text")
        if self.UNK in text:
            raise ValueError(f"the training text already holds the unknown character {self.UNK!r}")
        counts: dict[str, int] = {}
        for ch in text:
            counts[ch] = counts.get(ch, 0) + 1
        kept = [ch for ch, n in counts.items() if n >= min_count]
        if not kept:
            raise ValueError(f"no character is seen {min_count} times in the training text")
        super().__init__(kept)
        self.chars.append(self.UNK)
        self.unk_id = len(self.chars) - 1
        self.index[self.UNK] = self.unk_id
        self.min_count = min_count

    def __repr__(self) -> str:
        return f"OpenVocab({len(self) - 1} characters + UNK)"

    def normalize(self, text: str) -> str:
        """``text`` with every character outside the vocabulary replaced by ``UNK``."""
        return "".join(ch if ch in self.index else self.UNK for ch in text)

    def encode(self, text: str) -> torch.Tensor:
        """A string as a (len,) int64 tensor of ids; characters outside the vocabulary get
        ``unk_id``. An empty string or a non-string raises ValueError in one line."""
        if not isinstance(text, str):
            raise ValueError(f"expected a string, got {type(text).__name__}")
        if not text:
            raise ValueError("expected at least one character, got an empty string")
        return super().encode(self.normalize(text))

    def unknown_count(self, text: str) -> int:
        """How many characters of ``text`` encode to ``unk_id``."""
        return sum(ch not in self.index or ch == self.UNK for ch in text)


class StreamWindows:
    """Consecutive windows over one long id stream, for truncated BPTT with carried state.

    The stream (len,) is cut into ``batch`` equal parallel streams of ``L = (len - 1) // batch``
    characters, row ``b`` holding ``ids[b*L : (b+1)*L]``. Iterating gives, for j = 0, 1, ...,
    the window ``x = inputs[:, j*seq_len : (j+1)*seq_len]`` (batch, seq_len) and its targets
    ``y``, the next character of each input (the same window shifted by one in the text). Window
    j+1 of row b starts exactly where window j of row b ended, so a hidden state carried from
    one window to the next (detached between them, see ``detach``) has read the text that came
    before. The last window is shorter when ``seq_len`` does not divide ``L``; the last
    ``len - 1 - batch*L`` characters (fewer than ``batch``) are left out.
    """

    def __init__(self, ids: torch.Tensor, batch: int, seq_len: int):
        if not isinstance(ids, torch.Tensor) or ids.dim() != 1:
            raise ValueError("expected a 1-d tensor of ids")
        if batch < 1 or seq_len < 1:
            raise ValueError(f"batch and seq_len must be >= 1, got {batch}, {seq_len}")
        L = (len(ids) - 1) // batch
        if L < 1:
            raise ValueError(f"a stream of {len(ids)} ids is too short for batch={batch}")
        self.batch, self.seq_len, self.stream_len = batch, seq_len, L
        self.inputs = ids[: batch * L].view(batch, L)            # (batch, L)
        self.targets = ids[1: batch * L + 1].view(batch, L)      # (batch, L), next characters

    def __len__(self) -> int:
        return -(-self.stream_len // self.seq_len)

    def __iter__(self):
        for start in range(0, self.stream_len, self.seq_len):
            stop = start + self.seq_len
            yield self.inputs[:, start:stop], self.targets[:, start:stop]


def detach(h):
    """A recurrent state cut from the graph of the windows before it: a tensor, a tuple of
    tensors (an LSTM's ``(h, c)``) or ``None``. The values carry over; the gradient stops."""
    if h is None:
        return None
    if isinstance(h, tuple):
        return tuple(detach(t) for t in h)
    return h.detach()
