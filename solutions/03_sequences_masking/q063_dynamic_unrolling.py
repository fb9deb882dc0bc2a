"""q063 · Dynamic unrolling with a shrinking batch (torch).

A padded batch wastes work: unrolled statically, every sequence runs for all T steps, padding
included. Dynamic unrolling runs each sequence only for its own length. Sort the batch by length,
longest first; then at step t the sequences still running are a PREFIX of the sorted batch, and
the cell only needs to see that prefix. The number of rows at step t is the t-th entry of the
``batch_sizes`` of a PackedSequence (torch.nn.utils.rnn.pack_padded_sequence), and the loop
stops after max(lengths) steps, not T.

Shapes (B = batch, T = padded length, D = input size, H = cell.hidden_size):
    cell      a torch.nn.LSTMCell(D, H): call it as cell(x_t, (h, c)) -> (h_new, c_new), with
              x_t (b_t, D) and h, c (b_t, H) for the b_t sequences still running. Call the cell
              itself (not cell.forward, not torch.lstm_cell with its weights): the grader counts
              the calls and the rows the cell sees.
    x         (B, T, D)  inputs, batch first. Positions t >= lengths[b] are padding and hold
              garbage (finite): they must never reach the cell.
    lengths   (B,) int64, 1 <= lengths[b] <= T, in ANY order (not sorted; ties allowed).

dynamic_lstm(cell, x, lengths), with zero initial states:
    1. order = the indices sorting lengths in descending order (a stable sort keeps ties in
       batch order; any order of ties gives the same results); permute x (and lengths) by it.
    2. for t = 0 .. max(lengths) - 1:  b_t = number of sequences with lengths > t
           (h_new, c_new) = cell(x_sorted[:b_t, t], (h[:b_t], c[:b_t]))
       exactly one cell call per step, on exactly b_t rows (so sum_t b_t = sum(lengths) rows
       over max(lengths) calls). A sequence that stops keeps the state of its last real step.
       Build the new state from h_new and the rows that stopped (torch.cat, or a fresh tensor
       per step): writing h_new into h[:b_t] in place breaks autograd, and gradients through
       the results are graded.
    3. undo the sort, so that row b of every result belongs to sequence b of the input.
Returns (outputs, (h_n, c_n)):
    outputs   (B, T, H)  outputs[b, t] = h_t of sequence b for t < lengths[b], exactly 0 after
    h_n, c_n  (B, H)     the state of sequence b after its last real step (t = lengths[b] - 1)
all in x's dtype. This equals torch.nn.LSTM(D, H, batch_first=True) (with the cell's weights)
run on pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False) and unpacked to
length T; h_n, c_n are its h_n[0], c_n[0].

Forbidden (the point is to build the shrinking batch yourself): torch.nn.LSTM and the packing
functions (pack_padded_sequence, pad_packed_sequence). Do not modify x or lengths in place.
"""

import torch
from torch import nn


def dynamic_lstm(cell: nn.LSTMCell, x: torch.Tensor,
                 lengths: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
    """Run ``cell`` over each sequence of x (B, T, D) for exactly its length (module docstring).

    Returns (outputs (B, T, H), (h_n (B, H), c_n (B, H))) in the input's batch order.
    """
    ### BEGIN SOLUTION
    B, T, _ = x.shape
    H = cell.hidden_size
    order = torch.sort(lengths, descending=True, stable=True).indices   # longest first
    inverse = torch.argsort(order)                                      # undoes the sort
    sorted_len = lengths[order]
    xs = x[order]                                                       # (B, T, D), sorted
    steps = int(sorted_len[0])                                          # max(lengths), not T
    h, c = x.new_zeros(B, H), x.new_zeros(B, H)
    outs, last_h, last_c = [], [], []
    for t in range(steps):
        bs = int((sorted_len > t).sum())                # batch_sizes[t]: sequences still running
        h, c = cell(xs[:bs, t], (h[:bs], c[:bs]))       # the active prefix only
        outs.append(torch.cat([h, h.new_zeros(B - bs, H)]))             # (B, H), 0 for finished rows
        running = int((sorted_len > t + 1).sum())
        last_h.append(h[running:])                      # rows whose last step is t
        last_c.append(c[running:])
    out = torch.stack(outs, dim=1)                                      # (B, steps, H)
    out = torch.cat([out, out.new_zeros(B, T - steps, H)], dim=1)       # (B, T, H)
    h_n = torch.cat(last_h[::-1])                       # the last step's rows come first when sorted
    c_n = torch.cat(last_c[::-1])
    return out[inverse], (h_n[inverse], c_n[inverse])
    ### END SOLUTION
