"""The committed results of benchmarks/seq2seq.py, which lesson 08 loads: the file says how it
was made, the checkpoints are small and load, and the claims the lesson makes from them hold."""

import json
from pathlib import Path

import pytest

from rnnlab.seq2seq import answer, iso_date_problem, load_checkpoint

RESULTS = Path(__file__).resolve().parent.parent / "benchmarks" / "results"
RUNS = [("date", "none"), ("date", "additive"), ("reverse", "none"), ("reverse", "additive")]


@pytest.fixture(scope="module")
def runs():
    record = json.loads((RESULTS / "seq2seq.json").read_text(encoding="utf-8"))
    assert record["threads"] == 1 and record["settings"]["seed"] == 0
    assert record["date"] and record["torch"] and record["total_seconds"] > 0
    return {(r["task"], r["model"]): r for r in record["runs"]}


def test_every_run_is_recorded(runs):
    assert sorted(runs) == sorted(RUNS)
    for run in runs.values():
        assert run["steps"] > 0 and run["seconds"] <= run["seconds_budget"] + 30
        assert run["test"]["n"] >= 1000 and run["test"]["by_length"]
        bias = run["exposure_bias"]
        assert len(bias["teacher_forced"]) == len(bias["free_running"]) == len(bias["n"])
        assert {"greedy", "beam_penalty_0", "beam_penalty_1"} <= set(run["beam_vs_greedy"])
    assert runs[("date", "none")]["test_long"]["n"] == 500


def test_the_bottleneck_shows_on_reversal(runs):
    """Without attention exact match falls with length; with attention it mostly holds."""
    none = runs[("reverse", "none")]["test"]["by_length"]
    att = runs[("reverse", "additive")]["test"]["by_length"]
    assert none[0]["exact"] > none[-1]["exact"] + 0.5
    assert all(a["exact"] > n["exact"] for a, n in zip(att, none, strict=True))
    assert att[-1]["exact"] > 0.5 > none[-1]["exact"]


@pytest.mark.parametrize("task, model", RUNS)
def test_checkpoints_are_small_and_load(task, model):
    path = RESULTS / f"seq2seq_{task}_{model}.pt"
    assert path.stat().st_size < 1_000_000
    net, src_vocab, tgt_vocab, meta = load_checkpoint(path)
    assert meta["task"] == task and net.has_attention == (model != "none")
    assert meta["max_input"] >= 29 and meta["max_len"] > 10


def test_the_date_model_reads_dates_and_answers_anything():
    net, sv, tv, meta = load_checkpoint(RESULTS / "seq2seq_date_additive.pt")

    def reply(text):
        return answer(net, text, sv, tv, meta["max_input"], meta["max_len"], iso_date_problem)

    for text in ["Thursday 26 November 2026", "26 nov. 2026", "11/26/26", "26.11.2026"]:
        got = reply(text)
        assert got.guess == "2026-11-26" and got.probability > 0.9, (text, got.message)
    assert reply("26 nov. 2026 ✓").guess is None
    assert reply("").guess is None
    odd = reply("no date here")
    assert odd.guess is not None and odd.message.startswith("Best guess")
