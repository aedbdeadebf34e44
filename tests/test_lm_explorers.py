"""Lesson 07's plots (rnnlab.lm_explorers), driven headless with Agg through every control,
bad input included, with the helpers of tests/test_explorers.py."""

import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("agg")

from rnnlab import charlm, lm_explorers  # noqa: E402
from rnnlab.corpus import OpenVocab  # noqa: E402
from tests.test_explorers import assert_every_control_works, drive  # noqa: E402

TEXT = 'The value of x is (a + b). print("hi")\n' * 10


pytestmark = pytest.mark.usefixtures("strict_widgets")


@pytest.fixture
def lm():
    torch.manual_seed(0)
    vocab = OpenVocab(TEXT)
    return charlm.CharLM("lstm", len(vocab), 16, 8).eval(), vocab


def test_sample_every_control(lm):
    ex = lm_explorers.SampleExplorer(*lm, prompt="The ", length=30, top=8)
    assert_every_control_works(drive(ex, extra={"prompt": ["", "é!", "(x", "The value "]}))


def test_sample_is_the_shown_distribution(lm):
    model, vocab = lm
    ex = lm_explorers.SampleExplorer(model, vocab, prompt="The ", length=30, top=8)
    heights = list(ex.bars.get_heights())
    assert heights == sorted(heights, reverse=True) and 0 < sum(heights) <= 1 + 1e-9
    ex.temperature.value = 0.0                  # greedy: one character gets everything
    assert ex.bars.get_heights()[0] == 1.0
    assert ex.last_sample == __import__("rnnlab").text.sample(model, vocab, "The ", 30, 0.0)
    ex.prompt.value = ""
    assert "prompt" in ex.status.value
    ex.prompt.value = "The "
    assert ex.status.value == ""
    ex.temperature.value = 1.0
    first = ex.last_sample
    ex.update()
    assert ex.last_sample == first             # a fixed seed: the same sample each time


def test_surprisal_every_control(lm):
    ex = lm_explorers.SurprisalExplorer(*lm, {"code": 'print("hi")', "prose": "The value"},
                                        max_chars=20)
    bad = ["", "ünïcode ✓", "x" * 50, "The value of x"]
    assert_every_control_works(drive(ex, extra={"text": bad}))


def test_surprisal_examples_are_scored_when_built(lm):
    ex = lm_explorers.SurprisalExplorer(*lm, {"code": 'print("hi")', "prose": "The value",
                                              "empty": ""}, max_chars=20)
    assert ex._surprisal.cache_info().misses == 3        # the empty one too (it fails)
    ex.pick.value = "The value"
    assert ex._surprisal.cache_info().misses == 3 and ex.readout.value.count("<span") == 9


def test_surprisal_bars_and_messages(lm):
    model, vocab = lm
    ex = lm_explorers.SurprisalExplorer(model, vocab, {"a": "The value"}, max_chars=20)
    want = charlm.surprisal(model, vocab, "The value")
    got = ex.bars.get_heights()[:9]
    assert np.allclose(got, np.minimum(want, ex.vmax))
    assert ex.readout.value.count("<span") == 9
    ex.text.value = ""
    assert "empty" in ex.status.value and ex.readout.value == ""
    ex.text.value = "añb"
    assert ex.status.value == "" and "never seen in training: 'ñ'" in ex.readout.value
    ex.text.value = "x" * 50
    assert "first 20 of 50 plotted" in ex.summary.get_text()
    ex.text.value = "<b>"
    assert "<b>" not in ex.readout.value and ">&lt;</span>" in ex.readout.value


def test_forecast_every_control_and_values():
    from rnnlab import forecast

    rng = np.random.default_rng(0)
    y = np.cumsum(rng.normal(size=200)) + np.sin(np.arange(200) / 52 * 2 * np.pi)
    y[150] = np.nan
    past = forecast.fill_forward(y)
    origins = np.arange(140, 200 - 5)
    fc = {"last value": forecast.last_value(past, origins, 5),
          "seasonal naive": forecast.seasonal_naive(past, origins, 5)}
    ex = lm_explorers.ForecastExplorer(y, origins, fc)
    assert_every_control_works(drive(ex))
    ex.model.value, ex.horizon.value = "seasonal naive", 3
    assert np.allclose(ex.line.get_ydata(), fc["seasonal naive"][:, 2])
    want = forecast.errors(y, fc["seasonal naive"], origins)["mae"][2]
    assert f"MAE {want:.3f}" in ex.summary.get_text()
    assert ex.blitter.full_draws <= 1


class Counting(torch.nn.Module):
    """A model wrapper that counts its forward calls."""

    def __init__(self, model):
        super().__init__()
        self.model, self.calls = model, 0

    def forward(self, ids, state=None):
        self.calls += 1
        return self.model(ids, state)


def test_sample_temperatures_are_drawn_together_and_looked_up(lm):
    model, vocab = lm
    counted = Counting(model)
    ex = lm_explorers.SampleExplorer(counted, vocab, prompt="The ", length=30, top=8)
    calls = counted.calls
    samples = {}
    for t in (0.0, 0.5, 1.5, 2.0, 0.5):
        ex.temperature.value = t
        samples[t] = ex.last_sample
    assert counted.calls == calls                 # the slider runs no model
    # each batch row is the sample that temperature gets alone
    for t in (0.5, 1.5):
        _, alone = ex.samples("The ", [t])
        assert alone[t] == samples[t]
    assert samples[0.0] == __import__("rnnlab").text.sample(model, vocab, "The ", 30, 0.0)
    # the first sampled character is the inverse-CDF pick of the shown distribution
    t = 1.5
    probs = __import__("rnnlab").text.next_char_probs(
        model(vocab.encode("The ")[None])[0][0, -1].double(), t)
    u = torch.rand(30, generator=torch.Generator().manual_seed(0), dtype=torch.float64)[0]
    k = int(torch.searchsorted(probs.cumsum(0), u.reshape(1)))
    assert samples[t][4] == vocab.decode([k])
    ex.prompt.value = "(x"                        # a new prompt samples again, once
    assert counted.calls > calls and ex.last_sample.startswith("(x")
