"""What every recurrent layer of the course shares: torch's parameters, names and init.

``RecurrentLayers`` registers, for each layer ``l``, ``weight_ih_l{l}`` (G·H, input or H),
``weight_hh_l{l}`` (G·H, H) and, with ``bias``, ``bias_ih_l{l}`` and ``bias_hh_l{l}`` (G·H,),
where G is ``gate_blocks`` (1 for the RNN, 4 for the LSTM, 3 for the GRU), in torch's order, so
the same seed gives the same initial weights as ``torch.nn.RNN`` / ``LSTM`` / ``GRU``.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class RecurrentLayers(nn.Module):
    gate_blocks = 1  # rows of W_ih per hidden unit

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, device=None, dtype=None):
        super().__init__()
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size),
                            ("num_layers", num_layers)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bool(bias), bool(batch_first)
        rows = self.gate_blocks * hidden_size
        kw = {"device": device, "dtype": dtype}
        for k in range(num_layers):
            width = input_size if k == 0 else hidden_size
            setattr(self, f"weight_ih_l{k}", nn.Parameter(torch.empty(rows, width, **kw)))
            setattr(self, f"weight_hh_l{k}", nn.Parameter(torch.empty(rows, hidden_size, **kw)))
            if self.bias:
                setattr(self, f"bias_ih_l{k}", nn.Parameter(torch.empty(rows, **kw)))
                setattr(self, f"bias_hh_l{k}", nn.Parameter(torch.empty(rows, **kw)))
        self.reset_parameters()
        # Filled by forward: hidden_states[l][t] is layer l's h_t, inside the autograd graph.
        self.hidden_states: list[list[torch.Tensor]] = []

    def reset_parameters(self) -> None:
        """torch's initialisation: every parameter uniform in +-1/sqrt(hidden_size)."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def layer_params(self, k: int):
        """``(W_ih, W_hh, b_ih, b_hh)`` of layer k (the biases are None without bias)."""
        W_ih, W_hh = getattr(self, f"weight_ih_l{k}"), getattr(self, f"weight_hh_l{k}")
        if not self.bias:
            return W_ih, W_hh, None, None
        return W_ih, W_hh, getattr(self, f"bias_ih_l{k}"), getattr(self, f"bias_hh_l{k}")

    def _repr_options(self) -> list[str]:
        """Options a subclass adds to the repr after num_layers (e.g. the nonlinearity)."""
        return []

    def extra_repr(self) -> str:
        parts = [f"{self.input_size}, {self.hidden_size}"]
        if self.num_layers != 1:
            parts.append(f"num_layers={self.num_layers}")
        parts += self._repr_options()
        if not self.bias:
            parts.append("bias=False")
        if self.batch_first:
            parts.append("batch_first=True")
        return ", ".join(parts)
