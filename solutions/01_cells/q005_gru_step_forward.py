"""q005 · GRU cell and layer, PyTorch-exact (numpy).

One GRU step for a batch of N sequences, and a single-layer GRU unrolled over T steps, in plain
numpy, with exactly the equations, shapes and gate order of torch.nn.GRUCell / torch.nn.GRU.

Layout (PyTorch shapes, gate order r, z, n: rows 0:H are r, H:2H are z, 2H:3H are n):
    x       (N, D)    input at this step
    prev_h  (N, H)    previous hidden state
    W_ih    (3H, D)   input-to-hidden weights   (= weight_ih of torch.nn.GRUCell)
    W_hh    (3H, H)   hidden-to-hidden weights  (= weight_hh)
    b_ih    (3H,)     input bias                (= bias_ih)
    b_hh    (3H,)     hidden bias               (= bias_hh)
Note the weights are (3H, D), not (D, 3H): the affine maps are x @ W_ih.T and prev_h @ W_hh.T.

Equations (PyTorch's "reset-after" candidate; W_ir, b_ir, ... are the r/z/n row blocks):
    r      = sigmoid(x @ W_ir.T + b_ir + prev_h @ W_hr.T + b_hr)         reset gate
    z      = sigmoid(x @ W_iz.T + b_iz + prev_h @ W_hz.T + b_hz)         update gate
    n      = tanh(x @ W_in.T + b_in + r ⊙ (prev_h @ W_hn.T + b_hn))      candidate
    next_h = (1 − z) ⊙ n + z ⊙ prev_h
The reset gate multiplies the whole hidden part of the candidate, hidden bias b_hn included. z
is the weight of the OLD state: z = 1 keeps prev_h unchanged, z = 0 takes the candidate.

The layer, ``gru_forward``, is batch-first like ``torch.nn.GRU(batch_first=True)``:
    x       (N, T, D)  the input sequences
    h0      (N, H)     initial hidden state
    returns h_all (N, T, H), the hidden state after every step: h_all[:, t] is h_{t+1} (the state
    after reading x[:, t]), so h_all[:, -1] is the final state. This is the `output` of
    nn.GRU(batch_first=True) for a single layer; h0 itself is not included.
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


def gru_step_forward(
    x: np.ndarray,
    prev_h: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
) -> np.ndarray:
    """One GRU step: returns next_h of shape (N, H) (see the module docstring).

    Gate order r, z, n in the rows of W_ih, W_hh, b_ih and b_hh. Do not modify the inputs. Use
    your stable ``sigmoid`` and ``np.tanh``.
    """
    ### BEGIN SOLUTION
    H = prev_h.shape[1]
    gi = x @ W_ih.T + b_ih                           # (N, 3H): input parts of r, z, n
    gh = prev_h @ W_hh.T + b_hh                      # (N, 3H): hidden parts, biases included
    r = sigmoid(gi[:, 0:H] + gh[:, 0:H])
    z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
    n = np.tanh(gi[:, 2 * H:3 * H] + r * gh[:, 2 * H:3 * H])
    next_h = (1 - z) * n + z * prev_h
    return next_h
    ### END SOLUTION


def gru_forward(
    x: np.ndarray,
    h0: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
) -> np.ndarray:
    """Run the GRU over a batch-first sequence x (N, T, D) from h0 (N, H).

    Returns h_all (N, T, H): h_all[:, t] is the hidden state after step t (see the module
    docstring). Carry the hidden state from each step to the next. You may call your
    ``gru_step_forward``. Do not modify the inputs.
    """
    ### BEGIN SOLUTION
    N, T, _ = x.shape
    H = h0.shape[1]
    h_all = np.zeros((N, T, H), dtype=np.result_type(x, h0, W_ih))
    h = h0
    for t in range(T):
        h = gru_step_forward(x[:, t, :], h, W_ih, W_hh, b_ih, b_hh)   # (N, H)
        h_all[:, t, :] = h
    return h_all
    ### END SOLUTION
