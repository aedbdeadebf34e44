"""rnnlab.beliefs: lesson 10's recall and depth experiments."""

import pytest
import torch

from rnnlab.beliefs import TokenRNN, reach, recall_accuracy, width_for_budget
from rnnlab.compare import count_params

pytestmark = pytest.mark.usefixtures("one_thread")


def test_token_rnn_follows_the_compare_contract_for_every_cell():
    ids = torch.randint(0, 10, (3, 7))
    for kind in ("rnn", "lstm", "gru"):
        logits, state = TokenRNN(kind, 10, 8, n_layers=2)(ids)
        assert logits.shape == (3, 7, 10)
    with pytest.raises(ValueError, match="expected kind"):
        TokenRNN("transformer", 10)


def test_reach_is_the_last_delay_before_the_first_failure():
    assert reach({1: 1.0, 5: 0.95, 10: 0.5, 20: 0.95}) == 5
    assert reach({1: 0.2, 5: 1.0}) == 0
    assert reach({2: 0.9, 4: 0.91}) == 4


def test_width_for_budget_is_the_nearest_count():
    for layers in (1, 4, 8):
        w = width_for_budget(50, layers, 20_000)
        n = count_params(TokenRNN("gru", 50, w, layers))
        for other in (w - 1, w + 1):
            assert abs(n - 20_000) <= abs(count_params(TokenRNN("gru", 50, other, layers))
                                         - 20_000)


def test_recall_is_learnt_at_a_short_delay_and_chance_without_training():
    assert recall_accuracy("gru", 2, steps=80) > 0.9
    assert recall_accuracy("gru", 2, steps=0) < 0.5


def test_saved_results_are_complete_and_consistent():
    """benchmarks/results/beliefs.json, which lesson 10 loads: both parts, their settings, one
    thread, the load recorded, and the reach recomputed from the accuracies it stores."""
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "benchmarks" / "results" / "beliefs.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["quick"] is False and data["threads"] == 1
    recall, depth = data["recall"], data["depth"]
    for part in (recall, depth):
        assert len(part["load_average_start"]) == 3 and part["date"] and part["seconds"] > 0
    delays = recall["settings"]["delays"]
    assert set(recall["accuracy"]) == {"rnn", "lstm", "gru"}
    for kind, acc in recall["accuracy"].items():
        assert [int(d) for d in acc] == delays
        assert all(0 <= a <= 1 for a in acc.values())
        assert recall["reach"][kind] == reach({int(d): a for d, a in acc.items()})
    assert depth["settings"]["depths"] == list(range(1, 9))
    budget = depth["settings"]["budget"]
    for d, r in depth["by_depth"].items():
        assert abs(r["params"] - budget) < 0.05 * budget
        assert r["width"] == width_for_budget(len(_vocab()), int(d), budget)


def _vocab():
    from rnnlab.corpus import OpenVocab, pydoc_split

    return OpenVocab(pydoc_split().train)
