"""q062 · Hierarchical softmax with a Huffman tree (python + torch).

A full softmax over V words costs O(V) per token. Hierarchical softmax puts the words at the
leaves of a binary tree with V - 1 internal nodes, each holding a vector. p(w | h) is the
product of the binary decisions (a sigmoid each) on the path from the root down to w's leaf,
so it costs O(depth). A Huffman tree built from word frequencies makes frequent words shallow
(short codes), so the expected cost is at most entropy + 1 decisions. The V leaf probabilities
sum to 1 by construction, because sigma(s) + sigma(-s) = 1 at every node.

build_huffman(freqs) -> (paths, codes), freqs a list of V >= 2 positive ints (word w has
frequency freqs[w]). Build the tree with a min-heap, exactly like this:
    every node has a CREATION ID: leaf w has id w (0 .. V-1); the k-th internal node created
    (k = 0, 1, ..., V-2) has id V + k. The heap is ordered by (frequency, creation id), so ties
    in frequency go to the node with the smaller id (leaves before internal nodes, older before
    newer).
    repeat V - 1 times: pop x (smallest), then pop y (next smallest); create internal node k
    with frequency freq(x) + freq(y), children x (bit 0) and y (bit 1); push it.
    The last internal node created, k = V - 2, is the root.
Internal nodes are numbered by k (0 .. V-2): that number is the row of node_vecs they use.
    paths[w]  the internal nodes (their k) from the ROOT down to w's parent, in that order
    codes[w]  the bit taken at each of those nodes: 0 = went to the first-popped child x,
              1 = went to y; len(codes[w]) == len(paths[w]) == the depth of w (its code length)
Both are lists of V lists of Python ints. Example, freqs = [45, 13, 12, 16, 9, 5] (CLRS):
code lengths [1, 3, 3, 3, 4, 4]. The merges are k = 0: (5, 9), k = 1: (12, 13), k = 2: (14, 16),
k = 3: (25, 30), k = 4: (45, 55) (the root), so word 0 has path [4] and code [0] (45 is popped
before 55), and word 5 (frequency 5) has path [4, 3, 2, 0] and code [1, 1, 0, 0].

hs_log_prob(h, node_vecs, path, code) -> log p(w | h) for the word with that path and code:
    log p(w | h) = sum_j log sigma( (1 - 2 * code[j]) * <node_vecs[path[j]], h> )
    h          (*, H)  one context vector (H,) or a batch of them (B, H)
    node_vecs  (V - 1, H)  one vector per internal node, row k for internal node k
    path, code  lists of ints as build_huffman returns them (any valid path of the tree)
    returns     (*)   a tensor of h's dtype: a 0-d tensor for h (H,), shape (B,) for h (B, H)
So bit 0 has probability sigma(+score) and bit 1 sigma(-score). Requirements:
    - O(depth): read only the rows path[j] of node_vecs. Rows that are not on the path may hold
      anything, even NaN, and must not change the result (do not multiply the whole matrix by a
      0/1 mask: 0 * NaN is NaN).
    - stable: log sigma(s) must stay finite and right for scores of +-1000 (torch.log(
      torch.sigmoid(s)) gives -inf at s = -1000; torch.nn.functional.logsigmoid does not).
    - differentiable: the result carries autograd gradients with respect to h and node_vecs
      (stay in torch: no .item(), float() or numpy on the way).
Do not modify the arguments in place.
"""

import heapq

import torch
import torch.nn.functional as F


def build_huffman(freqs: list[int]) -> tuple[list[list[int]], list[list[int]]]:
    """Huffman tree of V words -> (paths, codes): per word, root-to-parent internal nodes and bits."""
    ### BEGIN SOLUTION
    V = len(freqs)
    heap = [(f, w) for w, f in enumerate(freqs)]                 # (frequency, creation id)
    heapq.heapify(heap)
    parent: dict[int, tuple[int, int]] = {}                      # creation id -> (internal k, bit)
    for k in range(V - 1):
        fx, x = heapq.heappop(heap)
        fy, y = heapq.heappop(heap)
        parent[x], parent[y] = (k, 0), (k, 1)
        heapq.heappush(heap, (fx + fy, V + k))
    paths, codes = [], []
    for w in range(V):
        path, code = [], []
        node = w
        while node in parent:                                    # walk up to the root
            k, bit = parent[node]
            path.append(k)
            code.append(bit)
            node = V + k
        paths.append(path[::-1])                                 # root first
        codes.append(code[::-1])
    return paths, codes
    ### END SOLUTION


def hs_log_prob(h: torch.Tensor, node_vecs: torch.Tensor, path: list[int], code: list[int]) -> torch.Tensor:
    """log p(w | h) = sum_j log sigma((1 - 2 code_j) <node_vecs[path_j], h>); h (*, H) -> (*)."""
    ### BEGIN SOLUTION
    rows = node_vecs[torch.tensor(path, dtype=torch.long)]      # (depth, H): only the path
    signs = 1.0 - 2.0 * torch.tensor(code, dtype=h.dtype)         # (depth,) +1 for bit 0, -1 for 1
    scores = h @ rows.T                                           # (*, depth)
    return F.logsigmoid(signs * scores).sum(dim=-1)              # (*)
    ### END SOLUTION
