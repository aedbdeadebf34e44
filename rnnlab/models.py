"""Recurrent networks built from tensor operations, interchangeable with PyTorch's layers.

Each class takes the constructor arguments of its ``torch.nn`` namesake, registers parameters
under the same names with the same initialisation, and returns the same shapes from ``forward``,
so ``ours.load_state_dict(theirs.state_dict())`` works and the outputs agree. Unlike PyTorch's
fused kernels, every intermediate state stays visible for the lessons that inspect gradients.

Shapes use ``T`` = seq_len, ``B`` = batch, ``H`` = hidden_size, ``L`` = num_layers.
"""

from __future__ import annotations

import torch

from rnnlab.layers import RecurrentLayers

__all__ = ["RNN"]


def _shape(t: torch.Tensor) -> tuple[int, ...]:
    return tuple(t.shape)


class RNN(RecurrentLayers):
    """A multi-layer Elman RNN, written out step by step.

    For layer ``l`` and time step ``t``::

        h_t = act(x_t @ weight_ih_l{l}.T + bias_ih_l{l} + h_{t-1} @ weight_hh_l{l}.T + bias_hh_l{l})

    where ``act`` is tanh or relu and ``x_t`` is the input (layer 0) or the previous layer's
    ``h_t``. Same arguments, parameter names, initialisation (uniform in ±1/sqrt(H)) and shapes
    as ``torch.nn.RNN`` (without dropout or bidirectional layers).

    Parameters, for each layer ``l``:

    * ``weight_ih_l{l}``: (H, input_size) for l = 0, (H, H) above;
    * ``weight_hh_l{l}``: (H, H);
    * ``bias_ih_l{l}``, ``bias_hh_l{l}``: (H,), only when ``bias=True``.

    After each ``forward``, ``hidden_states[l][t]`` is layer ``l``'s h_t (t = 0..T-1, the state
    *after* step t; h0 is not included), shape (B, H), or (H,) for unbatched input. They are the
    tensors the computation went through, so ``torch.autograd.grad(loss, model.hidden_states[-1])``
    gives dL/dh_t for every t, all paths included. They are replaced by the next call.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        # Parameters in torch's order and init (RecurrentLayers), so the same seed gives the
        # same initial weights as nn.RNN.
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, device, dtype)

    def _repr_options(self) -> list[str]:
        return [f"nonlinearity={self.nonlinearity!r}"] if self.nonlinearity != "tanh" else []

    def _check(self, input, hx):
        """Raise ValueError, saying what was expected, for input this layer cannot take."""
        if not isinstance(input, torch.Tensor):
            raise ValueError(f"RNN: expected input to be a torch.Tensor, "
                             f"got {type(input).__name__}")
        if input.dim() not in (2, 3):
            raise ValueError(
                f"RNN: expected input to be 2-D (seq_len, input_size={self.input_size}) or 3-D "
                f"({self._batched_layout()}), got {input.dim()}-D input of shape {_shape(input)}")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"RNN: expected input.size(-1) == input_size = {self.input_size}, "
                             f"got input of shape {_shape(input)}")
        seq_len = input.shape[1] if (self.batch_first and input.dim() == 3) else input.shape[0]
        if seq_len == 0:
            raise ValueError(f"RNN: expected a sequence length of at least 1, got input of shape "
                             f"{_shape(input)}")
        dtype = self.weight_ih_l0.dtype
        if input.dtype != dtype:
            raise ValueError(f"RNN: expected input of dtype {dtype} (the parameters' dtype), "
                             f"got {input.dtype}; convert one with .to({dtype}) or model.to(...)")
        if hx is None:
            return
        if not isinstance(hx, torch.Tensor):
            raise ValueError(f"RNN: expected hx to be a torch.Tensor or None, "
                             f"got {type(hx).__name__}")
        if input.dim() == 2:
            expected = (self.num_layers, self.hidden_size)
        else:
            batch = input.shape[0] if self.batch_first else input.shape[1]
            expected = (self.num_layers, batch, self.hidden_size)
        if _shape(hx) != expected:
            kind = "unbatched 2-D" if input.dim() == 2 else "batched 3-D"
            raise ValueError(f"RNN: expected hx of shape {expected} (num_layers, "
                             f"{'' if input.dim() == 2 else 'batch, '}hidden_size) for {kind} "
                             f"input of shape {_shape(input)}, got hx of shape {_shape(hx)}")
        if hx.dtype != input.dtype:
            raise ValueError(f"RNN: expected hx of dtype {input.dtype} (the input's dtype), "
                             f"got {hx.dtype}")

    def _batched_layout(self) -> str:
        if self.batch_first:
            return f"batch, seq_len, input_size={self.input_size}"
        return f"seq_len, batch, input_size={self.input_size}"

    def forward(self, input: torch.Tensor, hx: torch.Tensor | None = None):
        """Run the whole sequence.

        input: (T, B, input_size), or (B, T, input_size) with ``batch_first``, or (T, input_size)
        unbatched. hx: initial states (L, B, H), or (L, H) for unbatched input; zeros if None.

        Returns ``(output, h_n)``: output is the last layer's h_t for every t, (T, B, H) (or
        (B, T, H) with ``batch_first``, (T, H) unbatched); h_n is every layer's last state,
        (L, B, H) (or (L, H) unbatched). ``h_n`` is never batch-first, as in torch.
        """
        self._check(input, hx)
        # Time-major throughout: seq is (T, B, features) or (T, features) when unbatched, and
        # every state is (B, H) or (H,); the matrix products below work for both.
        seq = input.transpose(0, 1) if (self.batch_first and input.dim() == 3) else input
        state_shape = seq.shape[1:-1] + (self.hidden_size,)
        if hx is None:
            hx = seq.new_zeros((self.num_layers,) + state_shape)
        act = torch.tanh if self.nonlinearity == "tanh" else torch.relu
        self.hidden_states = []
        last_states = []
        for layer in range(self.num_layers):
            w_ih, w_hh, b_ih, b_hh = self.layer_params(layer)
            # The input-to-hidden part has no recurrence: one product for all time steps.
            from_input = seq @ w_ih.T
            if b_ih is not None:
                from_input = from_input + b_ih
            h = hx[layer]
            states = []
            for t in range(seq.shape[0]):
                pre = from_input[t] + h @ w_hh.T
                if b_hh is not None:
                    pre = pre + b_hh
                h = act(pre)
                states.append(h)
            self.hidden_states.append(states)
            last_states.append(h)
            seq = torch.stack(states)
        output = seq.transpose(0, 1) if (self.batch_first and input.dim() == 3) else seq
        return output, torch.stack(last_states)


# The gated layers live in rnnlab.gated (lessons 05 and 06); one import path for every model.
from rnnlab.gated import GRU, LSTM, FastLSTM  # noqa: E402

__all__ += ["LSTM", "GRU", "FastLSTM"]
