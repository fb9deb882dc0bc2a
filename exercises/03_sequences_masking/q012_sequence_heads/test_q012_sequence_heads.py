"""Public tests for q012: run them with `rnnkit check q012` (or plain pytest on this file).

SeqModel is used through a handle: `model = impl.SeqModel(D, H, C, mode)` builds it in the
submission process (float64 by default), `model.load_state_dict(sd)` and `model(x, lengths)` call
it there. The hidden grader uses other sizes, random weights and garbage in every pad.
"""

import pytest
import torch

from rnnkit.testing import assert_close, check, expect_tensor

NAN_FREE_GARBAGE = 1e3


def lin(a: float, b: float, *shape: int) -> torch.Tensor:
    n = 1
    for s in shape:
        n *= s
    return torch.linspace(a, b, n, dtype=torch.float64).reshape(shape)


def padded_outputs() -> tuple[torch.Tensor, torch.Tensor]:
    # rows of lengths 2, 3 and 1; every pad step holds garbage
    outputs = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [NAN_FREE_GARBAGE, -NAN_FREE_GARBAGE]],
                            [[0.5, -1.0], [1.5, 0.0], [-2.5, 4.0]],
                            [[7.0, 8.0], [NAN_FREE_GARBAGE, 5.0], [-9.0, NAN_FREE_GARBAGE]]],
                           dtype=torch.float64)
    return outputs, torch.tensor([2, 3, 1])


@pytest.mark.task(1)
def test_last_valid_worked_example(impl):
    outputs, lengths = padded_outputs()
    got = expect_tensor(impl.last_valid(outputs, lengths), (3, 2), "last_valid(outputs, lengths)")
    want = torch.tensor([[3.0, 4.0], [-2.5, 4.0], [7.0, 8.0]], dtype=torch.float64)
    assert_close(got, want, "last_valid", rtol=0.0, atol=0.0, against="outputs[b, lengths[b] - 1]")


@pytest.mark.task(2)
def test_masked_mean_worked_example(impl):
    outputs, lengths = padded_outputs()
    got = expect_tensor(impl.masked_mean(outputs, lengths), (3, 2), "masked_mean(outputs, lengths)")
    want = torch.tensor([[2.0, 3.0], [-1.0 / 6.0, 1.0], [7.0, 8.0]], dtype=torch.float64)
    assert_close(got, want, "masked_mean", against="the mean over the valid steps")


@pytest.mark.task(2)
def test_masked_mean_of_an_empty_row_is_zero(impl):
    outputs, _ = padded_outputs()
    got = expect_tensor(impl.masked_mean(outputs, torch.tensor([0, 1, 0])), (3, 2), "masked_mean")
    want = torch.tensor([[0.0, 0.0], [0.5, -1.0], [0.0, 0.0]], dtype=torch.float64)
    assert_close(got, want, "masked_mean with lengths [0, 1, 0]", against="0 for empty rows")


B, T, D, H, C = 2, 3, 2, 2, 2
MODES = ("many_to_one", "mean", "many_to_many")


def worked_state() -> dict:
    return {"lstm.weight_ih_l0": lin(-0.6, 0.8, 4 * H, D), "lstm.weight_hh_l0": lin(0.5, -0.4, 4 * H, H),
            "lstm.bias_ih_l0": lin(-0.3, 0.3, 4 * H), "lstm.bias_hh_l0": lin(0.1, -0.1, 4 * H),
            "head.weight": lin(-1, 1, C, H), "head.bias": torch.tensor([0.25, -0.5], dtype=torch.float64)}


def worked_batch() -> tuple[torch.Tensor, torch.Tensor]:
    x = lin(-1, 1, B, T, D)
    x[1, 1:] = torch.tensor([[50.0, -70.0], [90.0, 30.0]])  # row 1 has length 1: garbage after it
    return x, torch.tensor([3, 1])


def model(impl, mode: str):
    m = impl.SeqModel(D, H, C, mode)
    m.load_state_dict(worked_state())
    return m


@pytest.mark.task(3)
def test_parameter_names_and_shapes(impl):
    sd = impl.SeqModel(D, H, C, "mean").state_dict()
    names = sorted(worked_state())
    check(sorted(map(str, sd)) == names, f"the state_dict keys should be {names}, got {sorted(map(str, sd))}")
    for name, value in worked_state().items():
        expect_tensor(sd[name], tuple(value.shape), name, dtype=torch.float64)


@pytest.mark.task(3)
def test_unknown_mode_raises_value_error(impl):
    with pytest.raises(ValueError):
        impl.SeqModel(D, H, C, "sideways")


# torch.nn.LSTM on the packed batch and torch.nn.Linear with these weights give the same numbers.
WANT = {
    "many_to_one": [[0.33582414558972284, -0.6031197658043315], [0.2043220629505484, -0.4305631767709802]],
    "mean": [[0.3474570764691456, -0.6142738790180132], [0.2043220629505484, -0.4305631767709802]],
    "many_to_many": [[[0.33681937962291264, -0.5977573720095177], [0.3697277041948014, -0.6419444992401904],
                      [0.33582414558972284, -0.6031197658043315]],
                     [[0.2043220629505484, -0.4305631767709802], [0.0, 0.0], [0.0, 0.0]]],
}


@pytest.mark.task(4)
@pytest.mark.parametrize("mode", MODES)
def test_worked_example(impl, mode):
    x, lengths = worked_batch()
    want = torch.tensor(WANT[mode], dtype=torch.float64)
    got = expect_tensor(model(impl, mode)(x, lengths), tuple(want.shape), f"SeqModel(mode={mode!r})(x, lengths)")
    assert_close(got, want, f"SeqModel(mode={mode!r})", against="the worked example")


@pytest.mark.task(5)
@pytest.mark.parametrize("mode", MODES)
def test_pads_of_x_do_not_matter(impl, mode):
    x, lengths = worked_batch()
    other = x.clone()
    other[1, 1:] = torch.tensor([[-3.0, 8.0], [0.0, -40.0]])
    m = model(impl, mode)
    assert_close(m(other, lengths), m(x, lengths), f"SeqModel(mode={mode!r}) after changing only the pads",
                 rtol=1e-12, atol=1e-14, against="the output before")
    if mode == "many_to_many":
        check(bool((m(x, lengths)[1, 1:] == 0).all()), "many_to_many should be exactly 0 at the pad steps")
