"""q002 · Vanilla RNN: backpropagation through time, and why its gradients vanish or explode (numpy).

A tanh RNN over a whole sequence, its full backward pass (BPTT) written by hand in plain numpy,
and the diagnosis of the problem LSTMs were invented for: the norm of dh_t/dh_0 shrinks or grows
geometrically with t, like the powers of the recurrent matrix.

Layout (batch first, CS231n weights):
    x     (N, T, D)   inputs: N sequences of T steps of D features (x[:, t] is step t)
    h0    (N, H)      initial hidden state
    Wx    (D, H)      input-to-hidden weights   (= weight_ih_l0.T of torch.nn.RNN)
    Wh    (H, H)      hidden-to-hidden weights  (= weight_hh_l0.T)
    b     (H,)        bias                      (= bias_ih_l0 + bias_hh_l0)

Forward, for t = 0, 1, ..., T-1, starting from h_{-1} = h0:
    a_t = x[:, t] @ Wx + h_{t-1} @ Wh + b        (N, H)
    h_t = tanh(a_t)                              (N, H)
``rnn_forward`` returns (h, cache) with h (N, T, H), h[:, t] = h_t (torch.nn.RNN's output with
nonlinearity="tanh", batch_first=True).

Backward (BPTT): ``dh`` (N, T, H) is the upstream gradient dL/dh_t of a scalar loss L with
respect to EVERY hidden state (the loss may read all of them, not only the last). Walk t from
T-1 down to 0 carrying dnext = dL/dh_t through the recurrence:
    dh_total_t = dh[:, t] + (gradient arriving from step t+1; 0 at t = T-1)
    da_t       = dh_total_t * (1 - h_t**2)               tanh'(a) = 1 - tanh(a)**2
    dx[:, t]   = da_t @ Wx.T
    gradient sent to step t-1 (or to h0) = da_t @ Wh.T
    dWx += x[:, t].T @ da_t,   dWh += h_{t-1}.T @ da_t,   db += da_t.sum(axis=0)
The weights are shared by every step, so their gradients are SUMS over all T steps.
``rnn_backward`` returns (dx, dh0, dWx, dWh, db) with shapes (N, T, D), (N, H), (D, H), (H, H),
(H,).

The cache: a tuple of numpy arrays only (no ints, floats, dicts or objects); you choose what goes
in it. The grader passes the cache returned by YOUR ``rnn_forward`` back into YOUR
``rnn_backward``, as a training loop would, so ``rnn_backward`` must get everything it needs from
its arguments (no global state) and must not modify the cache or ``dh``. Do not modify the inputs
of ``rnn_forward`` either.

Diagnosis: with x = 0 and b = 0, h = 0 is a fixed point (h_t = tanh(h_{t-1} @ Wh) = 0). Around
it tanh'(0) = 1, so one step maps a small change dh_{t-1} (a row vector) to dh_{t-1} @ Wh: the
Jacobian dh_t/dh_{t-1} (as a matrix acting on column vectors) is Wh.T, and
    dh_t/dh_0 = (Wh.T)^t,        t = 1, 2, ..., T.
``hidden_jacobian_norms(Wh, T)`` returns the spectral norms (largest singular value, the matrix
2-norm) of these T matrices, as a float64 array of shape (T,): entry t-1 is ||(Wh.T)^t||_2.
Wh = 0.5 I gives 0.5^t (vanishing), Wh = 1.5 I gives 1.5^t (exploding), an orthogonal Wh gives
ones. Note ||A^t||_2 is NOT ||A||_2^t in general (only for normal matrices): compute the norm of
each power. numpy only: this exercise may not import torch.
"""

import numpy as np


def rnn_forward(
    x: np.ndarray,
    h0: np.ndarray,
    Wx: np.ndarray,
    Wh: np.ndarray,
    b: np.ndarray,
) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """Run the tanh RNN over the sequence: returns (h, cache), h of shape (N, T, H).

    x (N, T, D), h0 (N, H), Wx (D, H), Wh (H, H), b (H,); equations in the module docstring.
    ``cache`` is a tuple of numpy arrays holding whatever ``rnn_backward`` needs.
    """
    ### BEGIN SOLUTION
    N, T, _ = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H), dtype=np.result_type(x, h0, Wx, Wh, b))
    prev = h0
    for t in range(T):
        prev = np.tanh(x[:, t] @ Wx + prev @ Wh + b)   # (N, H)
        h[:, t] = prev
    cache = (x, h0, Wx, Wh, h)
    return h, cache
    ### END SOLUTION


def rnn_backward(
    dh: np.ndarray,
    cache: tuple[np.ndarray, ...],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Full BPTT: returns (dx, dh0, dWx, dWh, db) for the upstream gradient dh (N, T, H).

    Shapes: dx (N, T, D), dh0 (N, H), dWx (D, H), dWh (H, H), db (H,). ``dh[:, t]`` is the
    gradient of the loss on h_t; the gradient that h_t receives through h_{t+1} must be added to it.
    """
    ### BEGIN SOLUTION
    x, h0, Wx, Wh, h = cache
    N, T, _ = x.shape
    dx = np.zeros_like(x)
    dWx, dWh = np.zeros_like(Wx), np.zeros_like(Wh)
    db = np.zeros(Wh.shape[1], dtype=dWh.dtype)
    dnext = np.zeros_like(h0)                           # dL/dh_t arriving from step t+1
    for t in reversed(range(T)):
        da = (dh[:, t] + dnext) * (1 - h[:, t] ** 2)    # (N, H)
        prev = h[:, t - 1] if t > 0 else h0
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += prev.T @ da
        db += da.sum(axis=0)
        dnext = da @ Wh.T
    return dx, dnext, dWx, dWh, db
    ### END SOLUTION


def hidden_jacobian_norms(Wh: np.ndarray, T: int) -> np.ndarray:
    """Spectral norms ||dh_t/dh_0||_2 = ||(Wh.T)^t||_2 for t = 1..T at the h = 0 fixed point.

    Wh (H, H), T >= 1. Returns a float64 array of shape (T,); entry t-1 belongs to step t.
    """
    ### BEGIN SOLUTION
    J = np.eye(Wh.shape[0])
    norms = np.zeros(T)
    for t in range(T):
        J = Wh.T @ J                                    # (Wh.T)^(t+1)
        norms[t] = np.linalg.norm(J, 2)
    return norms
    ### END SOLUTION
