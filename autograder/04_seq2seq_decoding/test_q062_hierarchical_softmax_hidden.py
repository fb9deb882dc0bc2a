"""Hidden grader for q062_hierarchical_softmax (never shipped to students).

The tree is graded exactly: the spec fixes the tie-breaking ((frequency, creation id), leaves
0 .. V-1, the k-th merge V + k), the bits (first pop = 0) and the node numbering (merge order),
so the reference's paths and codes are the only right answer (errata 36). hs_log_prob is graded
on the REFERENCE tree (catalogue G13), so a wrong tree costs tasks 1-2 only. Value tasks call
with the in-place check off; task 6 calls with it on.

Task 1: CLRS frequencies [45, 13, 12, 16, 9, 5]: code lengths exactly [1, 3, 3, 3, 4, 4], and the
        paths and codes equal the reference's (the spec's example).
Task 2: fixed frequency lists with ties (a leaf against an internal node, all equal, V = 2) and
        random ones (V in 2..12, frequencies in 1..5: many ties): paths and codes equal the
        reference's exactly; expected code length L satisfies entropy <= L < entropy + 1.
Task 3: hs_log_prob on random h (H,) and (B, H), random node_vecs, every word of a random tree:
        equals the reference formula (1e-10); sum over words of exp(log p) = 1 (atol 1e-12,
        errata 24).
Task 4: O(depth) by NaN-poisoning (errata 36 replaces counted sigmoid calls): every row of
        node_vecs off the word's path is NaN; the result is finite and equals the clean result.
Task 5: rnnkit.probes.output_grads, random upstream: d/dh and d/dnode_vecs equal torch autograd of
        the reference (1e-10); rows of node_vecs off the path get exactly 0.
Task 6: scores of +-1000 (and +-800, +-40): finite and <= 0 (a log(sigmoid(.)) gives -inf);
        with the in-place check on, no argument is changed.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

from rnnkit.fair import ValuesOnly
from rnnkit.testing import assert_close, check, expect_dict, expect_tensor, expect_tuple, trandn

CLRS = [45, 13, 12, 16, 9, 5]
TIE_CASES = [[5, 1, 1, 2], [1, 1, 1, 1], [2, 1, 1], [3, 3], [1, 1, 2, 2, 4, 4, 8], [4, 1, 1, 2, 2, 1, 3],
             [2, 2, 2, 1, 1, 1, 1, 1]]
N_TREE = len(TIE_CASES) + 4


@pytest.fixture
def impl(impl):
    return ValuesOnly(impl)


def get_tree(impl: Any, freqs: list[int]) -> tuple[list[list[int]], list[list[int]]]:
    V = len(freqs)
    paths, codes = expect_tuple(impl.build_huffman(list(freqs)), 2, "build_huffman(freqs)")
    for name, value in (("paths", paths), ("codes", codes)):
        check(isinstance(value, list) and len(value) == V and all(isinstance(v, list) for v in value),
              f"{name} should be a list of {V} lists (one per word)")
        check(all(isinstance(i, int) and not isinstance(i, bool) for v in value for i in v),
              f"{name} should hold Python ints")
    return paths, codes


def random_freqs(rng: np.random.Generator) -> list[int]:
    V = int(rng.integers(2, 13))
    return [int(f) for f in rng.integers(1, 6, size=V)]


def tree_case(rng: np.random.Generator, case: int) -> list[int]:
    return list(TIE_CASES[case]) if case < len(TIE_CASES) else random_freqs(rng)


# --- tasks 1 and 2 -------------------------------------------------------------------------------

@pytest.mark.task(1)
def test_clrs_tree(impl, ref):
    paths, codes = get_tree(impl, CLRS)
    lengths = [len(c) for c in codes]
    check(lengths == [1, 3, 3, 3, 4, 4], "the code lengths for the CLRS frequencies should be [1, 3, 3, 3, 4, 4]")
    want_paths, want_codes = ref.build_huffman(CLRS)
    check(paths == want_paths, "the paths for the CLRS frequencies differ from the spec's tree")
    check(codes == want_codes, "the codes for the CLRS frequencies differ from the spec's tree")


@pytest.mark.task(2)
@pytest.mark.parametrize("case", range(N_TREE))
def test_trees_with_ties(impl, ref, rng, case):
    freqs = tree_case(rng, case)
    paths, codes = get_tree(impl, freqs)
    want_paths, want_codes = ref.build_huffman(freqs)
    check([len(c) for c in codes] == [len(c) for c in want_codes],
          "the code lengths differ from the Huffman tree with ties broken by (frequency, creation id)")
    check(paths == want_paths, "the paths differ from the Huffman tree with ties broken by (frequency, creation id)")
    check(codes == want_codes, "the codes differ from the Huffman tree with ties broken by (frequency, creation id)")
    total = sum(freqs)
    p = [f / total for f in freqs]
    entropy = -sum(q * math.log2(q) for q in p)
    expected = sum(q * len(c) for q, c in zip(p, codes, strict=True))
    check(entropy - 1e-12 <= expected < entropy + 1, "the expected code length should lie in [entropy, entropy + 1)")


# --- tasks 3 to 6: hs_log_prob on the reference tree ---------------------------------------------

def logp_case(rng: np.random.Generator, ref: Any, case: int) -> tuple[list[int], Any, torch.Tensor, torch.Tensor]:
    freqs = CLRS if case == 0 else random_freqs(rng)
    V, H = len(freqs), int(rng.integers(1, 6))
    batch = () if case % 2 == 0 else (int(rng.integers(1, 4)),)
    return freqs, ref.build_huffman(freqs), trandn(rng, *batch, H), trandn(rng, V - 1, H)


def call_logp(impl: Any, h: torch.Tensor, node_vecs: torch.Tensor, path: list[int], code: list[int],
              checked: bool = False, finite: bool = True) -> torch.Tensor:
    fn = impl.checked.hs_log_prob if checked else impl.hs_log_prob
    return expect_tensor(fn(h, node_vecs, list(path), list(code)), tuple(h.shape[:-1]), "hs_log_prob(...)",
                         dtype=torch.float64, finite=finite)


@pytest.mark.task(3)
@pytest.mark.parametrize("case", range(5))
def test_log_probs_match_formula_and_sum_to_one(impl, ref, rng, case):
    _, (paths, codes), h, node_vecs = logp_case(rng, ref, case)
    total = torch.zeros(h.shape[:-1], dtype=torch.float64)
    for path, code in zip(paths, codes, strict=True):
        got = call_logp(impl, h, node_vecs, path, code)
        assert_close(got, ref.hs_log_prob(h.clone(), node_vecs.clone(), path, code), "log p(w | h)",
                     against="the path formula")
        total = total + got.exp()
    assert_close(total, torch.ones_like(total), "the sum over words of p(w | h)", rtol=0, atol=1e-12, against="1")


@pytest.mark.task(4)
@pytest.mark.parametrize("case", range(4))
def test_rows_off_the_path_are_not_read(impl, ref, rng, case):
    _, (paths, codes), h, node_vecs = logp_case(rng, ref, case)
    for w in sorted({0, len(paths) - 1, int(rng.integers(0, len(paths)))}):
        poisoned = torch.full_like(node_vecs, float("nan"))
        poisoned[paths[w]] = node_vecs[paths[w]]
        got = call_logp(impl, h, poisoned, paths[w], codes[w], finite=False)
        check(bool(torch.isfinite(got).all()),
              "NaN in rows of node_vecs that are not on the path reached the result: read only the path's rows")
        assert_close(got, ref.hs_log_prob(h.clone(), node_vecs.clone(), paths[w], codes[w]),
                     "log p(w | h) with NaN off the path", against="the path formula")


@pytest.mark.task(5)
@pytest.mark.parametrize("case", range(4))
def test_gradients_match_autograd(impl, ref, rng, case):
    _, (paths, codes), h, node_vecs = logp_case(rng, ref, case)
    w = int(rng.integers(0, len(paths)))
    upstream = trandn(rng, *h.shape[:-1], 1).reshape(h.shape[:-1])
    got = expect_dict(impl.probe("output_grads", impl.function("hs_log_prob"), [h, node_vecs, paths[w], codes[w]],
                                 [upstream]), ["outputs", "inputs", "params"], "the gradient probe")
    grads = got["inputs"]
    check(isinstance(grads, list) and len(grads) == 2, "the gradient probe could not read the gradients")
    check(grads[0] is not None and grads[1] is not None,
          "no gradient reaches h or node_vecs: keep the computation in torch (no .item(), float() or numpy)")
    dh = expect_tensor(grads[0], tuple(h.shape), "d/dh")
    dnodes = expect_tensor(grads[1], tuple(node_vecs.shape), "d/dnode_vecs")
    h_leaf, nv_leaf = h.clone().requires_grad_(True), node_vecs.clone().requires_grad_(True)
    (ref.hs_log_prob(h_leaf, nv_leaf, paths[w], codes[w]) * upstream).sum().backward()
    off = [k for k in range(node_vecs.shape[0]) if k not in paths[w]]
    check(bool((dnodes[off] == 0).all()), "rows of node_vecs off the path should get a gradient of exactly 0")
    assert_close(dh, h_leaf.grad, "the gradient with respect to h", against="autograd of the path formula")
    assert_close(dnodes, nv_leaf.grad, "the gradient with respect to node_vecs", against="autograd of the path formula")


@pytest.mark.task(6)
@pytest.mark.parametrize("magnitude", [1000.0, 800.0, 40.0])
def test_large_scores_stay_finite(impl, rng, magnitude):
    depth, H = 4, 3
    node_vecs = trandn(rng, depth, H)
    h = trandn(rng, 2, H)
    h[0] = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
    node_vecs[:, 0] = torch.tensor([1.0, -1.0, 1.0, -1.0], dtype=torch.float64) * magnitude
    for code in ([0, 0, 0, 0], [1, 1, 1, 1], [0, 1, 1, 0], [1, 0, 1, 0]):
        got = call_logp(impl, h, node_vecs, [0, 1, 2, 3], code,
                        checked=True, finite=False)
        check(bool(torch.isfinite(got).all()),
              f"log p(w | h) should be finite at scores of +-{magnitude:g} (use a stable log sigma)")
        check(bool((got <= 0).all()), "a log-probability must be <= 0")
