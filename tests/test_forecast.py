"""rnnlab.forecast: baselines against brute force, Holt-Winters against statsmodels, the
windows, the GRU forecasters, and that nothing reads the future."""

import numpy as np
import pytest
import torch

from rnnlab import forecast as F


def series(n=160, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 300 + 0.05 * t + 3 * np.sin(2 * np.pi * t / 52) + rng.normal(0, 0.2, n)


def test_fill_forward_uses_only_the_past():
    y = np.array([np.nan, 1.0, np.nan, np.nan, 4.0, np.nan])
    assert F.fill_forward(y).tolist() == [1, 1, 1, 1, 4, 4]
    with pytest.raises(ValueError):
        F.fill_forward(np.array([np.nan]))


def test_baselines_brute_force():
    y = series()
    origins = np.arange(60, 140)
    lv, sn = F.last_value(y, origins, 7), F.seasonal_naive(y, origins, 70)
    for i, o in enumerate(origins):
        assert (lv[i] == y[o]).all()
        for h in range(1, 71):
            k = o + h
            while k > o:
                k -= 52
            assert sn[i, h - 1] == y[k]
    with pytest.raises(ValueError):
        F.seasonal_naive(y, [10], 3)


def test_holt_winters_matches_statsmodels_and_ignores_the_future():
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    y = series(260)
    fc, params = F.holt_winters(y, 200, [199, 230], 13)
    fit = ExponentialSmoothing(y[:200], trend="add", seasonal="add", seasonal_periods=52).fit()
    assert np.allclose(fc[0], fit.forecast(13))
    changed = y.copy()
    changed[231:] += 100.0                               # the future changes
    assert np.allclose(F.holt_winters(changed, 200, [199, 230], 13)[0], fc)
    assert set(params) >= {"smoothing_level", "smoothing_trend", "smoothing_seasonal"}


def test_errors_skip_missing_targets():
    y = np.array([0.0, 1.0, np.nan, 3.0, 4.0])
    fc = np.array([[1.0, 1.0], [2.0, 5.0]])               # origins 0 and 1
    e = F.errors(y, fc, [0, 1])
    assert e["mae"].tolist() == [0.0, 2.0] and e["rmse"].tolist() == [0.0, 2.0]
    with pytest.raises(ValueError):
        F.errors(y, fc, [3, 4])


def test_gru_forecasters_read_only_the_window():
    y = series(200)
    model, scale = F.train_gru(y, 150, window=20, outputs=1, steps=5, batch=8)
    rec = F.gru_recursive(model, scale, y, [149, 160], 20, 4)
    changed = y.copy()
    changed[161:] = 0.0
    assert np.allclose(F.gru_recursive(model, scale, changed, [149, 160], 20, 4), rec)
    # one step of the recursion is the direct output of the one-step model
    assert np.allclose(rec[:, 0], F.gru_direct(model, scale, y, [149, 160], 20)[:, 0])
    x, t = F.make_windows(y, [30], 20, 3, scale)
    assert x.shape == (1, 20) and t.shape == (1, 3)
    assert x[0, -1] == 0 and np.isclose(t[0, 0].item(), (y[31] - y[30]) / scale, atol=1e-6)


def test_co2_has_gaps():
    dates, y = F.co2_weekly()
    assert len(dates) == len(y) > 2000 and np.isnan(y).sum() > 0
    assert not np.isnan(F.fill_forward(y)).any()


def test_goog_daily():
    dates, price = F.goog_daily()
    assert len(dates) == len(price) > 1000 and np.isfinite(price).all() and (price > 0).all()
    assert (np.diff(dates.astype("datetime64[D]").astype(np.int64)) > 0).all()


def test_standardiser_fits_only_what_it_is_given():
    y = series(200)
    train, whole = F.Standardiser(y[:150]), F.Standardiser(y)
    assert np.isclose(train.mean, y[:150].mean()) and np.isclose(train.std, y[:150].std())
    assert not np.isclose(train.mean, whole.mean)                     # the trend moves the mean
    z = train.transform(y[:150])
    assert np.isclose(z.mean(), 0) and np.isclose(z.std(), 1)
    assert np.allclose(train.inverse(train.transform(y)), y)
    assert np.isclose(F.Standardiser([1.0, np.nan, 3.0]).mean, 2.0)   # missing values skipped
    for bad in ([1.0], [2.0, 2.0, 2.0]):
        with pytest.raises(ValueError):
            F.Standardiser(bad)


def test_split_ends_chronological_and_random():
    ends = np.arange(12, 200)
    tr, te = F.split_ends(ends, 30, "chronological")
    assert te.tolist() == ends[-30:].tolist() and tr.max() < te.min()
    assert set(tr + 1).isdisjoint(te + 1)                             # no shared target
    rtr, rte = F.split_ends(ends, 30, "random", seed=1)
    assert len(rte) == 30 and sorted(set(rtr) | set(rte)) == ends.tolist()
    assert set(rtr).isdisjoint(rte) and rtr.max() > rte.min()         # interleaved in time
    assert np.array_equal(F.split_ends(ends, 30, "random", seed=1)[1], rte)
    assert not np.array_equal(F.split_ends(ends, 30, "random", seed=2)[1], rte)
    with pytest.raises(ValueError, match="how"):
        F.split_ends(ends, 30, "shuffled")
    with pytest.raises(ValueError, match="n_test"):
        F.split_ends(ends, len(ends), "random")


def test_level_windows_and_forecast_read_only_the_window():
    y = series(200)
    sc = F.Standardiser(y[:150])
    x, t = F.level_windows(y, [30, 40], 13, sc)
    assert x.shape == (2, 13) and t.shape == (2, 1)
    assert np.allclose(x[0].numpy(), sc.transform(y[18:31]), atol=1e-5)
    assert np.isclose(t[1, 0].item(), sc.transform(y[41]), atol=1e-5)
    model = F.fit_window_gru(*F.level_windows(y, np.arange(12, 140), 13, sc), steps=5, batch=8)
    f = F.level_forecast(model, y, [149, 199], 13, sc)                # 199: the last value
    changed = y.copy()
    changed[150:187] += 50.0                                         # the future of origin 149
    assert f.shape == (2, 1)
    assert np.allclose(F.level_forecast(model, changed, [149, 199], 13, sc), f)
    # the same weights with another standardiser give another forecast: the scaler matters
    other = F.level_forecast(model, y, [149], 13, F.Standardiser(y[150:]))
    assert not np.allclose(other, f[:1])


def test_fit_window_gru_learns_and_is_seeded():
    rng = np.random.default_rng(0)
    xt = torch.tensor(rng.normal(size=(256, 6)), dtype=torch.float32)
    yt = xt[:, -1:] * 0.5                                            # the last input, halved
    before = F.fit_window_gru(xt, yt, steps=0)
    after = F.fit_window_gru(xt, yt, steps=150, batch=32)

    def mse(m):
        with torch.no_grad():
            return torch.mean((m(xt) - yt) ** 2).item()

    assert mse(after) < 0.2 * mse(before) and not after.training
    again = F.fit_window_gru(xt, yt, steps=150, batch=32)
    assert torch.equal(after(xt), again(xt))
