"""q003 · Gate slicing and cross-framework LSTM weight layouts (numpy).

An LSTM stores its four gate blocks stacked along one axis of size 4H: the input gate i, the
forget gate f, the candidate g and the output gate o. Frameworks agree on the blocks but not on
their order, so moving weights between them is a permutation of blocks of H rows (or columns).

Gate orders are written as a string of four lowercase letters, a permutation of "ifgo":
    "ifgo"   PyTorch (nn.LSTM, nn.LSTMCell), cuDNN, Keras
    "ifog"   CS231n, Karpathy's lstm.py
    "igfo"   TensorFlow 1 (tf.nn.rnn_cell.LSTMCell calls its gates i, j, f, o; j is our g)
    "iofg"   ONNX (its LSTM operator calls its gates i, o, f, c; c is our g)
Only the 24 permutations of "ifgo" are valid orders. Framework names ("pytorch", "onnx") and
other letters ("ijfo", "iofc") are documentation, not orders; case matters ("IFGO" is invalid).
Anything else raises ValueError.

Layouts that hold the 4H axis:
    weight (4H, D) or (4H, H)   with axis=0   (PyTorch weight_ih, weight_hh; ONNX W and R per direction)
    weight (D, 4H) or (H, 4H)   with axis=1   (CS231n Wx, Wh; Keras and TF1 kernels)
    bias   (4H,)                with axis=0
Any array with W.shape[axis] divisible by 4 works; negative axes count from the end as in numpy.

Example with H = 1 and order "ifgo": W = [[i], [f], [g], [o]] (shape (4, 1)).
    split_gates(W, "ifgo")["g"]            -> [[g]]            shape (1, 1)
    convert_lstm_weights(W, "ifgo", "ifog") -> [[i], [f], [o], [g]]

Results are new arrays: never views of W, and W itself is never modified. The dtype is kept.
"""

import numpy as np

GATES = "ifgo"


def split_gates(W: np.ndarray, order: str, axis: int = 0) -> dict[str, np.ndarray]:
    """Split W into its four gate blocks along ``axis``, stacked in ``order``.

    Returns a dict with exactly the keys "i", "f", "g", "o". Each value is a new array with the
    shape of W except along ``axis``, where it has H = W.shape[axis] // 4 entries: the block at
    position k of ``order`` is W's slice [k*H:(k+1)*H] along ``axis``.

    Raises ValueError if ``order`` is not a permutation of "ifgo", or if W.shape[axis] is not a
    multiple of 4.
    """
    ### BEGIN SOLUTION
    if not isinstance(order, str) or len(order) != 4 or sorted(order) != sorted(GATES):
        raise ValueError(f"order must be a permutation of {GATES!r}, got {order!r}")
    size = W.shape[axis]
    if size % 4 != 0:
        raise ValueError(f"W.shape[{axis}] = {size} is not a multiple of 4")
    H = size // 4
    blocks = {}
    for k, gate in enumerate(order):
        # np.take copies: the block never shares memory with W
        blocks[gate] = np.take(W, np.arange(k * H, (k + 1) * H), axis=axis)
    return blocks
    ### END SOLUTION


def convert_lstm_weights(W: np.ndarray, src: str, dst: str, axis: int = 0) -> np.ndarray:
    """Reorder the gate blocks of W from the order ``src`` to the order ``dst`` along ``axis``.

    The result has W's shape and dtype; its block at position k along ``axis`` is the block of
    gate dst[k] in W. Converting back (dst to src) gives W again, exactly.

    Raises ValueError if ``src`` or ``dst`` is not a permutation of "ifgo", or if W.shape[axis]
    is not a multiple of 4.
    """
    ### BEGIN SOLUTION
    blocks = split_gates(W, src, axis)
    if not isinstance(dst, str) or len(dst) != 4 or sorted(dst) != sorted(GATES):
        raise ValueError(f"dst must be a permutation of {GATES!r}, got {dst!r}")
    return np.concatenate([blocks[gate] for gate in dst], axis=axis)
    ### END SOLUTION
