"""q004 · Cell-state gradient path: LSTM step backward (numpy).

The forward pass of one LSTM step that also keeps what its backward pass needs, and that
backward pass, written by hand in plain numpy (no autograd).

Layout (CS231n style, PyTorch gate order i, f, g, o), the same as q021:
    x       (N, D)    input at this step
    prev_h  (N, H)    previous hidden state
    prev_c  (N, H)    previous cell state
    Wx      (D, 4H)   input-to-hidden weights   (= weight_ih.T of torch.nn.LSTMCell)
    Wh      (H, 4H)   hidden-to-hidden weights  (= weight_hh.T)
    b       (4H,)     bias                      (= bias_ih + bias_hh)

Forward equations:
    a      = x @ Wx + prev_h @ Wh + b                  (N, 4H)
    i      = sigmoid(a[:, 0:H])       f = sigmoid(a[:, H:2H])
    g      = tanh(a[:, 2H:3H])        o = sigmoid(a[:, 3H:4H])
    next_c = f ⊙ prev_c + i ⊙ g
    next_h = o ⊙ tanh(next_c)

Backward: given the upstream gradients dnext_h = dL/dnext_h and dnext_c = dL/dnext_c (both
(N, H)), return the gradients of the same scalar loss L with respect to every input:
    dx (N, D), dprev_h (N, H), dprev_c (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,).
next_c reaches L by two paths: directly (dnext_c) and through next_h = o ⊙ tanh(next_c). The
total gradient on next_c is the sum of both, and it flows to prev_c through the forget gate:
    dL/dprev_c = (dnext_c + dnext_h ⊙ o ⊙ (1 − tanh²(next_c))) ⊙ f
This is the "constant error carousel": with dnext_h = 0 the cell-state gradient is only scaled
by f, with no squashing nonlinearity in the way. Useful derivatives: sigmoid'(a) = s ⊙ (1 − s)
where s = sigmoid(a), and tanh'(a) = 1 − tanh²(a).

The cache: ``lstm_step_forward_cache`` returns ``(next_h, next_c, cache)``, where ``cache`` is a
tuple of numpy arrays (only numpy arrays: no ints, floats, dicts or objects). You choose what goes
in it (the inputs, the gates, tanh(next_c), ...): the grader never looks inside. It passes the
cache returned by YOUR ``lstm_step_forward_cache`` back into YOUR ``lstm_step_backward``, exactly
as a training loop would, and compares the gradients with numerical gradients and with torch
autograd. So ``lstm_step_backward`` must get everything it needs from its arguments (no global
state), and must not modify the cache or the upstream gradients.
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


def lstm_step_forward_cache(
    x: np.ndarray,
    prev_h: np.ndarray,
    prev_c: np.ndarray,
    Wx: np.ndarray,
    Wh: np.ndarray,
    b: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """One LSTM step: returns (next_h, next_c, cache); next_h and next_c have shape (N, H).

    Same equations as q021's lstm_step_forward (see the module docstring). ``cache`` is a tuple
    of numpy arrays holding whatever ``lstm_step_backward`` needs. Do not modify the inputs.
    """
    ### BEGIN SOLUTION
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b                     # (N, 4H)
    i = sigmoid(a[:, 0:H])
    f = sigmoid(a[:, H:2 * H])
    g = np.tanh(a[:, 2 * H:3 * H])
    o = sigmoid(a[:, 3 * H:4 * H])
    next_c = f * prev_c + i * g                      # (N, H)
    tanh_c = np.tanh(next_c)
    next_h = o * tanh_c                              # (N, H)
    cache = (x, prev_h, prev_c, Wx, Wh, i, f, g, o, tanh_c)
    return next_h, next_c, cache
    ### END SOLUTION


def lstm_step_backward(
    dnext_h: np.ndarray,
    dnext_c: np.ndarray,
    cache: tuple[np.ndarray, ...],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of one LSTM step: returns (dx, dprev_h, dprev_c, dWx, dWh, db).

    dnext_h, dnext_c: (N, H) upstream gradients. cache: what lstm_step_forward_cache returned.
    Shapes of the results: dx (N, D), dprev_h (N, H), dprev_c (N, H), dWx (D, 4H), dWh (H, 4H),
    db (4H,). Remember both paths into next_c (see the module docstring).
    """
    ### BEGIN SOLUTION
    x, prev_h, prev_c, Wx, Wh, i, f, g, o, tanh_c = cache

    # Total gradient on next_c: the direct path plus the path through next_h = o * tanh(next_c).
    dc = dnext_c + dnext_h * o * (1 - tanh_c ** 2)   # (N, H)
    do = dnext_h * tanh_c
    di = dc * g
    df = dc * prev_c
    dg = dc * i
    dprev_c = dc * f

    # Back through the nonlinearities to the pre-activations a (N, 4H), gate order i, f, g, o.
    da = np.concatenate([
        di * i * (1 - i),       # sigmoid'
        df * f * (1 - f),       # sigmoid'
        dg * (1 - g ** 2),      # tanh'
        do * o * (1 - o),       # sigmoid'
    ], axis=1)

    # Back through a = x @ Wx + prev_h @ Wh + b.
    dx = da @ Wx.T                                   # (N, D)
    dprev_h = da @ Wh.T                              # (N, H)
    dWx = x.T @ da                                   # (D, 4H)
    dWh = prev_h.T @ da                              # (H, 4H)
    db = da.sum(axis=0)                              # (4H,)
    return dx, dprev_h, dprev_c, dWx, dWh, db
    ### END SOLUTION
