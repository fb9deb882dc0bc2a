"""q048 · tanh candidates and LSTM state bounds (numpy).

tanh squashes the LSTM's candidate values g and its output tanh(c) into [-1, 1]; the sigmoid
gates live in [0, 1]. Together they bound every state of an LSTM, however large its weights:

    0 <= i_t, f_t, o_t <= 1        -1 <= g_t <= 1
    |h_t| <= o_t <= 1              (h_t = o_t * tanh(c_t) and |tanh| <= 1)
    |c_t| <= |c0| + (t + 1)        (c_t = f_t * c_{t-1} + i_t * g_t grows by at most 1 per step)

elementwise, for the steps t = 0, 1, ..., T-1 of the equations below (c0 is the initial cell
state, so after k steps |c| <= |c0| + k). With large weights the gates saturate: they sit at
(almost exactly) 0 or 1 and g at -1 or 1, where their gradients vanish. This exercise measures
that.

1. tanh_via_sigmoid(x) = 2 * sigmoid(2x) - 1, using your stable ``sigmoid``.
   Same shape and dtype as x (float32 in, float32 out). Within 1e-15 (absolute) of np.tanh in
   float64; no overflow, invalid value or division by zero at x = +-1e4 (the grader runs it under
   ``np.errstate(over="raise", invalid="raise", divide="raise")``; underflow is fine).

2. lstm_forward_trace(x, h0, c0, Wx, Wh, b): run one LSTM layer (batch first, as in q001) and
   record every gate and state of every step. Shapes and equations:
       x (N, T, D), h0 (N, H), c0 (N, H), Wx (D, 4H), Wh (H, 4H), b (4H,); gate order i, f, g, o
       a_t = x[:, t] @ Wx + h_{t-1} @ Wh + b                         (h_{-1} = h0, c_{-1} = c0)
       i_t = sigmoid(a_t[:, 0:H])   f_t = sigmoid(a_t[:, H:2H])
       g_t = tanh(a_t[:, 2H:3H])    o_t = sigmoid(a_t[:, 3H:4H])
       c_t = f_t * c_{t-1} + i_t * g_t      h_t = o_t * tanh(c_t)
   Returns a dict with exactly the keys "i", "f", "g", "o", "c", "h", each of shape (N, T, H):
   trace["i"][:, t] = i_t, ..., trace["c"][:, t] = c_t, trace["h"][:, t] = h_t (the states AFTER
   step t). Use ``sigmoid`` for the gates and np.tanh (or your tanh_via_sigmoid) for tanh.

3. saturation_fractions(trace, threshold=0.99): the fraction of saturated entries of each gate.
   ``trace`` holds (at least) the keys "i", "f", "g", "o" (arrays of any one shape, such as the
   output of lstm_forward_trace; other keys are ignored). With 0.5 < threshold < 1:
       "g":            an entry is saturated if |g| > threshold
       "i", "f", "o":  an entry is saturated if gate > threshold or gate < 1 - threshold
   (strict inequalities: an entry equal to threshold is not saturated). Each fraction is
   (number of saturated entries) / (number of entries), over all N * T * H entries of that
   gate. Returns {"i": float, "f": float, "g": float, "o": float}.

Do not modify the inputs.
"""

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic sigmoid 1 / (1 + exp(-x)), elementwise: write it first (the stable form of q047).

    Stable for any input: no overflow, invalid value or division by zero, even at x = +-1000
    (the textbook formula overflows in exp(-x) for x < -709). Keeps the dtype of x (float32 in,
    float32 out). The same function as q047's ``sigmoid``.
    """
    ### BEGIN SOLUTION
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))
    ### END SOLUTION


def tanh_via_sigmoid(x: np.ndarray) -> np.ndarray:
    """tanh(x) computed as 2 * sigmoid(2x) - 1, elementwise; same shape and dtype as x."""
    ### BEGIN SOLUTION
    return 2 * sigmoid(2 * x) - 1
    ### END SOLUTION


def lstm_forward_trace(
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray,
    Wx: np.ndarray,
    Wh: np.ndarray,
    b: np.ndarray,
) -> dict[str, np.ndarray]:
    """Unroll the LSTM over x (N, T, D); return {"i", "f", "g", "o", "c", "h"}, each (N, T, H)."""
    ### BEGIN SOLUTION
    T = x.shape[1]
    H = h0.shape[1]
    h, c = h0, c0                                  # (N, H) each: the state before step t
    steps: dict[str, list[np.ndarray]] = {name: [] for name in ("i", "f", "g", "o", "c", "h")}
    for t in range(T):
        a = x[:, t, :] @ Wx + h @ Wh + b           # (N, 4H)
        i = sigmoid(a[:, 0:H])
        f = sigmoid(a[:, H:2 * H])
        g = np.tanh(a[:, 2 * H:3 * H])
        o = sigmoid(a[:, 3 * H:4 * H])
        c_new = f * c + i * g
        h_new = o * np.tanh(c_new)
        record = {"i": i, "f": f, "g": g, "o": o, "c": c_new, "h": h_new}
        for name, value in record.items():
            steps[name].append(value)
        h, c = h_new, c_new
    return {name: np.stack(values, axis=1) for name, values in steps.items()}  # each (N, T, H)
    ### END SOLUTION


def saturation_fractions(trace: dict[str, np.ndarray], threshold: float = 0.99) -> dict[str, float]:
    """Fraction of saturated entries of each gate of a trace (see the module docstring)."""
    ### BEGIN SOLUTION
    fractions = {"g": float(np.mean(np.abs(trace["g"]) > threshold))}
    for name in ("i", "f", "o"):
        gate = trace[name]
        saturated = (gate > threshold) | (gate < 1 - threshold)
        fractions[name] = float(np.mean(saturated))
    return fractions
    ### END SOLUTION
