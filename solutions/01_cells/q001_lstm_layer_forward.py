"""q001 · LSTM layer over a sequence (numpy).

Run one LSTM layer over a whole batch of sequences, in plain numpy: unroll the LSTM step of q021
over T time steps, carrying (h, c) from each step to the next.

Layout (batch first, CS231n weights, PyTorch gate order i, f, g, o):
    x     (N, T, D)   inputs: N sequences of T steps of D features (x[:, t] is step t)
    h0    (N, H)      initial hidden state
    c0    (N, H)      initial cell state
    Wx    (D, 4H)     input-to-hidden weights   (= weight_ih_l0.T of torch.nn.LSTM)
    Wh    (H, 4H)     hidden-to-hidden weights  (= weight_hh_l0.T)
    b     (4H,)       bias                      (= bias_ih_l0 + bias_hh_l0)

For t = 0, 1, ..., T-1, starting from h_{-1} = h0 and c_{-1} = c0:
    a_t = x[:, t] @ Wx + h_{t-1} @ Wh + b              (N, 4H)
    i_t = sigmoid(a_t[:, 0:H])        f_t = sigmoid(a_t[:, H:2H])
    g_t = tanh(a_t[:, 2H:3H])         o_t = sigmoid(a_t[:, 3H:4H])
    c_t = f_t * c_{t-1} + i_t * g_t
    h_t = o_t * tanh(c_t)

Returns (h_all, h_T, c_T):
    h_all (N, T, H)   every hidden state, h_all[:, t] = h_t (like nn.LSTM's output, batch_first)
    h_T   (N, H)      the last hidden state h_{T-1} (like h_n[0])
    c_T   (N, H)      the last cell state c_{T-1}   (like c_n[0])

Do not modify the inputs. Use your stable ``sigmoid`` and ``np.tanh`` (both stable); you may
write your own one-step helper inside ``lstm_forward`` or reuse your q021 code.
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


def lstm_forward(
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray,
    Wx: np.ndarray,
    Wh: np.ndarray,
    b: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run the LSTM over all T steps of x (N, T, D); return (h_all (N, T, H), h_T (N, H), c_T (N, H)).

    Follow the module docstring: x is batch first, so step t reads x[:, t]; the gates are the
    column blocks i, f, g, o of the fused pre-activation; both h and c carry over between steps.
    """
    ### BEGIN SOLUTION
    T = x.shape[1]
    H = h0.shape[1]
    h, c = h0, c0                                  # (N, H) each: the state carried over time
    hs = []
    for t in range(T):
        a = x[:, t, :] @ Wx + h @ Wh + b           # (N, 4H)
        i = sigmoid(a[:, 0:H])
        f = sigmoid(a[:, H:2 * H])
        g = np.tanh(a[:, 2 * H:3 * H])
        o = sigmoid(a[:, 3 * H:4 * H])
        c = f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
    h_all = np.stack(hs, axis=1)                   # (N, T, H)
    return h_all, h, c
    ### END SOLUTION
