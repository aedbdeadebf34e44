"""What each model costs as sequences grow: training throughput and memory against T, generation
latency per token at position t, the state each keeps, and the minGRU scan against its loop.

    python benchmarks/sequence_cost.py                  # the curves lesson 09 loads
    python benchmarks/sequence_cost.py --quick          # under a minute, to a scratch file

1. Training (forward and backward, one batch of T characters per row) for LSTM, GRU,
   Transformer and minGRU language models of ``--width`` (``rnnlab.compare.build_lm``):
   characters per second, and the memory autograd keeps for the backward pass (the bytes of the
   distinct tensors it saves, parameters excluded, counted with
   ``torch.autograd.graph.saved_tensors_hooks``; on a GPU also ``max_memory_allocated``).
2. Generation, one sequence: the time to produce the logits of one new token after t tokens,
   for an LSTM and a minGRU (a step from their state), a Transformer with a KV cache (the new
   token attends to t cached keys) and without one (the whole prefix re-encoded), and the bytes
   of what each keeps between tokens (state, cache, or the prefix's ids).
3. The minGRU recursion over T steps: the Python loop (``min_gru_loop``), the log-space scan
   (``min_gru_scan``) and the doubling scan (``scan_doubling``), forward and forward + backward.

Each time is the best of ``--repeats`` after a warm-up, the contenders taking turns, in CPU
seconds of this process on a CPU (``--clock process``: with one thread, what other programs on
a shared machine do does not count) and in wall-clock seconds on a GPU. Crossing
points come from ``rnnlab.compare.crossings`` on the measured curves. Everything is written to
``benchmarks/results/sequence_cost.json`` with the settings, date, thread count, load average
(start and end), torch version and device; ``--quick`` writes to the system's temporary folder
and marks the file ``"quick": true``. On a shared machine timings are noisy: run the real one on
a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from rnnlab.compare import KINDS, build_lm, count_params, crossings, run_record  # noqa: E402
from rnnlab.mingru import min_gru_loop, min_gru_scan, scan_doubling  # noqa: E402
from rnnlab.train import pick_device, seed_everything  # noqa: E402

DEFAULT_OUT = ROOT / "benchmarks" / "results" / "sequence_cost.json"
QUICK_OUT = Path(tempfile.gettempdir()) / "rnnlab-benchmarks" / "sequence_cost.quick.json"
VOCAB = 100


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


CLOCK = {"process": time.process_time, "wall": time.perf_counter}
clock = time.perf_counter


def best_times(fns: dict, repeats: int, device) -> dict[str, float]:
    """Best seconds of each callable over ``repeats`` rounds after one warm-up round; the
    callables take turns within a round. Seconds of ``clock``: the CPU time of this process
    (``--clock process``, the default on a CPU: one thread, so other programs on a shared
    machine do not count) or wall-clock time (on a GPU, where the CPU waits)."""
    best = {name: float("inf") for name in fns}
    for rnd in range(repeats + 1):
        for name, fn in fns.items():
            sync(device)
            start = clock()
            fn()
            sync(device)
            if rnd:
                best[name] = min(best[name], clock() - start)
    return best


def saved_bytes(model, ids) -> int:
    """Bytes of the distinct non-parameter tensors autograd saves in a forward pass."""
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    seen: dict[int, int] = {}

    def pack(t):
        s = t.untyped_storage()
        if s.data_ptr() not in params:
            seen[s.data_ptr()] = s.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        logits, _ = model(ids, None)
    del logits
    return sum(seen.values())


def train_step(m, x, y):
    logits, _ = m(x, None)
    F.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1)).backward()
    m.zero_grad(set_to_none=True)


def training_cost(args, device) -> dict:
    models = {}
    for kind in KINDS:
        torch.manual_seed(args.seed)
        models[kind] = build_lm(kind, VOCAB, args.width, args.layers,
                                **({"max_len": max(args.T)} if kind == "transformer" else {}))
        models[kind].to(device).train()
    rows = []
    for T in args.T:
        gen = torch.Generator().manual_seed(args.seed)
        ids = torch.randint(0, VOCAB, (args.batch, T + 1), generator=gen).to(device)
        x, y = ids[:, :-1], ids[:, 1:]
        times = best_times({k: partial(train_step, m, x, y) for k, m in models.items()},
                           args.repeats, device)
        for kind, m in models.items():
            row = {"T": T, "model": kind, "seconds": times[kind],
                   "chars_per_s": args.batch * T / times[kind],
                   "saved_bytes": saved_bytes(m, x)}
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(device)
                train_step(m, x, y)
                row["cuda_peak_bytes"] = torch.cuda.max_memory_allocated(device)
            rows.append(row)
        print(f"train T={T:5d}  " + "  ".join(
            f"{r['model']} {r['chars_per_s']:9.0f} ch/s {r['saved_bytes'] / 2**20:7.1f} MiB"
            for r in rows[-len(models):]))
    return {"params": {k: count_params(m) for k, m in models.items()}, "rows": rows}


def state_bytes(state) -> int:
    if state is None:
        return 0
    if isinstance(state, torch.Tensor):
        return state.numel() * state.element_size()
    if isinstance(state, tuple):
        return sum(state_bytes(s) for s in state)
    return state.nbytes()          # a KVCache


@torch.no_grad()
def generation_cost(args, device) -> dict:
    contenders = {"lstm": "lstm", "mingru": "mingru", "transformer_cache": "transformer",
                  "transformer_no_cache": "transformer"}
    models = {}
    for kind in ("lstm", "mingru", "transformer"):
        torch.manual_seed(args.seed)
        models[kind] = build_lm(kind, VOCAB, args.width, args.layers,
                                **({"max_len": max(args.positions) + 1}
                                   if kind == "transformer" else {})).to(device).eval()
    rows = []
    for t in args.positions:
        gen = torch.Generator().manual_seed(args.seed)
        prefix = torch.randint(0, VOCAB, (1, t + 1), generator=gen).to(device)
        states = {k: models[k](prefix[:, :t], None)[1] for k in models}
        new = prefix[:, t:]
        fns = {"lstm": partial(models["lstm"], new, states["lstm"]),
               "mingru": partial(models["mingru"], new, states["mingru"]),
               "transformer_cache": partial(models["transformer"], new, states["transformer"]),
               "transformer_no_cache": partial(models["transformer"], prefix, None)}
        times = best_times(fns, args.repeats, device)
        kept = {"lstm": state_bytes(states["lstm"]), "mingru": state_bytes(states["mingru"]),
                "transformer_cache": state_bytes(states["transformer"]),
                "transformer_no_cache": prefix[:, :t].numel() * prefix.element_size()}
        for name in contenders:
            rows.append({"t": t, "model": name, "seconds_per_token": times[name],
                         "state_bytes": kept[name]})
        print(f"generate t={t:5d}  " + "  ".join(
            f"{r['model']} {1e3 * r['seconds_per_token']:7.3f} ms" for r in rows[-4:]))
    return {"rows": rows}


def min_gru_doubling(x, h0, W_z, b_z, W_h, b_h):
    """``min_gru_loop``'s h_t (identity candidate) through ``scan_doubling``."""
    z = torch.sigmoid(x @ W_z.T + b_z)
    return scan_doubling(1 - z, z * (x @ W_h.T + b_h), h0)


def backward_of(fn):
    fn().sum().backward()


def scan_cost(args, device) -> dict:
    rows = []
    H, B = args.width, args.batch
    for T in args.scan_T:
        gen = torch.Generator().manual_seed(args.seed)
        x, h0 = torch.randn(T, B, H, generator=gen), torch.randn(B, H, generator=gen)
        weights = [torch.randn(H, H, generator=gen) * H ** -0.5, torch.randn(H, generator=gen),
                   torch.randn(H, H, generator=gen) * H ** -0.5, torch.randn(H, generator=gen)]
        args_ = [t.to(device).requires_grad_() for t in (x, h0, *weights)]
        ways = {"loop": partial(min_gru_loop, *args_), "log_scan": partial(min_gru_scan, *args_),
                "doubling": partial(min_gru_doubling, *args_)}
        with torch.no_grad():
            fwd = best_times(ways, args.repeats, device)
        both = best_times({k: partial(backward_of, f) for k, f in ways.items()}, args.repeats,
                          device)
        for name in ways:
            rows.append({"T": T, "method": name, "forward_s": fwd[name],
                         "forward_backward_s": both[name]})
        print(f"minGRU T={T:6d}  " + "  ".join(
            f"{r['method']} {1e3 * r['forward_s']:8.2f}/{1e3 * r['forward_backward_s']:8.2f} ms"
            for r in rows[-3:]))
    return {"hidden": H, "batch": B, "rows": rows}


def curve(rows, key, value, name, field="model"):
    picked = sorted((r[key], r[value]) for r in rows if r[field] == name)
    return [p[0] for p in picked], [p[1] for p in picked]


def find_crossings(train, gen, scan) -> dict:
    out = {}
    for kind in ("lstm", "gru", "mingru"):
        xs, per_char_t = curve(train["rows"], "T", "seconds", "transformer")
        _, per_char_r = curve(train["rows"], "T", "seconds", kind)
        out[f"train_time_transformer_vs_{kind}"] = crossings(xs, per_char_t, per_char_r)
        _, mem_t = curve(train["rows"], "T", "saved_bytes", "transformer")
        _, mem_r = curve(train["rows"], "T", "saved_bytes", kind)
        out[f"train_memory_transformer_vs_{kind}"] = crossings(xs, mem_t, mem_r)
    ts, cache = curve(gen["rows"], "t", "seconds_per_token", "transformer_cache")
    for other in ("lstm", "mingru", "transformer_no_cache"):
        _, o = curve(gen["rows"], "t", "seconds_per_token", other)
        out[f"generate_latency_cache_vs_{other}"] = crossings(ts, cache, o)
        _, sb = curve(gen["rows"], "t", "state_bytes", other)
        _, cb = curve(gen["rows"], "t", "state_bytes", "transformer_cache")
        out[f"generate_state_cache_vs_{other}"] = crossings(ts, cb, sb)
    Ts, loop = curve(scan["rows"], "T", "forward_s", "loop", field="method")
    for method in ("log_scan", "doubling"):
        _, s = curve(scan["rows"], "T", "forward_s", method, field="method")
        out[f"mingru_forward_{method}_vs_loop"] = crossings(Ts, s, loop)
        _, sb = curve(scan["rows"], "T", "forward_backward_s", method, field="method")
        _, lb = curve(scan["rows"], "T", "forward_backward_s", "loop", field="method")
        out[f"mingru_forward_backward_{method}_vs_loop"] = crossings(Ts, sb, lb)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--width", type=int, default=128)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--T", type=int, nargs="+", default=[32, 64, 128, 256, 512, 1024, 2048])
    p.add_argument("--positions", type=int, nargs="+",
                   default=[16, 64, 256, 1024, 2048, 4096])
    p.add_argument("--scan-T", type=int, nargs="+",
                   default=[16, 64, 256, 1024, 4096, 16384])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--clock", choices=["process", "wall"], default=None,
                   help="process: CPU seconds of this process (default on a CPU); wall: "
                   "wall-clock seconds (default on a GPU)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    p.add_argument("--quick", action="store_true",
                   help="small sizes, 2 repeats, scratch output: proves the script runs")
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args()
    if args.quick:
        args.width, args.batch, args.repeats = 32, 4, 2
        args.T, args.positions, args.scan_T = [16, 64, 256], [8, 64, 256], [16, 256, 1024]
    out_path = args.out or (QUICK_OUT if args.quick else DEFAULT_OUT)
    seed_everything(args.seed, threads=args.threads)
    device = pick_device(args.device)
    global clock
    if args.clock is None:
        args.clock = "process" if device.type == "cpu" else "wall"
    clock = CLOCK[args.clock]
    print(f"{args.clock} seconds, width {args.width}, {args.layers} layers, batch {args.batch}, "
          f"{args.threads} thread(s), {device}, best of {args.repeats}")
    load_start = os.getloadavg()
    train = training_cost(args, device)
    gen = generation_cost(args, device)
    scan = scan_cost(args, device)
    found = find_crossings(train, gen, scan)
    for name, where in found.items():
        shown = ", ".join(f"{c['x']:.0f} ({c['below_before']} cheaper before)" for c in where)
        print(f"{name:48s} {shown or 'no crossing in range'}")
    record = {
        "description": "Cost against sequence length, written by benchmarks/sequence_cost.py. "
                       "train: forward+backward seconds for batch x T characters, characters per "
                       "second, saved_bytes = what autograd keeps for backward (parameters "
                       "excluded). generate: seconds for one new token after t tokens, "
                       "state_bytes = what is kept between tokens. mingru_scan: the recursion "
                       "over T steps (hidden x batch). crossings: where curve a (named first) "
                       "crosses b, interpolated in log T; below_before names the cheaper one "
                       "before the crossing.",
        "quick": args.quick,
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "device": str(device),
        "device_name": (torch.cuda.get_device_name(device) if device.type == "cuda"
                        else platform.processor() or platform.machine()),
        **run_record(load_start),
        "train": train, "generate": gen, "mingru_scan": scan, "crossings": found,
    }
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main()
