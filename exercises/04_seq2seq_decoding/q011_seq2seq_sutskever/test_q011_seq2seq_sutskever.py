"""Public tests for q011: run them with `rnnkit check q011` (or plain pytest on this file).

Seq2Seq is used through a handle: `m = impl.Seq2Seq(...)` builds it in the submission process
(float64 by default), `m.load_state_dict(sd)` and `m(src, src_len, tgt_in)` call it there. The
hidden grader uses random sizes (1 to 3 layers), random weights, unsorted lengths, garbage ids in
every source pad, and compares with a reference built from torch's own modules.
"""

import pytest
import torch

from rnnkit.testing import assert_close, check, expect_tensor

SRC_V, TGT_V, E, H = 5, 4, 2, 2


def lin(a: float, b: float, *shape: int) -> torch.Tensor:
    n = 1
    for s in shape:
        n *= s
    return torch.linspace(a, b, n, dtype=torch.float64).reshape(shape)


def worked_state() -> dict:
    return {"src_emb.weight": lin(-1, 1, SRC_V, E), "tgt_emb.weight": lin(1, -1, TGT_V, E),
            "encoder.weight_ih_l0": lin(-0.6, 0.8, 4 * H, E), "encoder.weight_hh_l0": lin(0.5, -0.4, 4 * H, H),
            "encoder.bias_ih_l0": lin(-0.3, 0.3, 4 * H), "encoder.bias_hh_l0": lin(0.1, -0.1, 4 * H),
            "decoder.weight_ih_l0": lin(0.7, -0.5, 4 * H, E), "decoder.weight_hh_l0": lin(-0.3, 0.6, 4 * H, H),
            "decoder.bias_ih_l0": lin(0.2, -0.2, 4 * H), "decoder.bias_hh_l0": lin(-0.1, 0.0, 4 * H),
            "out.weight": lin(-0.9, 0.9, TGT_V, H), "out.bias": lin(0.05, -0.05, TGT_V)}


SRC = torch.tensor([[1, 2, 3], [4, 1, 0]])   # row 1 has length 2: its last position is a pad
SRC_LEN = torch.tensor([3, 2])
TGT_IN = torch.tensor([[0, 1], [2, 3]])

WANT_REVERSED = [
    [[0.11798391740400634, 0.0345479424992059, -0.048888032405594535, -0.13232400731039498],
     [0.14460798991962326, 0.042214464714838806, -0.060179060489945646, -0.1625725856947301]],
    [[0.018728466494871643, 0.009450983831725369, 0.00017350116857908424, -0.009103981494567183],
     [0.026417307257382453, 0.014232623572129089, 0.0020479398868757104, -0.010136743798377652]]]
WANT_IN_ORDER = [
    [[0.057072615976558105, 0.014779385523815074, -0.027513844928927958, -0.069807075381671],
     [0.09509762864978624, 0.026401077418342026, -0.04229547381310219, -0.11099202504454642]],
    [[0.08583383818675175, 0.0290887801298861, -0.027656277926979556, -0.08440133598384521],
     [0.06532406141513047, 0.025295647505205895, -0.01473276640471868, -0.05476118031464325]]]


def model(impl, *reverse):
    m = impl.Seq2Seq(SRC_V, TGT_V, E, H, 1, *reverse)
    m.load_state_dict(worked_state())
    return m


def logits(m, src=SRC):
    return expect_tensor(m(src, SRC_LEN, TGT_IN), (2, 2, TGT_V), "Seq2Seq.forward(src, src_len, tgt_in)")


@pytest.mark.task(1)
def test_parameter_names_and_shapes(impl):
    sd = impl.Seq2Seq(SRC_V, TGT_V, E, H, 1).state_dict()
    want = worked_state()
    check(sorted(map(str, sd)) == sorted(want), f"the state_dict keys should be {sorted(want)}, got {sorted(map(str, sd))}")
    for name, value in want.items():
        expect_tensor(sd[name], tuple(value.shape), name, dtype=torch.float64)


@pytest.mark.task(2)
def test_worked_example_reversed_source(impl):
    got = logits(model(impl))
    assert_close(got[0], torch.tensor(WANT_REVERSED[0], dtype=torch.float64), "the logits of row 0 (full length)",
                 against="the worked example (source reversed)")
    assert_close(got[1], torch.tensor(WANT_REVERSED[1], dtype=torch.float64), "the logits of row 1 (length 2)",
                 against="the worked example (row 1 is read as 1, 4: reversed within its length)")


@pytest.mark.task(3)
def test_worked_example_source_in_order(impl):
    got = logits(model(impl, False))
    assert_close(got, torch.tensor(WANT_IN_ORDER, dtype=torch.float64), "the logits with reverse_source=False", against="the worked example")


@pytest.mark.task(4)
def test_pad_ids_do_not_matter(impl):
    m = model(impl)
    first = logits(m)
    second = logits(m, torch.tensor([[1, 2, 3], [4, 1, 3]]))
    assert_close(second, first, "the logits after changing the pad id of row 1", rtol=1e-12, atol=1e-14,
                 against="the logits before")


@pytest.mark.task(5)
def test_step0_logits_see_the_source_but_not_the_pad(impl):
    upstream = torch.zeros(2, 2, TGT_V, dtype=torch.float64)
    upstream[:, 0] = 1.0
    got = impl.probe("output_grads", model(impl), [SRC, SRC_LEN, TGT_IN], [upstream])
    g = got["params"]["src_emb.weight"]
    check(g is not None, "the step-0 logits get no gradient from src_emb: hand the encoder's (h, c) to the decoder")
    g = expect_tensor(g, (SRC_V, E), "d/d src_emb.weight")
    check(bool((g[0] == 0).all()), "id 0 only appears in a pad, so its embedding row must get a gradient of 0")
    check(all(bool((g[i] != 0).any()) for i in (1, 2, 3, 4)), "every real source token should influence the step-0 logits")
