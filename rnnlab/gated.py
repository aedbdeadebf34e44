"""Gated recurrent layers from tensor operations: ``LSTM``, ``GRU`` and ``FastLSTM``.

They take torch's constructor arguments (``input_size, hidden_size, num_layers, bias,
batch_first``), have torch's forward signatures and return shapes, and torch's parameter names
and gate order (LSTM: i, f, g, o; GRU: r, z, n), so ``load_state_dict`` from ``nn.LSTM`` /
``nn.GRU`` gives the same outputs and gradients.

After each forward pass a layer keeps, for the lessons (as ``rnnlab.models.RNN`` does):

* ``hidden_states[l][t]``: layer l's h_t (the state after step t), (batch, hidden), or
  (hidden,) for unbatched input. They are the tensors the computation went through, so
  ``torch.autograd.grad(loss, model.hidden_states[-1])`` gives dL/dh_t, every path included;
* ``gates[l]``: a dict of detached gate activations of layer l, each (batch, seq_len, hidden)
  or (seq_len, hidden) unbatched (LSTM: ``"i", "f", "g", "o"`` and the cell state ``"c"``;
  GRU: ``"r", "z", "n"``).

Names mirror the maths: ``W_ih`` (4*hidden, input), ``W_hh`` (4*hidden, hidden), ``x_t``
(batch, input), ``h_prev`` and ``c_prev`` (batch, hidden).
"""

from __future__ import annotations

import torch

from rnnlab.layers import RecurrentLayers

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


def lstm_layer_fast(x, h, c, W_ih, W_hh, b_ih=None, b_hh=None, steps: str = "unbind"):
    """One LSTM layer over a whole sequence, ``x`` (seq_len, batch, input) or (seq_len, input).

    All input projections come from one matrix multiply; the loop does only ``h @ W_hh.T``.
    ``steps="unbind"`` splits the projections into per-step views with ``unbind``, whose
    backward is a single stack. ``steps="index"`` takes ``xp[t]`` in the loop instead
    (``xp[:, t]`` in a batch-first layout): the backward of every such slice writes a gradient
    as large as all of ``xp``, so backward grows as seq_len squared (kept only to measure that
    pitfall). ``h`` and ``c`` are the initial states, (batch, hidden) or (hidden,).

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
        outputs.append(h)
    return outputs, h, c


class _Recurrent(RecurrentLayers):
    """Shape checks and layout handling shared by LSTM and GRU (parameters: RecurrentLayers)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.gates: list[dict[str, torch.Tensor]] = []

    def _time_major(self, x) -> torch.Tensor:
        """Check ``x`` and return it as (seq_len, batch, input), or (seq_len, input) unbatched."""
        name = type(self).__name__
        layout = "(batch, seq_len, input)" if self.batch_first else "(seq_len, batch, input)"
        if not isinstance(x, torch.Tensor):
            raise ValueError(f"{name}: expected a tensor {layout}, got {type(x).__name__}")
        if x.dim() not in (2, 3):
            raise ValueError(f"{name}: expected input of shape {layout}, or (seq_len, input) "
                             f"without a batch, got a {x.dim()}-D tensor of shape "
                             f"{tuple(x.shape)}")
        if x.shape[-1] != self.input_size:
            raise ValueError(f"{name}: expected input with input_size = {self.input_size} "
                             f"features in the last dimension, {layout}, got shape "
                             f"{tuple(x.shape)}")
        dtype = self.weight_ih_l0.dtype
        if x.dtype != dtype:
            raise ValueError(f"{name}: expected input of dtype {dtype} (the parameters' dtype), "
                             f"got {x.dtype}")
        if x.dim() == 3 and self.batch_first:
            x = x.transpose(0, 1)
        if x.shape[0] == 0:
            raise ValueError(f"{name}: expected at least one time step, got shape "
                             f"{tuple(x.shape)}")
        return x

    def _state(self, s, name: str, x: torch.Tensor) -> torch.Tensor:
        """An initial state, (num_layers, batch, hidden) or (num_layers, hidden) unbatched."""
        want = (self.num_layers, *x.shape[1:-1], self.hidden_size)
        if s is None:
            return x.new_zeros(want)
        if not isinstance(s, torch.Tensor) or tuple(s.shape) != want:
            got = f"shape {tuple(s.shape)}" if isinstance(s, torch.Tensor) else type(s).__name__
            batch = "" if x.dim() == 2 else "batch, "
            raise ValueError(f"{type(self).__name__}: expected {name} of shape {want} "
                             f"(num_layers, {batch}hidden_size), got {got}")
        if s.dtype != x.dtype:
            raise ValueError(f"{type(self).__name__}: expected {name} of dtype {x.dtype}, "
                             f"got {s.dtype}")
        return s

    def _output(self, outputs: list[torch.Tensor]) -> torch.Tensor:
        out = torch.stack(outputs)  # (seq_len, batch, hidden) or (seq_len, hidden)
        return out.transpose(0, 1) if (self.batch_first and out.dim() == 3) else out

    def _record(self, rec: dict[str, list[torch.Tensor]]) -> dict[str, torch.Tensor]:
        # (seq_len, batch, hidden) -> (batch, seq_len, hidden); (seq_len, hidden) stays.
        return {k: torch.stack(v).detach().movedim(0, -2) for k, v in rec.items()}


class LSTM(_Recurrent):
    """LSTM from tensor operations, a drop-in for ``nn.LSTM`` (no dropout, bidirectional or
    proj_size).

    ``forward(input, hx=None)`` takes ``input`` (seq_len, batch, input), or (batch, seq_len,
    input) with ``batch_first``, or (seq_len, input) unbatched, and ``hx = (h_0, c_0)``, each
    (num_layers, batch, hidden) (or (num_layers, hidden) unbatched). Returns
    ``output, (h_n, c_n)``: output has the input's layout with hidden features; h_n and c_n are
    (num_layers, batch, hidden), never batch-first, as in torch.
    """

    gate_blocks = 4

    def forward(self, input, hx=None):
        x = self._time_major(input)
        if hx is None:
            h0 = c0 = None
        elif isinstance(hx, (tuple, list)) and len(hx) == 2:
            h0, c0 = hx
        else:
            raise ValueError("LSTM: expected hx = (h_0, c_0), a tuple of two tensors of shape "
                             f"(num_layers, batch, hidden_size), got {type(hx).__name__}")
        h0, c0 = self._state(h0, "h_0", x), self._state(c0, "c_0", x)
        h_n, c_n = [], []
        self.hidden_states, self.gates = [], []
        layer_in = x
        for k in range(self.num_layers):
            outputs, h, c, gates = self._layer(layer_in, h0[k], c0[k], *self.layer_params(k))
            h_n.append(h)
            c_n.append(c)
            self.hidden_states.append(outputs)
            self.gates.append(gates)
            layer_in = torch.stack(outputs)
        return self._output(outputs), (torch.stack(h_n), torch.stack(c_n))

    def _layer(self, x, h, c, W_ih, W_hh, b_ih, b_hh):
        """The naive loop: the whole cell, input projection included, at every step."""
        outputs, rec = [], {"i": [], "f": [], "g": [], "o": [], "c": []}
        for x_t in x.unbind(0):
            h, c, (i, f, g, o) = lstm_cell(x_t, h, c, W_ih, W_hh, b_ih, b_hh)
            outputs.append(h)
            for key, value in zip("ifgoc", (i, f, g, o, c), strict=True):
                rec[key].append(value)
        return outputs, h, c, self._record(rec)


class FastLSTM(LSTM):
    """The same LSTM (same parameters, outputs and gradients) with the input projections of
    every step in one matrix multiply before the loop, which then does ``h @ W_hh.T`` and the
    gate arithmetic only; no gate recording (``gates`` holds empty dicts). The forward pass
    gains the most; ``benchmarks/lstm_speed.py`` measures it against LSTM and ``nn.LSTM``."""

    def _layer(self, x, h, c, W_ih, W_hh, b_ih, b_hh):
        outputs, h, c = lstm_layer_fast(x, h, c, W_ih, W_hh, b_ih, b_hh)
        return outputs, h, c, {}


class GRU(_Recurrent):
    """GRU from tensor operations, a drop-in for ``nn.GRU`` (no dropout or bidirectional).

    ``forward(input, hx=None)`` takes ``input`` as ``LSTM`` does and ``hx = h_0``,
    (num_layers, batch, hidden). Returns ``output, h_n``.
    """

    gate_blocks = 3

    def forward(self, input, hx=None):
        x = self._time_major(input)
        h0 = self._state(hx, "h_0", x)
        h_n = []
        self.hidden_states, self.gates = [], []
        layer_in = x
        for k in range(self.num_layers):
            W_ih, W_hh, b_ih, b_hh = self.layer_params(k)
            h = h0[k]
            outputs, rec = [], {"r": [], "z": [], "n": []}
            for x_t in layer_in.unbind(0):
                h, (r, z, n) = gru_cell(x_t, h, W_ih, W_hh, b_ih, b_hh)
                outputs.append(h)
                for key, value in zip("rzn", (r, z, n), strict=True):
                    rec[key].append(value)
            h_n.append(h)
            self.hidden_states.append(outputs)
            self.gates.append(self._record(rec))
            layer_in = torch.stack(outputs)
        return self._output(outputs), torch.stack(h_n)
