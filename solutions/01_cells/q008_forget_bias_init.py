"""q008 · Forget-gate bias: +1 and chrono initialisation (torch).

The forget gate decides how much of the old cell state survives a step:
c_t = f_t * c_{t-1} + i_t * g_t with f_t = sigmoid(a_f). torch initialises every bias near 0,
so f_t starts near 0.5 and the memory halves at every step. Two fixes, written here IN PLACE on
a torch.nn.LSTM (under torch.no_grad(), keeping every parameter a leaf nn.Parameter):

Layout of nn.LSTM biases (PyTorch gate order i, f, g, o), for each layer k and direction:
    bias_ih_l{k}[_reverse]   (4H,)   blocks [0:H] = i, [H:2H] = f, [2H:3H] = g, [3H:4H] = o
    bias_hh_l{k}[_reverse]   (4H,)   same blocks; the gate sees the SUM bias_ih + bias_hh

Visit every layer and direction in the order of lstm._flat_weights_names: layer 0, layer 0
reverse (when bidirectional), layer 1, layer 1 reverse, ... H = lstm.hidden_size. You may assume
lstm was built with bias=True and proj_size=0.

init_forget_bias_(lstm, value=1.0)   (Gers et al. 2000; Jozefowicz et al. 2015)
    bias_ih[H:2H] = value        bias_hh[H:2H] = 0      so the effective forget bias is value
    Every other entry (i, g, o blocks, all weights) stays exactly as it was.

chrono_init_(lstm, t_max, generator)   (Tallec & Ollivier 2018, "Can RNNs warp time?")
    For each layer/direction, in the order above, ONE draw from the generator:
        u   = torch.empty(H, dtype=<dtype of that bias>).uniform_(1, t_max - 1, generator=generator)
        b_f = log(u)                                     (H,), values in [0, log(t_max - 1)]
    then
        bias_ih[H:2H] = b_f          bias_ih[0:H] = -b_f
        bias_hh[0:H]  = 0            bias_hh[H:2H] = 0
    The g and o blocks of both biases, and all weights, stay exactly as they were.

Both functions return None.
"""

import torch
from torch import nn


def init_forget_bias_(lstm: nn.LSTM, value: float = 1.0) -> None:
    """Set the effective forget-gate bias of every layer and direction of ``lstm`` to ``value``.

    In place, under ``torch.no_grad()``: write ``value`` into ``bias_ih[H:2H]`` and 0 into
    ``bias_hh[H:2H]``; touch nothing else. Returns None.
    """
    ### BEGIN SOLUTION
    H = lstm.hidden_size  # gate block size
    with torch.no_grad():  # in-place edits of leaf Parameters, not recorded by autograd
        for name in lstm._flat_weights_names:  # weight_ih_l0, weight_hh_l0, bias_ih_l0, ...
            if name.startswith("bias_ih"):
                getattr(lstm, name)[H:2 * H].fill_(value)
            elif name.startswith("bias_hh"):
                getattr(lstm, name)[H:2 * H].zero_()
    return None
    ### END SOLUTION


def chrono_init_(lstm: nn.LSTM, t_max: int, generator: torch.Generator) -> None:
    """Chrono initialisation of every layer and direction of ``lstm`` (see the module docstring).

    In place, under ``torch.no_grad()``; exactly one ``uniform_`` draw of H values per layer and
    direction, in the order of ``lstm._flat_weights_names``. Returns None.
    """
    ### BEGIN SOLUTION
    H = lstm.hidden_size
    # layer 0, layer 0 reverse, layer 1, ...: the order of the draws
    bias_names = [n for n in lstm._flat_weights_names if n.startswith("bias_ih")]
    with torch.no_grad():
        for name in bias_names:
            bias_ih = getattr(lstm, name)                                  # (4H,)
            bias_hh = getattr(lstm, name.replace("bias_ih", "bias_hh"))    # (4H,)
            u = torch.empty(H, dtype=bias_ih.dtype).uniform_(1, t_max - 1, generator=generator)
            b_f = torch.log(u)                                             # (H,)
            bias_ih[H:2 * H].copy_(b_f)
            bias_ih[0:H].copy_(-b_f)
            bias_hh[0:2 * H].zero_()
    return None
    ### END SOLUTION
