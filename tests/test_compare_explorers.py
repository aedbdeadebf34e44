"""Lesson 09's cost explorer, driven headless with Agg: every control through its range, the
crossings it reports equal to those of the curves it draws, blitting when only the range moves."""

import json
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

matplotlib.use("agg")

from test_explorers import assert_every_control_works, drive  # noqa: E402

from rnnlab.compare_explorers import (  # noqa: E402
    CostExplorer,
    cost_curve,
    crossings_in,
    load_cost_records,
)

RESULTS = Path(__file__).resolve().parent.parent / "benchmarks" / "results"
TS = [32, 64, 128, 256, 512, 1024]
POSITIONS = [16, 64, 256, 1024, 4096]


def fake_record(width: int) -> dict:
    """Costs with known crossings: the Transformer's time per character grows with T and
    passes the recurrent models' flat ones between 128 and 256 (faster before); the cached
    Transformer's time per token passes the LSTM's between 64 and 256."""
    k = width / 64
    train, generate = [], []
    for T in TS:
        per_char = {"lstm": 2e-5 * k, "gru": 2.5e-5 * k, "mingru": 3e-5 * k,
                    "transformer": 1e-5 * k * T / 100}
        for name, s in per_char.items():
            train.append({"T": T, "model": name, "seconds": s * 16 * T,
                          "chars_per_s": 1 / s, "saved_bytes": 1000 * T * k})
    for t in POSITIONS:
        per_token = {"lstm": 1e-4, "mingru": 1.2e-4, "transformer_cache": 5e-5 + 1e-7 * t,
                     "transformer_no_cache": 5e-5 + 1e-6 * t}
        kept = {"lstm": 4096, "mingru": 1024, "transformer_cache": 2048 * t,
                "transformer_no_cache": 8 * t}
        for name in per_token:
            generate.append({"t": t, "model": name, "seconds_per_token": per_token[name],
                             "state_bytes": kept[name]})
    params = {"lstm": int(80_000 * k * k), "gru": 60_000, "transformer": int(90_000 * k * k),
              "mingru": 30_000}
    return {"settings": {"width": width, "repeats": 5}, "date": "2026-11-26 16:00 UTC",
            "threads": 1, "device": "cpu", "quick": False,
            "train": {"params": params, "rows": train}, "generate": {"rows": generate}}


pytestmark = pytest.mark.usefixtures("strict_widgets")


@pytest.fixture
def explorer():
    ex = CostExplorer({64: fake_record(64), 128: fake_record(128)})
    yield ex
    plt.close(ex.fig)


def test_every_control(explorer):
    assert_every_control_works(drive(explorer))


def test_crossings_are_those_of_the_curves(explorer):
    ex = explorer
    found = crossings_in(fake_record(64), "training speed", 32, 1024)
    assert [(c["a"], c["b"]) for c in found] == [("transformer", "lstm"), ("transformer", "gru"),
                                                ("transformer", "mingru")]
    assert all(c["better_before"] == "transformer" and 128 < c["x"] < 512 for c in found)
    # the Transformer passes the slowest recurrent model (minGRU) last
    assert found[0]["x"] < found[1]["x"] < found[2]["x"]
    xs, ys = ex.marks.get_data()
    assert np.allclose(xs, [c["x"] for c in found])
    assert "cross at T ≈" in ex.readout.value and "Transformer better before" in ex.readout.value
    # a range with no crossing inside says so, and draws no cross
    ex.lengths.value = (512, 1024)
    assert len(ex.marks.get_xdata()) == 0
    assert "no crossing; LSTM better throughout" in ex.readout.value


def test_generation_measures(explorer):
    ex = explorer
    ex.measure.value = "generation time"
    found = crossings_in(fake_record(64), "generation time", 16, 4096)
    cache_vs_lstm = [c for c in found if c["b"] == "lstm"][0]
    assert cache_vs_lstm["better_before"] == "transformer_cache" and 64 < cache_vs_lstm["x"] < 1024
    cache_vs_none = [c for c in found if c["b"] == "transformer_no_cache"][0]
    assert cache_vs_none["x"] is None and cache_vs_none["better"] == "transformer_cache"
    assert ex.ax.get_xlabel().startswith("tokens already generated")
    x, y = cost_curve(fake_record(64), "generation state", "transformer_cache")
    assert np.allclose(y, 2.0 * x)            # 2048 bytes a token, shown in KiB


def test_moving_the_range_blits_and_a_new_measure_redraws(explorer):
    ex = explorer
    ex.fig.canvas.draw()
    full, blits = ex.blitter.full_draws, ex.blitter.blits
    ex.lengths.value = (64, 512)
    assert ex.blitter.blits == blits + 1 and ex.blitter.full_draws == full
    x, _ = ex.lines[0].get_data()
    assert list(x) == [64, 128, 256, 512]
    ex.measure.value = "training memory"
    assert ex.blitter.full_draws > full
    assert ex.ax.get_ylabel().startswith("MiB")


def test_bad_arguments():
    with pytest.raises(ValueError, match="expected a width among"):
        CostExplorer({64: fake_record(64)}, width=99)
    with pytest.raises(ValueError, match="expected at least one"):
        CostExplorer({})
    with pytest.raises(ValueError, match="expected a measure among"):
        cost_curve(fake_record(64), "speed", "lstm")


def test_loads_only_full_cpu_runs(tmp_path):
    with pytest.raises(FileNotFoundError, match="run benchmarks/sequence_cost.py"):
        load_cost_records(tmp_path)
    for name, width, extra in (("sequence_cost.json", 128, {}),
                               ("sequence_cost_w64.json", 64, {}),
                               ("sequence_cost_cuda.json", 128, {"device": "cuda"}),
                               ("sequence_cost_q.json", 32, {"quick": True})):
        rec = {**fake_record(width), **extra}
        (tmp_path / name).write_text(json.dumps(rec))
    records = load_cost_records(tmp_path)
    assert sorted(records) == [64, 128] and records[128]["device"] == "cpu"


@pytest.mark.skipif(not (RESULTS / "sequence_cost.json").exists(), reason="no results yet")
def test_the_committed_measurements_drive_it():
    records = load_cost_records(RESULTS)
    ex = CostExplorer(records)
    try:
        assert_every_control_works(drive(ex))
    finally:
        plt.close(ex.fig)
