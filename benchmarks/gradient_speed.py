"""How long one update of lesson 04's gradient-norm widget takes.

Times ``rnnlab.gradients.profile`` (everything one widget update computes) and the ways of
computing ||dL/dh_t|| behind it: for the vanilla RNN, the log-space NumPy recursion the widget
uses, autograd through the from-scratch recurrence, and the explicit Jacobian products; for the
LSTM, the hand-written backward pass the widget uses and autograd through the course's layer.
Reports the median and the fastest of ``--repeat`` runs in milliseconds; the target for the
widget is under 10 ms at T = 200, hidden 64. Timings on a shared machine are noisy: run it when
the machine is quiet.

    python benchmarks/gradient_speed.py
    python benchmarks/gradient_speed.py --lengths 200 1000 --hidden 64 --repeat 20
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rnnlab import gradients as G  # noqa: E402


def timings_ms(fn, repeat: int) -> tuple[float, float]:
    """(median, fastest) of ``repeat`` runs after a warm-up, in ms. On a shared machine the
    fastest run is the better estimate of the cost itself; the median shows what a learner on
    that machine would get."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times), 1000 * min(times)


def time_length(T: int, H: int, repeat: int) -> None:
    x, w, v = G.random_inputs(T, 4), G.random_rnn(4, H, 1.0), G.readout(H)
    rows = [
        ("RNN log-space recursion (widget)", lambda: G.log_grad_norms(x, w, v, "tanh")),
        ("RNN autograd, float64", lambda: G.rnn_autograd_norms(x, w, v, "tanh")),
    ]
    if T <= 200:
        rows.append(("RNN explicit Jacobian products",
                     lambda: G.jacobian_product_norms(x, w, v, "tanh")))
    layer = G.gated_layer("LSTM", 4, H)
    rows.append(("LSTM hand-written backward (widget)",
                 lambda: G.gated_log_grad_norms(layer, x, v)))
    rows.append(("LSTM autograd, float64", lambda: G.gated_autograd_norms(layer, x, v)))
    for cell in G.CELLS:
        rows.append((f"profile('{cell}'): one widget update",
                     lambda cell=cell: G.profile(cell, T, H, 1.0)))
    for name, fn in rows:
        median, fastest = timings_ms(fn, repeat)
        print(f"T={T:5d}  {name:38s} median {median:8.2f} ms   fastest {fastest:8.2f} ms",
              flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Time the gradient-norm computations behind "
                                                 "lesson 04's widget (milliseconds).")
    parser.add_argument("--lengths", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (default 1; see rnnlab.gradients)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, hidden {args.hidden}, {args.repeat} runs each")
    for T in args.lengths:
        time_length(T, args.hidden, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
