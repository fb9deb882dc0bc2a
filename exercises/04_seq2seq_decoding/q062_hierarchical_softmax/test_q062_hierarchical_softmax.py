"""Public tests for q062: run them with `rnnkit check q062` (or plain pytest on this file).

The hidden grader builds trees for random frequencies full of ties, compares hs_log_prob with
the path formula on random vectors (one h and batches), puts NaN in every row of node_vecs off
the path, reads gradients through rnnkit.probes.output_grads, and tries scores of +-1000.
"""

import math

import pytest
import torch

from rnnkit.testing import assert_close, check, expect_tensor, expect_tuple

CLRS = [45, 13, 12, 16, 9, 5]
CLRS_PATHS = [[4], [4, 3, 1], [4, 3, 1], [4, 3, 2], [4, 3, 2, 0], [4, 3, 2, 0]]
CLRS_CODES = [[0], [1, 0, 1], [1, 0, 0], [1, 1, 1], [1, 1, 0, 1], [1, 1, 0, 0]]


def lin(a: float, b: float, *shape: int) -> torch.Tensor:
    n = 1
    for s in shape:
        n *= s
    return torch.linspace(a, b, n, dtype=torch.float64).reshape(shape)


def tree(impl, freqs):
    paths, codes = expect_tuple(impl.build_huffman(freqs), 2, f"build_huffman({freqs})")
    check(isinstance(paths, list) and len(paths) == len(freqs), f"paths should be a list of {len(freqs)} lists")
    check(isinstance(codes, list) and len(codes) == len(freqs), f"codes should be a list of {len(freqs)} lists")
    return [list(p) for p in paths], [list(c) for c in codes]


@pytest.mark.task(1)
def test_clrs_code_lengths(impl):
    paths, codes = tree(impl, CLRS)
    lengths = [len(c) for c in codes]
    check(lengths == [1, 3, 3, 3, 4, 4], f"code lengths for {CLRS} should be [1, 3, 3, 3, 4, 4], got {lengths}")


@pytest.mark.task(1)
def test_clrs_paths_and_codes(impl):
    paths, codes = tree(impl, CLRS)
    check(paths == CLRS_PATHS, f"paths should be {CLRS_PATHS} (internal nodes from the root down), got {paths}")
    check(codes == CLRS_CODES, f"codes should be {CLRS_CODES} (0 = the first-popped child), got {codes}")


@pytest.mark.task(2)
def test_a_tie_between_a_leaf_and_an_internal_node(impl):
    # merge k = 0 joins words 1 and 2 (frequency 1 each) into a node of frequency 2 and id 4; it
    # ties with word 3 (frequency 2, id 3): the smaller id, word 3, is popped first.
    paths, codes = tree(impl, [5, 1, 1, 2])
    check(paths == [[2], [2, 1, 0], [2, 1, 0], [2, 1]], f"paths for [5, 1, 1, 2] are wrong: got {paths}")
    check(codes == [[1], [0, 1, 0], [0, 1, 1], [0, 0]], f"codes for [5, 1, 1, 2] are wrong: got {codes}")


@pytest.mark.task(2)
def test_equal_frequencies(impl):
    paths, codes = tree(impl, [1, 1, 1, 1])
    check(paths == [[2, 0], [2, 0], [2, 1], [2, 1]], f"paths for [1, 1, 1, 1] are wrong: got {paths}")
    check(codes == [[0, 0], [0, 1], [1, 0], [1, 1]], f"codes for [1, 1, 1, 1] are wrong: got {codes}")


NODE_VECS = lin(-1, 1, 5, 3)
H_VEC = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
# log p(w | H_VEC) for the six CLRS words with NODE_VECS
WANT_LOGP = [-0.2014132779827524, -2.5567919504152035, -2.985363378986632, -3.71830662904293,
             -3.7985685068215167, -4.869997078250088]


@pytest.mark.task(3)
def test_worked_log_probs(impl):
    for w in range(6):
        got = expect_tensor(impl.hs_log_prob(H_VEC, NODE_VECS, CLRS_PATHS[w], CLRS_CODES[w]), (),
                            f"hs_log_prob(h (3,), ..., word {w})")
        assert_close(got, torch.tensor(WANT_LOGP[w], dtype=torch.float64), f"log p(word {w} | h)",
                     against="the worked example")


@pytest.mark.task(3)
def test_batched_h_and_the_sum_over_words(impl):
    hb = torch.stack([H_VEC, -H_VEC])
    got = expect_tensor(impl.hs_log_prob(hb, NODE_VECS, CLRS_PATHS[5], CLRS_CODES[5]), (2,),
                        "hs_log_prob(h (2, 3), ..., word 5)")
    assert_close(got, torch.tensor([-4.869997078250088, -1.6557113639643743], dtype=torch.float64),
                 "log p(word 5 | h) for a batch of two", against="the worked example")
    total = sum(math.exp(float(impl.hs_log_prob(H_VEC, NODE_VECS, p, c))) for p, c in zip(CLRS_PATHS, CLRS_CODES))
    check(abs(total - 1.0) < 1e-12, f"p(w | h) should sum to 1 over the six words, got {total!r}")


@pytest.mark.task(4)
def test_rows_off_the_path_are_not_read(impl):
    poisoned = NODE_VECS.clone()
    poisoned[[1, 3]] = float("nan")          # word 0's path is [4]: rows 1 and 3 are off it
    got = expect_tensor(impl.hs_log_prob(H_VEC, poisoned, [4], [0]), (), "hs_log_prob with NaN off the path",
                        finite=False)
    check(bool(torch.isfinite(got)), "NaN in rows of node_vecs that are not on the path changed the result")
    assert_close(got, torch.tensor(WANT_LOGP[0], dtype=torch.float64), "log p(word 0 | h)", against="the worked example")


@pytest.mark.task(5)
def test_worked_gradients(impl):
    got = impl.probe("output_grads", impl.function("hs_log_prob"), [H_VEC, NODE_VECS, CLRS_PATHS[5], CLRS_CODES[5]],
                     [torch.tensor(1.0, dtype=torch.float64)])
    dh, dnodes = got["inputs"]
    check(dh is not None and dnodes is not None, "no gradient reaches h or node_vecs")
    assert_close(expect_tensor(dh, (3,), "d/dh"), torch.tensor(
        [-1.5932444596581727, -1.6401211344015358, -1.686997809144899], dtype=torch.float64), "d/dh",
        against="the worked example")
    want = torch.tensor([[0.37243424783434165, -0.7448684956686833, 1.4897369913373666], [0.0, 0.0, 0.0],
                         [0.22331631360017357, -0.44663262720034713, 0.8932652544006943],
                         [-0.3510316849394648, 0.7020633698789296, -1.4041267397578592],
                         [-0.4087872380968218, 0.8175744761936437, -1.6351489523872873]], dtype=torch.float64)
    assert_close(expect_tensor(dnodes, (5, 3), "d/dnode_vecs"), want, "d/dnode_vecs", against="the worked example")


@pytest.mark.task(6)
def test_scores_of_1000_stay_finite(impl):
    node_vecs = torch.tensor([[1000.0, 0.0], [0.0, -1000.0]], dtype=torch.float64)
    h = torch.tensor([1.0, 1.0], dtype=torch.float64)
    # scores +1000 (bit 1: sigma(-1000)) and -1000 (bit 0: sigma(-1000)): log p = -2000
    got = expect_tensor(impl.hs_log_prob(h, node_vecs, [0, 1], [1, 0]), (), "hs_log_prob at scores of +-1000",
                        finite=False)
    check(bool(torch.isfinite(got)), f"log p should be finite at scores of +-1000, got {float(got)}")
    assert_close(got, torch.tensor(-2000.0, dtype=torch.float64), "log p at scores of +-1000",
                 against="log sigma(-1000) + log sigma(-1000) = -2000")
