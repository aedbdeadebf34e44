"""Forecasting a real series with a rolling origin: lesson 07's second half.

    dates, y = co2_weekly()                      # Mauna Loa CO2, weekly, NaN where missing
    past = fill_forward(y)                       # inputs may only use the past
    origins = np.arange(len(y) - 104, len(y) - H)
    f = baseline_forecasts(past, origins, H)     # {"last value": (n_origins, H), ...}
    errors(y, f["seasonal naive"], origins)      # {"mae": (H,), "rmse": (H,)}, observed weeks only

A forecast made at origin ``o`` uses ``y[: o + 1]`` only and predicts ``y[o + 1 .. o + H]``;
``forecasts[i, h - 1]`` is the h-step-ahead forecast from ``origins[i]``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def co2_weekly() -> tuple[np.ndarray, np.ndarray]:
    """Weekly CO2 at Mauna Loa (ppm, 1958-2001) as shipped with statsmodels: (dates, values),
    with NaN for the weeks with no measurement."""
    from statsmodels.datasets import co2

    data = co2.load_pandas().data["co2"]
    return data.index.to_numpy(), data.to_numpy(dtype=np.float64)


def goog_daily() -> tuple[np.ndarray, np.ndarray]:
    """Google's daily adjusted closing price, 2004-08-19 to 2008-10-14, from matplotlib's
    sample data (``goog.npz``): (dates, prices in $)."""
    from matplotlib import cbook

    blob = cbook.get_sample_data("goog.npz")
    rec = blob["price_data"] if hasattr(blob, "files") else blob
    return np.asarray(rec["date"]), np.asarray(rec["adj_close"], dtype=np.float64)


def fill_forward(y: np.ndarray) -> np.ndarray:
    """Each missing value replaced by the last one observed before it (never by a later one:
    a forecast's inputs must not contain the future). Leading NaNs take the first value."""
    y = np.asarray(y, dtype=np.float64).copy()
    if np.isnan(y).all():
        raise ValueError("the series has no observed value")
    first = np.flatnonzero(~np.isnan(y))[0]
    y[:first] = y[first]
    for i in range(first + 1, len(y)):
        if np.isnan(y[i]):
            y[i] = y[i - 1]
    return y


def _check(past, origins, horizon):
    origins = np.asarray(origins)
    if horizon < 1 or origins.min() < 0 or origins.max() >= len(past):
        raise ValueError("origins must index the series and horizon be >= 1")
    return origins


def last_value(past: np.ndarray, origins, horizon: int) -> np.ndarray:
    """Every step ahead equals the value at the origin: (n_origins, horizon)."""
    origins = _check(past, origins, horizon)
    return np.repeat(past[origins][:, None], horizon, axis=1)


def seasonal_naive(past: np.ndarray, origins, horizon: int, season: int = 52) -> np.ndarray:
    """Step h repeats the value of the last observed season: past[o - season + 1 + (h-1) %
    season]. (n_origins, horizon)."""
    origins = _check(past, origins, horizon)
    if origins.min() < season - 1:
        raise ValueError(f"an origin needs {season} values before it")
    h = np.arange(horizon)
    return past[origins[:, None] - season + 1 + h[None, :] % season]


def holt_winters(past: np.ndarray, train_end: int, origins, horizon: int,
                 season: int = 52) -> tuple[np.ndarray, dict]:
    """Additive Holt-Winters (statsmodels ``ExponentialSmoothing``, additive trend and season)
    fitted once on ``past[:train_end]``; at each origin the same parameters run over the data up
    to it (no refit, no look at later values) and forecast ``horizon`` steps.
    Returns (forecasts (n_origins, horizon), the fitted parameters)."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    origins = _check(past, origins, horizon)
    fit = ExponentialSmoothing(past[:train_end], trend="add", seasonal="add",
                               seasonal_periods=season).fit()
    p = fit.params
    out = np.empty((len(origins), horizon))
    a, b, g = p["smoothing_level"], p["smoothing_trend"], p["smoothing_seasonal"]
    level, trend = p["initial_level"], p["initial_trend"]
    seas = list(np.asarray(p["initial_seasons"], dtype=np.float64))
    # The recursions of the additive model, run once over the series; a forecast at origin o
    # reads the state after step o.
    want = {int(o): i for i, o in enumerate(origins)}
    for t in range(int(origins.max()) + 1):
        s = seas[t % season]
        new_level = a * (past[t] - s) + (1 - a) * (level + trend)
        trend = b * (new_level - level) + (1 - b) * trend
        seas[t % season] = g * (past[t] - new_level) + (1 - g) * s
        level = new_level
        if t in want:
            h = np.arange(1, horizon + 1)
            out[want[t]] = level + h * trend + np.array([seas[(t + k) % season] for k in h])
    return out, {k: float(np.asarray(v).ravel()[0]) for k, v in p.items()
                 if k.startswith("smoothing")}


def errors(y: np.ndarray, forecasts: np.ndarray, origins) -> dict[str, np.ndarray]:
    """MAE and RMSE for each step ahead, (horizon,) each, over the targets that were observed
    (a missing week is not scored, whatever the forecast)."""
    origins = np.asarray(origins)
    horizon = forecasts.shape[1]
    idx = origins[:, None] + np.arange(1, horizon + 1)[None, :]
    if idx.max() >= len(y):
        raise ValueError("a forecast reaches past the end of the series")
    err = forecasts - y[idx]
    seen = ~np.isnan(err)
    mae = np.array([np.abs(err[seen[:, h], h]).mean() for h in range(horizon)])
    rmse = np.array([np.sqrt((err[seen[:, h], h] ** 2).mean()) for h in range(horizon)])
    return {"mae": mae, "rmse": rmse}


class WindowGRU(nn.Module):
    """A GRU reading ``window`` past values, each as its difference from the value at the
    origin, divided by ``scale``; a linear head gives ``outputs`` future values, as differences
    from the origin's value in the same units. (B, window) -> (B, outputs)."""

    def __init__(self, hidden: int = 32, outputs: int = 1):
        super().__init__()
        self.rnn = nn.GRU(1, hidden, batch_first=True)
        self.head = nn.Linear(hidden, outputs)

    def forward(self, x):
        _, h = self.rnn(x[..., None])
        return self.head(h[-1])


def make_windows(past: np.ndarray, ends, window: int, outputs: int, scale: float):
    """Inputs (n, window) and targets (n, outputs) for windows ending at ``ends`` (inclusive),
    both relative to the value at the window's end and divided by ``scale``."""
    ends = np.asarray(ends)
    x = past[ends[:, None] - window + 1 + np.arange(window)[None, :]]
    y = past[ends[:, None] + 1 + np.arange(outputs)[None, :]]
    ref = past[ends][:, None]
    return (torch.tensor((x - ref) / scale, dtype=torch.float32),
            torch.tensor((y - ref) / scale, dtype=torch.float32))


def train_gru(past: np.ndarray, train_end: int, window: int, outputs: int, steps: int = 300,
              batch: int = 64, seed: int = 0, ends=None) -> tuple[WindowGRU, float]:
    """A ``WindowGRU`` trained on windows whose targets all lie before ``train_end`` (or at the
    given ``ends``), scale = std of the weekly changes in the training period. Adam, MSE."""
    scale = float(np.std(np.diff(past[:train_end])))
    if ends is None:
        ends = np.arange(window - 1, train_end - outputs)
    x, y = make_windows(past, ends, window, outputs, scale)
    return fit_window_gru(x, y, steps, batch, seed), scale


def fit_window_gru(x: torch.Tensor, y: torch.Tensor, steps: int = 300, batch: int = 64,
                   seed: int = 0, hidden: int = 32) -> WindowGRU:
    """A ``WindowGRU`` fitted to inputs ``x`` (n, window) and targets ``y`` (n, outputs) by
    Adam (learning rate 0.01) on the mean squared error, ``steps`` random minibatches, clipping
    at 1. Returned in eval mode."""
    torch.manual_seed(seed)
    model = WindowGRU(hidden, y.shape[1])
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        pick = torch.randint(len(x), (batch,), generator=gen)
        loss = nn.functional.mse_loss(model(x[pick]), y[pick])
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    return model.eval()


class Standardiser:
    """Subtract the mean and divide by the standard deviation of the values it was fitted on
    (what scikit-learn's ``StandardScaler`` does to one column). Which values it is fitted on is
    the whole question: statistics of the test period carry information about the test period.
    """

    def __init__(self, values):
        values = np.asarray(values, dtype=np.float64)
        values = values[~np.isnan(values)]
        if values.size < 2:
            raise ValueError("fit the standardiser on at least two observed values")
        self.mean, self.std = float(values.mean()), float(values.std())
        if self.std == 0:
            raise ValueError("the values are constant: nothing to scale by")

    def transform(self, v):
        return (np.asarray(v, dtype=np.float64) - self.mean) / self.std

    def inverse(self, z):
        return np.asarray(z, dtype=np.float64) * self.std + self.mean


def split_ends(ends, n_test: int, how: str = "chronological", seed: int = 0):
    """Split the windows ending at ``ends`` (each predicting the value after its end) into
    (train_ends, test_ends), ``n_test`` of them for the test.

    ``"chronological"``: the last ``n_test`` windows are the test; training keeps the windows
    whose target comes before the first test target (so no training target is a test target).
    ``"random"``: ``n_test`` windows drawn at random (``numpy`` generator seeded ``seed``) are
    the test, all the others train; a test window then has training windows on both sides of
    it in time, overlapping it."""
    ends = np.sort(np.asarray(ends))
    if not 0 < n_test < len(ends):
        raise ValueError(f"n_test must be between 1 and {len(ends) - 1}, got {n_test}")
    if how == "chronological":
        test = ends[-n_test:]
        return ends[ends < test[0]], test
    if how == "random":
        test = np.sort(np.random.default_rng(seed).choice(ends, n_test, replace=False))
        return np.setdiff1d(ends, test), test
    raise ValueError(f"how must be 'chronological' or 'random', got {how!r}")


def level_windows(past: np.ndarray, ends, window: int, scaler: Standardiser):
    """Inputs (n, window) and one-step targets (n, 1) as *levels*, standardised by ``scaler``
    (unlike ``make_windows``, which gives changes from the value at the window's end)."""
    ends = np.asarray(ends)
    x = scaler.transform(past[ends[:, None] - window + 1 + np.arange(window)[None, :]])
    y = scaler.transform(past[ends + 1])[:, None]
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)


@torch.no_grad()
def level_forecast(model: WindowGRU, past: np.ndarray, ends, window: int,
                   scaler: Standardiser) -> np.ndarray:
    """One-step forecasts (n, 1) in the series' units from a model trained on
    ``level_windows``: the inputs scaled and the outputs unscaled with ``scaler``."""
    x, _ = level_windows(np.append(past, 0.0), ends, window, scaler)
    return scaler.inverse(model(x).double().numpy())


@torch.no_grad()
def gru_direct(model: WindowGRU, scale: float, past, origins, window: int) -> np.ndarray:
    """All ``model``'s outputs at once from each origin: (n_origins, outputs)."""
    x, _ = make_windows(np.append(past, np.zeros(model.head.out_features)), origins, window,
                        model.head.out_features, scale)
    return past[np.asarray(origins)][:, None] + scale * model(x).double().numpy()


@torch.no_grad()
def gru_recursive(model: WindowGRU, scale: float, past, origins, window: int,
                  horizon: int) -> np.ndarray:
    """A one-step model fed its own forecasts ``horizon`` times: (n_origins, horizon)."""
    origins = np.asarray(origins)
    hist = past[origins[:, None] - window + 1 + np.arange(window)[None, :]].copy()
    out = np.empty((len(origins), horizon))
    for h in range(horizon):
        ref = hist[:, -1:]
        x = torch.tensor((hist - ref) / scale, dtype=torch.float32)
        nxt = ref[:, 0] + scale * model(x)[:, 0].double().numpy()
        out[:, h] = nxt
        hist = np.concatenate([hist[:, 1:], nxt[:, None]], axis=1)
    return out
