"""What every recurrent layer of the course shares: torch's arguments, parameters, checks and loop.

``RecurrentLayers`` takes ``torch.nn.RNNBase``'s arguments (``num_layers``, ``bias``,
``batch_first``, ``dropout``, ``bidirectional``, ``proj_size``, ``device``, ``dtype``), registers
the same parameters under the same names in the same order (so the same seed gives the same
initial weights as ``torch.nn.RNN`` / ``LSTM`` / ``GRU``, and state dicts load both ways), and
runs the layers step by step in Python. For layer ``l`` and direction ``d`` (``suffix`` is ""
for d = 0 and "_reverse" for d = 1), with ``G`` gate blocks (1 for the RNN, 4 for the LSTM, 3 for
the GRU), ``H`` = hidden_size, ``P`` = proj_size (or H without projections), ``D`` = 1 or 2
directions:

* ``weight_ih_l{l}{suffix}``: (G·H, input_size) for l = 0, (G·H, D·P) above;
* ``weight_hh_l{l}{suffix}``: (G·H, P);
* ``bias_ih_l{l}{suffix}``, ``bias_hh_l{l}{suffix}``: (G·H,), only with ``bias=True``;
* ``weight_hr_l{l}{suffix}``: (P, H), only for an LSTM with ``proj_size > 0``.

Subclasses say what one time step does (``_step``) and what may be computed for all steps at
once before the loop (``_project``); the base handles layouts, ``PackedSequence`` input, both
directions, dropout between layers, and the checks, raising the exception classes torch raises.
"""

from __future__ import annotations

import math
import numbers
import warnings

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import PackedSequence


def _shape(t: torch.Tensor) -> tuple[int, ...]:
    return tuple(t.shape)


class NotATensorError(TypeError, AttributeError):
    """Something else where a tensor was expected. A TypeError, and also an AttributeError,
    which is what torch's layers raise there (they call ``.dim()`` on it), so code written
    for either catches it."""


class RecurrentLayers(nn.Module):
    """Base of ``rnnlab.models.RNN``, ``LSTM`` and ``GRU``: see the module docstring.

    After each forward pass (``k = l * D + d``, the same index as in ``h_n``):

    * ``hidden_states[k][t]``: the state h_t that layer l, direction d computed at time step t
      (in time order for both directions), (batch, P), or (P,) unbatched; for a
      ``PackedSequence``, (batch_sizes[t], P): the sequences still running at step t, sorted
      by length as in the packed data. They are the tensors the computation went through, so
      ``torch.autograd.grad(loss, model.hidden_states[-1])`` gives dL/dh_t, all paths included;
    * ``gates[k]``: a dict of detached gate activations (empty for the RNN and FastLSTM), each
      (batch, seq_len, H), or (seq_len, H) unbatched; packed input gives zeros after a
      sequence's end, rows in the caller's batch order.

    Both are replaced by the next call and are not pickled or deep-copied.
    """

    gate_blocks = 1  # rows of W_ih per hidden unit
    has_cell = False  # True for the LSTM: hx is (h_0, c_0)

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        self._check_arguments(name, input_size, hidden_size, num_layers, bias, batch_first,
                              dropout, bidirectional, proj_size)
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bias, batch_first
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        self.proj_size = proj_size
        rows = self.gate_blocks * hidden_size
        out = proj_size if proj_size > 0 else hidden_size
        kw = {"device": device, "dtype": dtype}
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        # Registration order is torch's (layer, direction, then ih, hh, biases, hr): init draws
        # the random numbers in this order, so the same seed gives torch's initial weights.
        for layer in range(num_layers):
            width = input_size if layer == 0 else out * self.num_directions
            for d in range(self.num_directions):
                suffix = "_reverse" if d else ""
                shapes = {f"weight_ih_l{layer}{suffix}": (rows, width),
                          f"weight_hh_l{layer}{suffix}": (rows, out)}
                if bias:
                    shapes[f"bias_ih_l{layer}{suffix}"] = (rows,)
                    shapes[f"bias_hh_l{layer}{suffix}"] = (rows,)
                if proj_size > 0:
                    shapes[f"weight_hr_l{layer}{suffix}"] = (proj_size, hidden_size)
                for pname, shape in shapes.items():
                    setattr(self, pname, nn.Parameter(torch.empty(shape, **kw)))
                self._flat_weights_names += list(shapes)
                self._all_weights.append(list(shapes))
        self.reset_parameters()
        self.hidden_states: list[list[torch.Tensor]] = []
        self.gates: list[dict[str, torch.Tensor]] = []

    @staticmethod
    def _check_arguments(name, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size) -> None:
        """torch's constructor checks and exception classes, with what was expected."""
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError(f"{name}: dropout should be a number in range [0, 1] (the "
                             f"probability of zeroing an element), got {dropout!r}")
        for arg, value in (("bias", bias), ("batch_first", batch_first)):
            if not isinstance(value, bool):
                raise TypeError(f"{name}: {arg} should be of type bool (True or False), got "
                                f"{type(value).__name__} {value!r}")
        if not (isinstance(bidirectional, bool) or bidirectional in (0, 1)):
            raise TypeError(f"{name}: bidirectional should be of type bool (True or False), got "
                            f"{type(bidirectional).__name__} {bidirectional!r}")
        for arg, value in (("input_size", input_size), ("hidden_size", hidden_size),
                           ("num_layers", num_layers), ("proj_size", proj_size)):
            if not isinstance(value, int):
                raise TypeError(f"{name}: {arg} should be of type int, got "
                                f"{type(value).__name__} {value!r}")
        for arg, value in (("input_size", input_size), ("hidden_size", hidden_size),
                           ("num_layers", num_layers)):
            if value <= 0:
                raise ValueError(f"{name}: {arg} must be greater than zero, got {value}")
        if proj_size < 0:
            raise ValueError(f"{name}: proj_size should be a positive integer or zero to disable "
                             f"projections, got {proj_size}")
        if proj_size >= hidden_size:
            raise ValueError(f"{name}: proj_size has to be smaller than hidden_size = "
                             f"{hidden_size}, got proj_size={proj_size}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{name}: dropout acts between stacked layers, not after the last one, "
                          f"so dropout={dropout} with num_layers=1 does nothing", stacklevel=4)

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def reset_parameters(self) -> None:
        """torch's initialisation: every parameter uniform in +-1/sqrt(hidden_size)."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def flatten_parameters(self) -> None:
        """Does nothing: torch packs its weights into one block for cuDNN here; these layers
        read each parameter by name at every call, so there is nothing to pack."""

    @property
    def _flat_weights(self) -> list:
        # Read by name at every access, so weight_norm or parametrizations, which replace an
        # attribute, are seen here as in the forward pass.
        return [getattr(self, n, None) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[torch.Tensor]]:
        """The parameters grouped per layer and direction, as ``torch.nn.RNNBase.all_weights``."""
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def layer_params(self, k: int, direction: int = 0):
        """``(W_ih, W_hh, b_ih, b_hh)`` of layer k (the biases are None without bias)."""
        return self._direction_params(k, direction)[:4]

    def _direction_params(self, layer: int, d: int):
        """``(W_ih, W_hh, b_ih, b_hh, W_hr)`` of one layer and direction (None where absent)."""
        suffix = "_reverse" if d else ""
        get = lambda kind: getattr(self, f"{kind}_l{layer}{suffix}", None)  # noqa: E731
        b_ih, b_hh = (get("bias_ih"), get("bias_hh")) if self.bias else (None, None)
        w_hr = get("weight_hr") if self.proj_size > 0 else None
        return get("weight_ih"), get("weight_hh"), b_ih, b_hh, w_hr

    def __getstate__(self):
        # The recorded states hold the autograd graph of the last call: copying or pickling
        # them would fail (non-leaf tensors cannot be deep-copied) and is never wanted.
        state = self.__dict__.copy()
        state["hidden_states"], state["gates"] = [], []
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        # Pickles of torch's layers from before an attribute existed (proj_size came in 1.8).
        for attr, default in (("proj_size", 0), ("dropout", 0.0), ("bidirectional", False),
                              ("hidden_states", []), ("gates", [])):
            if attr not in self.__dict__:
                setattr(self, attr, default)

    # ---- one time step: subclasses ------------------------------------------------------

    def _project(self, x: torch.Tensor, params) -> torch.Tensor:
        """What can be computed for all steps at once; (..., input) -> (..., anything)."""
        return x

    def _step(self, x_t: torch.Tensor, state: tuple, params):
        """One step: ``x_t`` (batch, ·) or (·,) from ``_project``, ``state`` a tuple of
        (batch, ·) tensors. Returns ``(new_state, gates)``, gates a tuple or None."""
        raise NotImplementedError

    gate_names: tuple[str, ...] = ()

    # ---- checks -------------------------------------------------------------------------

    def _layout(self, batched: bool = True) -> str:
        if not batched:
            return f"(seq_len, input_size={self.input_size})"
        if self.batch_first:
            return f"(batch, seq_len, input_size={self.input_size})"
        return f"(seq_len, batch, input_size={self.input_size})"

    def _check_input(self, x: torch.Tensor, packed: bool) -> None:
        name = type(self).__name__
        if packed:
            if x.dim() != 2:
                raise RuntimeError(f"{name}: expected the data of a PackedSequence to be 2-D "
                                   f"(total steps, input_size={self.input_size}), got shape "
                                   f"{_shape(x)}")
        elif x.dim() not in (2, 3):
            raise ValueError(f"{name}: expected input to be 2-D {self._layout(False)} or 3-D "
                             f"{self._layout()}, got {x.dim()}-D input of shape {_shape(x)}")
        dtype = self.weight_ih_l0.dtype
        if x.dtype != dtype:
            raise ValueError(f"{name}: expected input of dtype {dtype} (the parameters' dtype), "
                             f"got {x.dtype}; convert one with .to({dtype}) or model.to(...)")
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input.size(-1) must be equal to input_size = "
                               f"{self.input_size}, got input of shape {_shape(x)}")

    def _state_sizes(self) -> list[tuple[str, int, str]]:
        """(name, last dimension, what it is) of each initial state."""
        out = self.proj_size if self.proj_size > 0 else self.hidden_size
        what = "proj_size" if self.proj_size > 0 else "hidden_size"
        if self.has_cell:
            return [("hidden[0] (h_0)", out, what), ("hidden[1] (c_0)", self.hidden_size,
                                                     "hidden_size")]
        return [("hidden", out, what)]

    def _initial_state(self, hx, like: torch.Tensor, batch: int | None, packed_input: bool):
        """hx checked and as a tuple of (L*D, batch, ·) tensors, or (L*D, ·) unbatched."""
        name = type(self).__name__
        lead = (self.num_layers * self.num_directions,) + (() if batch is None else (batch,))
        sizes = self._state_sizes()
        if hx is None:
            return tuple(like.new_zeros(lead + (n,)) for _, n, _ in sizes)
        if self.has_cell:
            if isinstance(hx, torch.Tensor) or not (isinstance(hx, (tuple, list))
                                                   and len(hx) == 2):
                # torch indexes a tensor hx and fails on its rank (RuntimeError); anything
                # else fails on the indexing (TypeError).
                single = isinstance(hx, torch.Tensor)
                got = "a single tensor" if single else type(hx).__name__
                raise (RuntimeError if single else NotATensorError)(
                    f"{name}: expected hx = (h_0, c_0), a tuple of two tensors "
                    f"(num_layers * num_directions, batch, ·), got {got}")
            parts = tuple(hx)
        else:
            parts = (hx,)
        for part, (what, n, meaning) in zip(parts, sizes, strict=True):
            if not isinstance(part, torch.Tensor):
                raise NotATensorError(f"{name}: expected {what} to be a torch.Tensor, got "
                                      f"{type(part).__name__}")
            want = lead + (n,)
            kind = "unbatched 2-D" if batch is None else "batched 3-D"
            if packed_input:
                kind = "packed"
            if part.dim() != len(want):
                raise RuntimeError(f"{name}: for {kind} input, {what} should be "
                                   f"{len(want)}-D {want}, got a {part.dim()}-D tensor of shape "
                                   f"{_shape(part)}")
            if _shape(part) != want:
                dims = "num_layers * num_directions, " + ("" if batch is None else "batch, ")
                raise RuntimeError(f"{name}: Expected {what} size {want} ({dims}{meaning}) for "
                                   f"{kind} input, got {_shape(part)}")
            if part.dtype != like.dtype:
                raise RuntimeError(f"{name}: expected {what} of dtype {like.dtype} (the input's "
                                   f"dtype), got {part.dtype}")
        return parts

    # ---- the loop -----------------------------------------------------------------------

    def forward(self, input, hx=None):
        """Run every layer over the whole sequence.

        ``input``: (T, B, input_size), or (B, T, input_size) with ``batch_first``, or
        (T, input_size) unbatched, or a ``PackedSequence`` of (sum of lengths, input_size).
        ``hx``: (L·D, B, P) or (L·D, P) unbatched (zeros if None); for the LSTM
        ``(h_0, c_0)`` with c_0 (L·D, B, H). For packed input, hx rows follow the caller's
        batch order (torch's convention), as do the returned final states.

        Returns ``(output, h_n)`` (RNN, GRU) or ``(output, (h_n, c_n))`` (LSTM): output has
        the input's layout with D·P features (a ``PackedSequence`` for packed input); h_n is
        (L·D, B, P) (never batch-first), c_n (L·D, B, H).
        """
        name = type(self).__name__
        packed = isinstance(input, PackedSequence)
        if packed:
            x, batch_sizes, sorted_indices, unsorted_indices = input
            if not isinstance(x, torch.Tensor):
                raise NotATensorError(f"{name}: expected PackedSequence data to be a "
                                      f"torch.Tensor, got {type(x).__name__}")
            self._check_input(x, packed=True)
            steps = [int(b) for b in batch_sizes]
            batch = steps[0]
        elif isinstance(input, torch.Tensor):
            self._check_input(input, packed=False)
            batched = input.dim() == 3
            x = input.transpose(0, 1) if (batched and self.batch_first) else input
            if x.shape[0] == 0:
                raise RuntimeError(f"{name}: Expected sequence length to be larger than 0 in RNN, "
                                   f"got input of shape {_shape(input)} {self._layout(batched)}")
            steps = None
            batch = x.shape[1] if batched else None
        else:
            raise NotATensorError(f"{name}: expected input to be a torch.Tensor "
                                  f"{self._layout()} or a PackedSequence, got "
                                  f"{type(input).__name__}")
        state = self._initial_state(hx, x, batch, packed)
        if packed and sorted_indices is not None:
            state = tuple(s.index_select(1, sorted_indices) for s in state)

        self.hidden_states, self.gates = [], []
        finals: list[list[torch.Tensor]] = [[] for _ in state]
        layer_in = x
        for layer in range(self.num_layers):
            outs = []
            for d in range(self.num_directions):
                k = layer * self.num_directions + d
                params = self._direction_params(layer, d)
                h_steps, last, rec = self._run_direction(layer_in, steps,
                                                         tuple(s[k] for s in state), params,
                                                         reverse=d == 1)
                self.hidden_states.append(h_steps)
                self.gates.append(self._gate_maps(rec, steps, unsorted_indices if packed
                                                  else None))
                for store, s in zip(finals, last, strict=True):
                    store.append(s)
                outs.append(torch.cat(h_steps) if packed else torch.stack(h_steps))
            layer_in = outs[0] if len(outs) == 1 else torch.cat(outs, dim=-1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                # Where torch's CPU kernel applies it, on the same (time-major) tensor, so a
                # shared seed draws the same mask.
                layer_in = F.dropout(layer_in, self.dropout, training=True)

        last_states = [torch.stack(s) for s in finals]
        if packed:
            if unsorted_indices is not None:
                last_states = [s.index_select(1, unsorted_indices) for s in last_states]
            output = PackedSequence(layer_in, batch_sizes, sorted_indices, unsorted_indices)
        else:
            output = layer_in.transpose(0, 1) if (batch is not None and self.batch_first) \
                else layer_in
        return output, (tuple(last_states) if self.has_cell else last_states[0])

    def _run_direction(self, x, steps, state, params, reverse: bool):
        """One layer, one direction. ``x``: (T, B, ·) or (T, ·), or packed data (N, ·) with
        ``steps`` = batch_sizes; ``state``: tuple of (B, ·) or (·,) initial states.

        Returns ``(h_steps, last, record)``: the T output states in time order, the final
        state tuple (all B rows), and the gate activations per name (lists in time order).
        """
        xp = self._project(x, params)
        inputs = xp.split(steps) if steps is not None else xp.unbind(0)
        T = len(inputs)
        h_steps: list = [None] * T
        record: dict[str, list] = {key: [None] * T for key in self.gate_names}
        cur, finished = state, []
        if steps is not None and reverse and steps[-1] < steps[0]:
            cur = tuple(s[:steps[-1]] for s in state)
        for t in (range(T - 1, -1, -1) if reverse else range(T)):
            if steps is not None:
                n, have = steps[t], cur[0].shape[0]
                if n < have:  # forward: sequences that ended keep their last state
                    finished.append(tuple(s[n:] for s in cur))
                    cur = tuple(s[:n] for s in cur)
                elif n > have:  # reverse: sequences that end at t start here from hx
                    cur = tuple(torch.cat((s, s0[have:n])) for s, s0 in zip(cur, state,
                                                                           strict=True))
            cur, gates = self._step(inputs[t], cur, params)
            h_steps[t] = cur[0]
            if gates is not None:
                for key, value in zip(self.gate_names, gates, strict=True):
                    record[key][t] = value
        if finished:
            cur = tuple(torch.cat([c, *(f[i] for f in reversed(finished))])
                        for i, c in enumerate(cur))
        return h_steps, cur, record

    def _gate_maps(self, record, steps, unsorted_indices) -> dict[str, torch.Tensor]:
        """Gate lists -> detached (batch, seq_len, H) maps, or (seq_len, H) unbatched."""
        maps = {}
        for key, values in record.items():
            if not values or values[0] is None:
                continue
            if steps is None:
                maps[key] = torch.stack(values).detach().movedim(0, -2)
                continue
            grid = values[0].new_zeros((len(values), steps[0], values[0].shape[-1]))
            for t, v in enumerate(values):
                grid[t, :v.shape[0]] = v.detach()
            if unsorted_indices is not None:
                grid = grid.index_select(1, unsorted_indices)
            maps[key] = grid.transpose(0, 1)
        return maps

    def _repr_options(self) -> list[str]:
        """Options a subclass adds to the repr after num_layers (e.g. the nonlinearity)."""
        return []

    def extra_repr(self) -> str:
        parts = [f"{self.input_size}, {self.hidden_size}"]
        if self.proj_size:
            parts.append(f"proj_size={self.proj_size}")
        if self.num_layers != 1:
            parts.append(f"num_layers={self.num_layers}")
        parts += self._repr_options()
        if not self.bias:
            parts.append("bias=False")
        if self.batch_first:
            parts.append("batch_first=True")
        if self.dropout:
            parts.append(f"dropout={self.dropout}")
        if self.bidirectional:
            parts.append("bidirectional=True")
        return ", ".join(parts)


def reject_unknown(name: str, kwargs: dict, projections: bool = False) -> None:
    """One-line errors for keyword arguments a layer does not take (torch's classes)."""
    if "proj_size" in kwargs and not projections:
        raise ValueError(f"{name}: proj_size argument is only supported for LSTM, not RNN or "
                         f"GRU (got proj_size={kwargs['proj_size']!r}); use rnnlab.models.LSTM")
    if kwargs:
        raise TypeError(f"{name}.__init__() got an unexpected keyword argument "
                        f"{next(iter(kwargs))!r}")
