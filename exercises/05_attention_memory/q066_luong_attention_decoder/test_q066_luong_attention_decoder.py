"""Public tests for q066: run them with `rnnkit check q066` (or plain pytest on this file).

LuongDecoderStep is used through a handle: `m = impl.LuongDecoderStep(V, E, H, C, score)` builds
it in the submission process (float64 by default), `m.load_state_dict(sd)` and `m(...)` call it
there. The hidden grader uses random sizes, weights and masks, garbage at every padded source
position, and compares with a reference decoder step loaded with the same state_dict.
"""

import pytest
import torch

from rnnkit.testing import assert_close, check, expect_tensor, expect_tuple

F64 = torch.float64
V, E, H, C, S, B = 4, 2, 2, 2, 3, 2


def lin(a: float, b: float, *shape: int) -> torch.Tensor:
    n = 1
    for s in shape:
        n *= s
    return torch.linspace(a, b, n, dtype=F64).reshape(shape)


def worked_state_dict(score: str) -> dict:
    sd = {"embedding.weight": lin(-1, 1, V, E), "cell.weight_ih": lin(-0.5, 0.5, 4 * H, E + H),
          "cell.weight_hh": lin(0.3, -0.3, 4 * H, H), "cell.bias_ih": lin(-0.1, 0.1, 4 * H),
          "cell.bias_hh": lin(0.2, 0.0, 4 * H), "W_c.weight": lin(-0.7, 0.6, H, C + H),
          "out.weight": lin(0.5, -0.5, V, H), "out.bias": lin(-0.2, 0.2, V)}
    if score == "general":
        sd["W_a.weight"] = lin(-0.4, 0.8, H, C)
    if score == "concat":
        sd["W_a.weight"] = lin(-0.4, 0.8, H, H + C)
        sd["v_a.weight"] = lin(1.0, -0.5, 1, H)
    return sd


def worked_inputs():
    enc = lin(-1, 1, B, S, C)
    enc[1, 2] = torch.tensor([50.0, -80.0], dtype=F64)          # padding: garbage
    mask = torch.tensor([[True, True, True], [True, True, False]])
    return torch.tensor([1, 3]), lin(-0.3, 0.3, B, H), (lin(0.2, -0.2, B, H), lin(-0.5, 0.5, B, H)), enc, mask


def model(impl, score):
    m = impl.LuongDecoderStep(V, E, H, C, score)
    m.load_state_dict(worked_state_dict(score))
    return m


def run(m, *args):
    logits, h_tilde, state, attn = expect_tuple(m(*args), 4, "LuongDecoderStep.forward")
    h, c = expect_tuple(state, 2, "the state (h, c)")
    return (expect_tensor(logits, (B, V), "logits"), expect_tensor(h_tilde, (B, H), "h_tilde"),
            expect_tensor(h, (B, H), "h"), expect_tensor(c, (B, H), "c"), expect_tensor(attn, (B, S), "attn"))


@pytest.mark.task(1)
@pytest.mark.parametrize("score", ["dot", "general", "concat"])
def test_parameter_names_and_shapes(impl, score):
    sd = impl.LuongDecoderStep(V, E, H, C, score).state_dict()
    want = {k: tuple(v.shape) for k, v in worked_state_dict(score).items()}
    check(set(sd) == set(want), f"with score={score!r} the state_dict keys should be {sorted(want)}, got {sorted(sd)}")
    for name, shape in want.items():
        expect_tensor(sd[name], shape, name)


@pytest.mark.task(1)
def test_bad_scores_raise(impl):
    with pytest.raises(ValueError):
        impl.LuongDecoderStep(V, E, H, 3, "dot")
    with pytest.raises(ValueError):
        impl.LuongDecoderStep(V, E, H, C, "additive")


WANT = {
    "dot": ([[0.03865771222156228, 0.0532314596466297, 0.0678052070716971, 0.0823789544967645],
             [-0.32214673034582597, -0.1446947252845793, 0.03275727977666744, 0.21020928483791412]],
            [[0.35472594700234367, 0.3328850778374017, 0.3123889751602547], [0.4662857832924172, 0.5337142167075828, 0.0]]),
    "general": ([[0.035116178769464046, 0.05144253156343284, 0.06776888435740164, 0.08409523715137043],
                 [-0.3213204579973066, -0.1442979541459601, 0.03272454970538638, 0.20974705355673284]],
                [[0.33687434891006857, 0.33332083862984074, 0.3298048124600907], [0.472160031214718, 0.5278399687852819, 0.0]]),
    "concat": ([[0.04242141373368952, 0.05514003809629092, 0.06785866245889227, 0.08057728682149363],
                [-0.3121108211974344, -0.13988255109746453, 0.03234571900250538, 0.20457398910247523]],
               [[0.3693891212233884, 0.34206513875516603, 0.2885457400214457], [0.5365293877378351, 0.46347061226216485, 0.0]]),
}


@pytest.mark.task(2)
@pytest.mark.parametrize("score", ["dot", "general", "concat"])
def test_worked_example(impl, score):
    logits, _, h, c, attn = run(model(impl, score), *worked_inputs())
    assert_close(h, torch.tensor([[-0.1128416562601431, -0.06191587243773706], [0.086967024605618, 0.28445294183170255]],
                                 dtype=F64), "h", against="the LSTMCell on [embedding(y_prev), h_tilde_prev]")
    assert_close(c, torch.tensor([[-0.2637823087431892, -0.15527462941992445], [0.12658038766429303, 0.39931849294206756]],
                                 dtype=F64), "c", against="the LSTMCell on [embedding(y_prev), h_tilde_prev]")
    want_logits, want_attn = WANT[score]
    assert_close(attn, torch.tensor(want_attn, dtype=F64), f"attn ({score})", against="the worked example")
    assert_close(logits, torch.tensor(want_logits, dtype=F64), f"logits ({score})", against="the worked example")


@pytest.mark.task(3)
def test_padding_is_ignored(impl):
    m = model(impl, "general")
    y, ht, state, enc, mask = worked_inputs()
    first = run(m, y, ht, state, enc, mask)
    check(first[4][1, 2] == 0, "the attention weight of a padded source position must be exactly 0")
    enc2 = enc.clone()
    enc2[1, 2] = torch.tensor([-7.0, 300.0], dtype=F64)
    second = run(m, y, ht, state, enc2, mask)
    for name, a, b in zip(("logits", "h_tilde", "h", "c", "attn"), first, second, strict=True):
        assert_close(b, a, f"{name} with other garbage at the padding", against=f"{name} before")


@pytest.mark.task(4)
def test_input_feeding_gradient(impl):
    y, ht, state, enc, mask = worked_inputs()
    upstream = [torch.zeros(B, V, dtype=F64), torch.zeros(B, H, dtype=F64), torch.zeros(B, H, dtype=F64),
                torch.zeros(B, H, dtype=F64), torch.zeros(B, S, dtype=F64)]
    upstream[0][:, 0] = 1.0                                       # d logits[:, 0]
    got = impl.probe("output_grads", model(impl, "general"), [y, ht, state, enc, mask], upstream)
    d_ht = expect_tensor(got["inputs"][0], (B, H), "d logits[:, 0] / d h_tilde_prev")
    assert_close(d_ht, torch.tensor([[0.005176902075390723, 0.006182321194845242],
                                     [0.005465705807760811, 0.0070792663964611684]], dtype=F64),
                 "d logits[:, 0] / d h_tilde_prev", against="the worked example (input feeding)")


@pytest.mark.task(5)
def test_arguments_unchanged(impl):
    y, ht, state, enc, mask = worked_inputs()
    run(model(impl, "dot"), y, ht, state, enc, mask)
    y2, ht2, state2, enc2, mask2 = worked_inputs()
    check(torch.equal(y, y2) and torch.equal(ht, ht2) and torch.equal(enc, enc2) and torch.equal(mask, mask2)
          and torch.equal(state[0], state2[0]) and torch.equal(state[1], state2[1]),
          "forward changed one of its arguments in place")
