"""q021 · LSTM cell equations (numpy).

One time step of an LSTM cell for a batch of N sequences, in plain numpy.

Layout (CS231n style, PyTorch gate order i, f, g, o):
    x       (N, D)    input at this step
    prev_h  (N, H)    previous hidden state
    prev_c  (N, H)    previous cell state
    Wx      (D, 4H)   input-to-hidden weights   (= weight_ih.T of torch.nn.LSTMCell)
    Wh      (H, 4H)   hidden-to-hidden weights  (= weight_hh.T)
    b       (4H,)     bias                      (= bias_ih + bias_hh)

Equations:
    a      = x @ Wx + prev_h @ Wh + b                  (N, 4H), one fused affine map
    i      = sigmoid(a[:, 0:H])                        input gate
    f      = sigmoid(a[:, H:2H])                       forget gate
    g      = tanh(a[:, 2H:3H])                         candidate cell values
    o      = sigmoid(a[:, 3H:4H])                      output gate
    next_c = f * prev_c + i * g
    next_h = o * tanh(next_c)
"""

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic sigmoid 1 / (1 + exp(-x)), elementwise: write it first, then use it for the gates.

    Stable for any input: no overflow, invalid value or division by zero, even at x = +-1000
    (the textbook formula overflows in exp(-x) for x < -709). Keeps the dtype of x (float32 in,
    float32 out). The same function as q047's ``sigmoid``.
    """
    ### BEGIN SOLUTION
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))
    ### END SOLUTION


def lstm_step_forward(
    x: np.ndarray,
    prev_h: np.ndarray,
    prev_c: np.ndarray,
    Wx: np.ndarray,
    Wh: np.ndarray,
    b: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """One LSTM step: returns (next_h, next_c), both of shape (N, H).

    Follow the module docstring: one fused affine map, then slice the four gates in the order
    i, f, g, o. Do not modify the inputs. Must not overflow for large pre-activations
    (|a| around 1000): use your stable ``sigmoid`` and ``np.tanh``.
    """
    ### BEGIN SOLUTION
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    i = sigmoid(a[:, 0:H])
    f = sigmoid(a[:, H:2 * H])
    g = np.tanh(a[:, 2 * H:3 * H])
    o = sigmoid(a[:, 3 * H:4 * H])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    return next_h, next_c
    ### END SOLUTION
