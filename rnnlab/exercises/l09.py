"""Lesson 09 exercises: the causal mask when the first keys come from a cache, and the size of
a key-value cache."""

import torch

from rnnlab.check import Exercise
from rnnlab.transformer import causal_mask, kv_cache_numbers


def _cached_causal_mask(n_queries, n_keys):
    """bool (n_queries, n_keys), True where query i (at position i + n_keys - n_queries) may
    read key j, i.e. j <= that position."""
    return causal_mask(n_queries, n_keys)


def _mask_inputs(gen):
    n_keys = int(torch.randint(1, 12, (1,), generator=gen))
    n_queries = int(torch.randint(1, n_keys + 1, (1,), generator=gen))
    return n_queries, n_keys


def _kv_cache_bytes(n_layers, d_model, length, batch, bytes_per_number):
    """Bytes of a KV cache: a key and a value of d_model numbers per token, per layer."""
    return kv_cache_numbers(n_layers, d_model, length, batch) * bytes_per_number


def _cache_inputs(gen):
    n_layers, batch = (int(v) for v in torch.randint(1, 9, (2,), generator=gen))
    d_model = 64 * int(torch.randint(1, 17, (1,), generator=gen))
    length = int(torch.randint(1, 5000, (1,), generator=gen))
    bytes_per_number = [1, 2, 4][int(torch.randint(0, 3, (1,), generator=gen))]
    return n_layers, d_model, length, batch, bytes_per_number


EXERCISES = {e.name.split(".")[1]: e for e in [
    Exercise("l09.cached_causal_mask", reference=_cached_causal_mask, make_inputs=_mask_inputs,
             trials=10),
    Exercise("l09.kv_cache_bytes", reference=_kv_cache_bytes, make_inputs=_cache_inputs,
             trials=8),
]}
