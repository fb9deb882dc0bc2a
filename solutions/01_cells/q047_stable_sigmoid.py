"""q047 · Sigmoid as a gate: stable, bounded, differentiable (numpy).

Every LSTM/GRU gate is a sigmoid: it squashes a pre-activation into [0, 1], a proportion of
information to let through. Write the three gate functions a numpy LSTM needs.

    sigmoid(x)                  = 1 / (1 + exp(-x))
    sigmoid_grad_from_output(s) = s * (1 - s)          where s = sigmoid(x): the derivative
                                                       d sigmoid / dx, computed from the OUTPUT
                                                       (the backward pass caches s, not x)
    hard_sigmoid(x)             = clip(0.2 * x + 0.5, 0, 1)    piecewise-linear approximation

All three work elementwise on arrays of any shape, return an array of the same shape and keep
the floating dtype of the input (float32 in, float32 out; float64 in, float64 out).

Requirements for ``sigmoid``:
    * Stable: no overflow, invalid value or division by zero anywhere, even at x = +-1e4 (the
      grader runs it under ``np.errstate(over="raise", invalid="raise", divide="raise")``;
      underflow to 0 or to a subnormal is fine). The textbook 1 / (1 + exp(-x)) overflows in
      exp(-x) for x < -709. Note that ``np.where(cond, A, B)`` evaluates BOTH A and B on every
      element before choosing.
    * Accurate: in float64, within 1e-15 relative (a few rounding steps) of the exact value,
      also for very negative x where sigmoid(x) is tiny but not 0, e.g. sigmoid(-30) = 9.36e-14.
    * Bounded: every output lies in [0, 1].
"""

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Numerically stable logistic sigmoid 1 / (1 + exp(-x)), elementwise; same shape and dtype as x."""
    ### BEGIN SOLUTION
    z = np.exp(-np.abs(x))                         # in (0, 1]: cannot overflow
    # x >= 0: 1 / (1 + exp(-x));  x < 0: exp(x) / (1 + exp(x)), both written with z.
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))
    ### END SOLUTION


def sigmoid_grad_from_output(s: np.ndarray) -> np.ndarray:
    """The derivative of the sigmoid, given its output s = sigmoid(x) (not x); same shape and dtype as s."""
    ### BEGIN SOLUTION
    return s * (1 - s)
    ### END SOLUTION


def hard_sigmoid(x: np.ndarray) -> np.ndarray:
    """clip(0.2 * x + 0.5, 0, 1), elementwise; same shape and dtype as x."""
    ### BEGIN SOLUTION
    return np.clip(0.2 * x + 0.5, 0, 1)
    ### END SOLUTION
