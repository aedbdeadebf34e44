"""Gated recurrent layers from tensor operations: ``LSTM``, ``GRU`` and ``FastLSTM``.

They take torch's constructor arguments in torch's positions (``input_size, hidden_size,
num_layers, bias, batch_first, dropout, bidirectional``, ``proj_size`` for the LSTM, ``device,
dtype``), accept the same inputs (``PackedSequence`` included) and return the same outputs, and
use torch's parameter names and gate order (LSTM: i, f, g, o; GRU: r, z, n), so
``load_state_dict`` from ``nn.LSTM`` / ``nn.GRU`` gives the same outputs and gradients. The
shared machinery (layouts, directions, packing, dropout, checks) is ``rnnlab.layers``.

After each forward pass a layer keeps, for the lessons (as ``rnnlab.models.RNN`` does):

* ``hidden_states[l][t]``: layer l's h_t (the state after step t), (batch, hidden), or
  (hidden,) for unbatched input (with two directions the index is ``l * 2 + d``, as in h_n).
  They are the tensors the computation went through, so
  ``torch.autograd.grad(loss, model.hidden_states[-1])`` gives dL/dh_t, every path included;
* ``gates[l]``: a dict of detached gate activations of layer l (same index as
  ``hidden_states``), each (batch, seq_len, hidden) or (seq_len, hidden) unbatched (LSTM:
  ``"i", "f", "g", "o"`` and the cell state ``"c"``; GRU: ``"r", "z", "n"``).

Names mirror the maths: ``W_ih`` (4*hidden, input), ``W_hh`` (4*hidden, hidden), ``x_t``
(batch, input), ``h_prev`` and ``c_prev`` (batch, hidden).
"""

from __future__ import annotations

import torch

from rnnlab.layers import RecurrentLayers, reject_unknown

__all__ = ["LSTM", "GRU", "FastLSTM", "lstm_cell", "gru_cell", "lstm_layer_fast"]


def lstm_cell(x_t, h_prev, c_prev, W_ih, W_hh, b_ih=None, b_hh=None):
    """One LSTM step. Returns ``h, c, (i, f, g, o)``, all (batch, hidden)."""
    z = x_t @ W_ih.T + h_prev @ W_hh.T
    if b_ih is not None:
        z = z + b_ih + b_hh
    zi, zf, zg, zo = z.chunk(4, dim=-1)
    i = torch.sigmoid(zi)  # input gate: how much of the candidate to write
    f = torch.sigmoid(zf)  # forget gate: how much of the old cell to keep
    g = torch.tanh(zg)  # candidate values
    o = torch.sigmoid(zo)  # output gate: how much of the cell to show
    c = f * c_prev + i * g  # additive update: the gradient path through c is multiplied by f only
    h = o * torch.tanh(c)
    return h, c, (i, f, g, o)


def gru_cell(x_t, h_prev, W_ih, W_hh, b_ih=None, b_hh=None):
    """One GRU step, in torch's form. Returns ``h, (r, z, n)``, all (batch, hidden).

    The reset gate multiplies ``W_hn h_prev + b_hn`` (torch's and cuDNN's convention), not
    ``h_prev`` before the matrix product as in Cho et al. (2014)."""
    gx = x_t @ W_ih.T
    gh = h_prev @ W_hh.T
    if b_ih is not None:
        gx = gx + b_ih
        gh = gh + b_hh
    xr, xz, xn = gx.chunk(3, dim=-1)
    hr, hz, hn = gh.chunk(3, dim=-1)
    r = torch.sigmoid(xr + hr)  # reset gate
    z = torch.sigmoid(xz + hz)  # update gate: 1 keeps the old state, 0 takes the candidate
    n = torch.tanh(xn + r * hn)  # candidate
    h = (1 - z) * n + z * h_prev
    return h, (r, z, n)


def lstm_layer_fast(x, h, c, W_ih, W_hh, b_ih=None, b_hh=None, steps: str = "unbind",
                    W_hr=None):
    """One LSTM layer over a whole sequence, ``x`` (seq_len, batch, input) or (seq_len, input).

    All input projections come from one matrix multiply; the loop does only ``h @ W_hh.T``.
    ``steps="unbind"`` splits the projections into per-step views with ``unbind``, whose
    backward is a single stack. ``steps="index"`` takes ``xp[t]`` in the loop instead
    (``xp[:, t]`` in a batch-first layout): the backward of every such slice writes a gradient
    as large as all of ``xp``, so backward grows as seq_len squared (kept only to measure that
    pitfall). ``h`` and ``c`` are the initial states, (batch, P) and (batch, hidden), or
    unbatched (P,) and (hidden,); P is ``W_hr``'s rows with a projection (``h = (o * tanh(c))
    @ W_hr.T``, torch's ``proj_size``), hidden otherwise.

    Returns ``outputs`` (a list of seq_len tensors (batch, hidden)), ``h``, ``c``.
    """
    xp = x @ W_ih.T
    if b_ih is not None:
        xp = xp + (b_ih + b_hh)
    W_hh_T = W_hh.T
    if steps == "unbind":
        per_step = xp.unbind(0)
    elif steps == "index":
        per_step = (xp[t] for t in range(xp.shape[0]))
    else:
        raise ValueError(f"steps must be 'unbind' or 'index', got {steps!r}")
    outputs = []
    for xp_t in per_step:
        # addmm: the matrix product and the add in one call (2-D states only)
        z = torch.addmm(xp_t, h, W_hh_T) if h.dim() == 2 else xp_t + h @ W_hh_T
        zi, zf, zg, zo = z.chunk(4, dim=-1)
        c = torch.sigmoid(zf) * c + torch.sigmoid(zi) * torch.tanh(zg)
        h = torch.sigmoid(zo) * torch.tanh(c)
        if W_hr is not None:
            h = h @ W_hr.T
        outputs.append(h)
    return outputs, h, c


class LSTM(RecurrentLayers):
    """LSTM from tensor operations, a drop-in for ``nn.LSTM``.

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, proj_size=0, device=None, dtype=None)``, as torch's.
    ``forward(input, hx=None)`` takes ``input`` (seq_len, batch, input), or (batch, seq_len,
    input) with ``batch_first``, or (seq_len, input) unbatched, or a ``PackedSequence``, and
    ``hx = (h_0, c_0)``: h_0 (num_layers * D, batch, P), c_0 (num_layers * D, batch, hidden)
    (no batch dimension for unbatched input), P = proj_size or hidden. Returns
    ``output, (h_n, c_n)``: output has the input's layout with D * P features; h_n and c_n have
    h_0's and c_0's shapes, never batch-first, as in torch. With ``proj_size`` each layer has
    ``weight_hr_l{k}`` (P, hidden) and its state is ``h = (o * tanh(c)) @ W_hr.T``.
    """

    gate_blocks = 4
    has_cell = True
    gate_names = ("i", "f", "g", "o", "c")

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None, **kwargs):
        reject_unknown(type(self).__name__, kwargs, projections=True)
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype)

    def _step(self, x_t, state, params):
        """The naive loop: the whole cell, input projection included, at every step."""
        W_ih, W_hh, b_ih, b_hh, W_hr = params
        h, c, (i, f, g, o) = lstm_cell(x_t, state[0], state[1], W_ih, W_hh, b_ih, b_hh)
        if W_hr is not None:
            h = h @ W_hr.T
        return (h, c), (i, f, g, o, c)


class FastLSTM(LSTM):
    """The same LSTM (same parameters, outputs and gradients) with the input projections of
    every step in one matrix multiply before the loop, which then does ``h @ W_hh.T`` and the
    gate arithmetic only; no gate recording (``gates`` holds empty dicts). The forward pass
    gains the most; ``benchmarks/lstm_speed.py`` measures it against LSTM and ``nn.LSTM``.
    Tensors go through ``lstm_layer_fast``; a ``PackedSequence``, whose batch shrinks from step
    to step, through the shared loop with the same one-multiply projection."""

    gate_names = ()

    def _project(self, x, params):
        W_ih, _, b_ih, b_hh, _ = params
        xp = x @ W_ih.T
        return xp + (b_ih + b_hh) if b_ih is not None else xp

    def _step(self, xp_t, state, params):
        _, W_hh, _, _, W_hr = params
        h, c = state
        z = torch.addmm(xp_t, h, W_hh.T) if h.dim() == 2 else xp_t + h @ W_hh.T
        zi, zf, zg, zo = z.chunk(4, dim=-1)
        c = torch.sigmoid(zf) * c + torch.sigmoid(zi) * torch.tanh(zg)
        h = torch.sigmoid(zo) * torch.tanh(c)
        return ((h @ W_hr.T if W_hr is not None else h), c), None

    def _run_direction(self, x, steps, state, params, reverse: bool):
        if steps is not None:  # packed: the general loop, with this class's _project/_step
            return super()._run_direction(x, steps, state, params, reverse)
        outputs, h, c = self._layer(x.flip(0) if reverse else x, *state, *params)
        return (outputs[::-1] if reverse else outputs), (h, c), {}

    def _layer(self, x, h, c, W_ih, W_hh, b_ih, b_hh, W_hr):
        """One direction over a whole (seq_len, batch, input) sequence: ``lstm_layer_fast``."""
        return lstm_layer_fast(x, h, c, W_ih, W_hh, b_ih, b_hh, W_hr=W_hr)


class GRU(RecurrentLayers):
    """GRU from tensor operations, a drop-in for ``nn.GRU``.

    ``GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, device=None, dtype=None)``, as torch's. ``forward(input, hx=None)``
    takes ``input`` as ``LSTM`` does and ``hx = h_0``, (num_layers * D, batch, hidden).
    Returns ``output, h_n``.
    """

    gate_blocks = 3
    gate_names = ("r", "z", "n")

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None, **kwargs):
        reject_unknown("GRU", kwargs)
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)

    def _step(self, x_t, state, params):
        W_ih, W_hh, b_ih, b_hh, _ = params
        h, gates = gru_cell(x_t, state[0], W_ih, W_hh, b_ih, b_hh)
        return (h,), gates
