import pytest
import torch

from rnnlab.corpus import (
    SPLITS,
    OpenVocab,
    StreamWindows,
    detach,
    pydoc_split,
    pydoc_topics,
    split_documents,
)


@pytest.fixture(scope="module")
def split():
    return pydoc_split()


def test_split_is_by_document_and_covers_everything(split):
    topics = pydoc_topics()
    names = [n for s in SPLITS for n in split.names[s]]
    assert sorted(names) == sorted(topics)                 # every topic, each in one split only
    assert len(set(names)) == len(names)
    for s in SPLITS:
        assert split.texts[s] == "\n".join(topics[n] for n in split.names[s])
        for n in split.names[s]:                           # no document is cut
            assert topics[n] in split.texts[s]
    total = sum(len(t) for t in topics.values())
    sizes = split.sizes()
    for s, share in zip(SPLITS, (0.8, 0.1, 0.1), strict=True):
        assert abs(sizes[s] / total - share) < 0.01, (s, sizes[s] / total)


def test_split_is_reproducible_and_depends_on_the_seed(split):
    again = pydoc_split(0)
    assert again.names == split.names and again.fingerprint == split.fingerprint
    assert pydoc_split(1).names["test"] != split.names["test"]


def test_split_documents_small_and_bad_input():
    docs = {f"d{i}": "x" * (10 + i) for i in range(30)}
    s = split_documents(docs, (0.6, 0.2, 0.2), seed=3)
    assert sorted(n for k in SPLITS for n in s.names[k]) == sorted(docs)
    assert all(s.names[k] for k in SPLITS)
    with pytest.raises(ValueError, match="fractions"):
        split_documents(docs, (0.5, 0.5, 0.5))
    with pytest.raises(ValueError, match="at least 3"):
        split_documents({"a": "x", "b": "y"})


def test_open_vocab_maps_unseen_characters_to_unk():
    vocab = OpenVocab("hello world")
    assert vocab.chars[-1] == OpenVocab.UNK and vocab.unk_id == len(vocab) - 1
    assert vocab.chars[:-1] == sorted(set("hello world"))
    assert vocab.decode(vocab.encode("hello world")) == "hello world"
    ids = vocab.encode("hex!")
    assert ids.tolist()[:2] == vocab.encode("he").tolist()
    assert ids.tolist()[2:] == [vocab.unk_id, vocab.unk_id]
    assert vocab.decode(ids) == "he" + OpenVocab.UNK * 2
    assert vocab.unknown_count("hex!") == 2 and vocab.normalize("ox") == "o" + OpenVocab.UNK


def test_open_vocab_min_count_and_bad_input():
    vocab = OpenVocab("aaabbc", min_count=2)
    assert vocab.chars == ["a", "b", OpenVocab.UNK]
    assert vocab.encode("c").tolist() == [vocab.unk_id]
    for bad, words in [("", "empty"), (3, "expected a string")]:
        with pytest.raises(ValueError, match=words):
            vocab.encode(bad)
    with pytest.raises(ValueError):
        OpenVocab("")
    with pytest.raises(ValueError, match="already holds"):
        OpenVocab("a" + OpenVocab.UNK)


def test_pydoc_vocab(split):
    vocab = OpenVocab(split.train)
    assert vocab.unknown_count(split.train) == 0
    ids = vocab.encode(split.test)
    assert ids.shape == (len(split.test),) and ids.dtype == torch.int64
    assert vocab.decode(ids) == vocab.normalize(split.test)


def test_windows_continue_each_other_exactly():
    ids = torch.arange(1003)                   # ids are positions: the text is easy to follow
    windows = StreamWindows(ids, batch=4, seq_len=10)
    L = windows.stream_len
    assert L == 250 and len(windows) == 25
    got = list(windows)
    for (x, y), (x_next, _) in zip(got, got[1:], strict=False):
        assert torch.equal(x_next[:, 0], x[:, -1] + 1)   # window j+1 starts where j stopped
        assert torch.equal(x_next[:, 0], y[:, -1])       # ... at the last target of window j
    for x, y in got:
        assert x.shape == y.shape == (4, 10)
        assert torch.equal(y, x + 1)                     # targets: the next character
    rows = torch.cat([x for x, _ in got], dim=1)         # (batch, L)
    for b in range(4):
        assert torch.equal(rows[b], torch.arange(b * L, (b + 1) * L))


def test_windows_on_text_and_a_short_last_window(split):
    vocab = OpenVocab(split.train)
    text = split.valid[:5000]
    windows = StreamWindows(vocab.encode(text), batch=3, seq_len=64)
    got = list(windows)
    assert got[-1][0].shape == (3, windows.stream_len % 64)
    assert sum(x.shape[1] for x, _ in got) == windows.stream_len
    L = windows.stream_len
    for b in range(3):
        row = vocab.decode(torch.cat([x[b] for x, _ in got]))
        after = vocab.decode(torch.cat([y[b] for _, y in got]))
        assert row == text[b * L:(b + 1) * L]
        assert after == text[b * L + 1:(b + 1) * L + 1]


def test_windows_bad_input():
    for args in [(torch.zeros(2, 5, dtype=torch.int64), 1, 2), (torch.arange(10), 0, 2),
                 (torch.arange(10), 2, 0), (torch.arange(3), 5, 2)]:
        with pytest.raises(ValueError):
            StreamWindows(*args)


def test_detach_keeps_values_and_cuts_the_graph():
    w = torch.ones(3, requires_grad=True)
    h, c = 2 * w, 3 * w
    dh, (dh2, dc) = detach(h), detach((h, c))
    assert detach(None) is None
    for got, want in [(dh, h), (dh2, h), (dc, c)]:
        assert torch.equal(got, want) and not got.requires_grad and got.grad_fn is None
