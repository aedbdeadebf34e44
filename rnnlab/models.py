"""Recurrent networks built from tensor operations, interchangeable with PyTorch's layers.

Each class takes the constructor arguments of its ``torch.nn`` namesake, in the same positions
(``dropout``, ``bidirectional``, ``proj_size`` for the LSTM, ``device``, ``dtype`` included),
registers parameters under the same names with the same initialisation, accepts the same inputs
(tensors, unbatched tensors, ``PackedSequence``) and returns the same outputs, so
``ours.load_state_dict(theirs.state_dict())`` works and the numbers agree. Unlike PyTorch's fused
kernels, every intermediate state stays visible for the lessons that inspect gradients.
``tests/test_torch_compat.py`` runs tests modelled on PyTorch's own against both.

Shapes use ``T`` = seq_len, ``B`` = batch, ``H`` = hidden_size, ``L`` = num_layers,
``D`` = 2 if bidirectional else 1.
"""

from __future__ import annotations

import torch

from rnnlab.layers import RecurrentLayers, reject_unknown

__all__ = ["RNN"]


class RNN(RecurrentLayers):
    """A multi-layer Elman RNN, written out step by step.

    For layer ``l`` and time step ``t``::

        h_t = act(x_t @ weight_ih_l{l}.T + bias_ih_l{l} + h_{t-1} @ weight_hh_l{l}.T + bias_hh_l{l})

    where ``act`` is tanh or relu and ``x_t`` is the input (layer 0) or the previous layer's
    output at t (both directions concatenated, after dropout in training mode). The reverse
    direction runs the same recursion from t = T-1 down to 0 with the ``_reverse`` parameters.
    Same arguments, parameter names, initialisation (uniform in ±1/sqrt(H)) and shapes as
    ``torch.nn.RNN``.

    Parameters, for each layer ``l`` (and ``..._reverse`` copies when bidirectional):

    * ``weight_ih_l{l}``: (H, input_size) for l = 0, (H, D·H) above;
    * ``weight_hh_l{l}``: (H, H);
    * ``bias_ih_l{l}``, ``bias_hh_l{l}``: (H,), only when ``bias=True``.

    After each ``forward``, ``hidden_states[l][t]`` is layer ``l``'s h_t (t = 0..T-1, the state
    *after* step t; h0 is not included), shape (B, H), or (H,) for unbatched input; with two
    directions the index is ``l * 2 + d``, as in h_n. They are the tensors the computation went
    through, so ``torch.autograd.grad(loss, model.hidden_states[-1])`` gives dL/dh_t for every
    t, all paths included. They are replaced by the next call.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None, dtype=None,
                 **kwargs):
        reject_unknown("RNN", kwargs)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: Unknown nonlinearity {nonlinearity!r}: expected 'tanh' or "
                             "'relu'")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional, 0,
                         device, dtype)

    def _repr_options(self) -> list[str]:
        return [f"nonlinearity={self.nonlinearity!r}"] if self.nonlinearity != "tanh" else []

    def _project(self, x, params):
        # The input-to-hidden part has no recurrence: one product for all time steps.
        w_ih, _, b_ih, _, _ = params
        from_input = x @ w_ih.T
        return from_input + b_ih if b_ih is not None else from_input

    def _step(self, from_input_t, state, params):
        _, w_hh, _, b_hh, _ = params
        pre = from_input_t + state[0] @ w_hh.T
        if b_hh is not None:
            pre = pre + b_hh
        h = torch.tanh(pre) if self.nonlinearity == "tanh" else torch.relu(pre)
        return (h,), None


# The gated layers live in rnnlab.gated (lessons 05 and 06); one import path for every model.
from rnnlab.gated import GRU, LSTM, FastLSTM  # noqa: E402

__all__ += ["LSTM", "GRU", "FastLSTM"]
