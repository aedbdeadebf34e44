"""Checks, with the network refused, that the data lesson 07 needs ships inside statsmodels and
aeon, and times what a lesson would pay: the import, the loading, one classical fit each.

Run by ``benchmarks/dependency_cost.sh`` inside a throwaway venv holding one of the two (the
course's own venv has neither); it checks whichever is importable.

    /tmp/depcost/venv-aeon/bin/python benchmarks/dependency_check.py
"""

from __future__ import annotations

import importlib
import importlib.util
import socket
import time


def refuse(*args, **kwargs):
    raise RuntimeError("this check must not touch the network")


def timed(label, fn):
    start = time.perf_counter()
    out = fn()
    print(f"  {label}: {time.perf_counter() - start:.2f} s")
    return out


def check_statsmodels() -> None:
    timed("import statsmodels.api", lambda: importlib.import_module("statsmodels.api"))
    import statsmodels
    from statsmodels.datasets import co2, elnino, sunspots
    from statsmodels.tsa.holtwinters import ExponentialSmoothing
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    print(f"statsmodels {statsmodels.__version__}")
    weekly = timed("load co2", lambda: co2.load_pandas().data["co2"])
    print(f"  co2: {len(weekly)} weeks, {weekly.index[0]:%Y-%m-%d} to {weekly.index[-1]:%Y-%m-%d}"
          f", {int(weekly.isna().sum())} missing")
    print(f"  sunspots {sunspots.load_pandas().data.shape}, "
          f"elnino {elnino.load_pandas().data.shape}")
    monthly = weekly.resample("MS").mean().ffill()
    train = monthly[:-48]
    timed(f"Holt-Winters fit on {len(train)} months",
          lambda: ExponentialSmoothing(train, trend="add", seasonal="add",
                                       seasonal_periods=12).fit())
    timed("SARIMAX(1,1,1)(1,1,1,12) fit",
          lambda: SARIMAX(train, order=(1, 1, 1), seasonal_order=(1, 1, 1, 12)).fit(disp=False))


def check_aeon() -> None:
    timed("import aeon's classifiers and data sets", lambda: [
        importlib.import_module(m) for m in ("aeon.classification.distance_based",
                                             "aeon.datasets")])
    import aeon
    from aeon.classification.distance_based import KNeighborsTimeSeriesClassifier
    from aeon.datasets import load_japanese_vowels

    print(f"aeon {aeon.__version__}")
    X_train, y_train = timed("load JapaneseVowels", lambda: load_japanese_vowels(split="train"))
    X_test, y_test = load_japanese_vowels(split="test")
    lengths = [x.shape[1] for x in list(X_train) + list(X_test)]
    print(f"  {len(X_train)} train, {len(X_test)} test, {X_train[0].shape[0]} channels, "
          f"lengths {min(lengths)}-{max(lengths)}, {len(set(y_train))} classes")
    clf = KNeighborsTimeSeriesClassifier(n_neighbors=1, distance="dtw")
    acc = timed("1-NN DTW fit + predict, first call (numba compiles)",
                lambda: (clf.fit(X_train, y_train).predict(X_test) == y_test).mean())
    timed("1-NN DTW predict again", lambda: clf.predict(X_test))
    print(f"  1-NN DTW test accuracy {acc:.4f}")


if __name__ == "__main__":
    socket.socket.connect = refuse
    socket.create_connection = refuse
    for name, check in [("statsmodels", check_statsmodels), ("aeon", check_aeon)]:
        if importlib.util.find_spec(name):
            check()
