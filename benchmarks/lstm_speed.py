"""Time the course's LSTMs against nn.LSTM: forward, and forward + backward, at several T.

    .venv/bin/python benchmarks/lstm_speed.py                 # the table lesson 05 quotes
    .venv/bin/python benchmarks/lstm_speed.py --T 64 256 --threads 2 --trap

Rows: ``naive`` (rnnlab.gated.LSTM: the whole cell at every step), ``fast``
(rnnlab.gated.FastLSTM: input projections in one matrix multiply, loop over the recurrent part
only, per-step views by ``unbind``), ``nn.LSTM`` (PyTorch's fused kernel); with ``--trap`` also
``index``: the fast layer taking ``xp[t]`` in the loop instead of ``unbind``. Ratios are to
nn.LSTM. Each time is the best of ``--repeats`` runs after a warm-up round, the models taking
turns. On a shared machine timings are noisy: run it when the machine is quiet, and compare
ratios, not seconds.
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn

from rnnlab.gated import LSTM, FastLSTM, lstm_layer_fast


class IndexLSTM(FastLSTM):
    """FastLSTM with the pitfall: ``xp[t]`` inside the loop (one layer only)."""

    def _layer(self, x, h, c, W_ih, W_hh, b_ih, b_hh, W_hr):
        return lstm_layer_fast(x, h, c, W_ih, W_hh, b_ih, b_hh, steps="index", W_hr=W_hr)


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(Ts, batch: int, input_size: int, hidden: int, repeats: int, trap: bool,
        seed: int = 0) -> list[dict]:
    """Time every model at every T. Within one T the models take turns, repeat after repeat, so
    a burst of load elsewhere hits all of them alike; each time is the best of ``repeats``."""
    torch.manual_seed(seed)
    ref = nn.LSTM(input_size, hidden, batch_first=True)
    models = {"naive": LSTM(input_size, hidden, batch_first=True),
              "fast": FastLSTM(input_size, hidden, batch_first=True)}
    if trap:
        models["index"] = IndexLSTM(input_size, hidden, batch_first=True)
    models["nn.LSTM"] = ref
    for m in models.values():
        m.load_state_dict(ref.state_dict())
    rows = []
    for T in Ts:
        x = torch.randn(batch, T, input_size)
        fast_out, ref_out = models["fast"](x)[0], ref(x)[0]
        assert (fast_out - ref_out).abs().max().item() < 1e-5, "fast LSTM differs from nn.LSTM"

        def forward(m, x=x):
            with torch.no_grad():
                m(x)

        def forward_backward(m, x=x):
            m(x)[0].sum().backward()
            m.zero_grad(set_to_none=True)

        best = {name: [float("inf"), float("inf")] for name in models}
        for rep in range(repeats + 1):
            for name, m in models.items():
                f, fb = seconds(lambda m=m: forward(m)), seconds(lambda m=m: forward_backward(m))
                if rep:  # the first round warms up
                    best[name] = [min(best[name][0], f), min(best[name][1], fb)]
        base_f, base_fb = best["nn.LSTM"]
        for name, (f, fb) in best.items():
            rows.append({"T": T, "model": name, "fwd_ms": 1e3 * f, "fwd_ratio": f / base_f,
                         "fwdbwd_ms": 1e3 * fb, "fwdbwd_ratio": fb / base_fb})
    return rows


def table(rows: list[dict]) -> str:
    lines = [f"{'T':>5}  {'model':<8} {'forward ms':>11} {'x nn.LSTM':>10} "
             f"{'fwd+bwd ms':>11} {'x nn.LSTM':>10}"]
    for r in rows:
        lines.append(f"{r['T']:>5}  {r['model']:<8} {r['fwd_ms']:>11.2f} {r['fwd_ratio']:>10.2f} "
                     f"{r['fwdbwd_ms']:>11.2f} {r['fwdbwd_ratio']:>10.2f}")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--T", type=int, nargs="+", default=[32, 128, 512])
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--input", type=int, default=32)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads (1 by default: steadier on a shared machine)")
    p.add_argument("--trap", action="store_true", help="also time xp[t] indexing in the loop")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    print(f"LSTM speed: batch {args.batch}, input {args.input}, hidden {args.hidden}, "
          f"float32, {args.threads} thread(s), torch {torch.__version__}, best of "
          f"{args.repeats} runs")
    print(table(run(args.T, args.batch, args.input, args.hidden, args.repeats, args.trap)))


if __name__ == "__main__":
    main()
