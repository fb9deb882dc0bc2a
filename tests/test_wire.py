"""The wire format: every value kind round-trips; the decoder refuses what it must refuse."""

from __future__ import annotations

import json
import pickle
import struct

import numpy as np
import pytest
import torch

from rnnkit import wire


def roundtrip(value):
    return wire.decode(wire.encode(value))


def test_plain_values_roundtrip():
    value = {"a": [1, 2.5, None, True, "x"], "t": (1, (2, 3)), "nan": float("nan"), "inf": float("-inf"),
             "k": {1: "one", (2, 3): "pair"}}
    out = roundtrip(value)
    assert out["a"] == [1, 2.5, None, True, "x"] and out["t"] == (1, (2, 3))
    assert np.isnan(out["nan"]) and out["inf"] == float("-inf")
    assert out["k"] == {1: "one", (2, 3): "pair"}


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "int64", "int8", "uint8", "bool", "complex128"])
def test_numpy_arrays_keep_dtype_and_shape(dtype):
    arr = (np.arange(24).reshape(2, 3, 4) % 3).astype(dtype)
    out = roundtrip(arr)
    assert type(out) is np.ndarray and out.dtype == arr.dtype and out.shape == arr.shape
    assert np.array_equal(out, arr) and out.flags.writeable


def test_scalars_and_empty_and_noncontiguous():
    assert roundtrip(np.float32(1.5)) == np.float32(1.5) and type(roundtrip(np.float32(1.5))) is np.float32
    assert roundtrip(np.zeros((0, 3))).shape == (0, 3)
    t = np.arange(12.0).reshape(3, 4).T
    assert np.array_equal(roundtrip(t), t)


def test_ndarray_subclass_arrives_as_plain_array():
    class Sneaky(np.ndarray):
        def __eq__(self, other):
            return True

    arr = np.arange(3.0).view(Sneaky)
    out = roundtrip(arr)
    assert type(out) is np.ndarray and np.array_equal(out, [0.0, 1.0, 2.0])


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.bfloat16, torch.int64, torch.bool])
def test_tensors_roundtrip_plain_and_detached(dtype):
    t = torch.arange(6).reshape(2, 3).to(dtype)
    if dtype.is_floating_point:
        t = t.requires_grad_(True) * 1
    out = roundtrip(t)
    assert type(out) is torch.Tensor and out.dtype == dtype and not out.requires_grad
    assert torch.equal(out, t.detach())
    assert roundtrip(torch.tensor(3.0)).shape == ()


def test_generators_roundtrip_their_state():
    g = torch.Generator().manual_seed(7)
    torch.rand(3, generator=g)
    g2 = roundtrip(g)
    assert torch.equal(torch.rand(4, generator=g), torch.rand(4, generator=g2))
    r = np.random.default_rng(11)
    r.random(5)
    r2 = roundtrip(r)
    assert np.array_equal(r.random(3), r2.random(3))


def test_torch_modules_travel_as_state():
    lstm = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True).double()
    state = roundtrip(lstm)
    assert isinstance(state, wire.ModuleState) and state.cls == "LSTM"
    rebuilt = state.build()
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    assert torch.equal(rebuilt(x)[0], lstm(x)[0])
    assert state.flags["weight_ih_l0"] == {"parameter": True, "leaf": True, "requires_grad": True}


def test_unknown_objects_are_refused_or_kept_as_handles():
    with pytest.raises(wire.WireError):
        wire.encode(object())
    kept = []
    frame = wire.encode([object()], on_unknown=lambda o: kept.append(o) or {"__h": 1, "cls": "object"})
    out = wire.decode(frame, resolve=lambda kind, key: ("resolved", kind, key))
    assert out == [("resolved", "handle", (1, "object"))] and len(kept) == 1


def _frame(tree, bufs=()):
    header = json.dumps({"msg": tree, "bufs": [len(b) for b in bufs]}).encode()
    return struct.pack("<I", len(header)) + header + b"".join(bufs)


@pytest.mark.parametrize("tree,bufs", [
    ({"__a": 0, "dtype": "object", "shape": [1]}, [b"\0" * 8]),      # object dtype
    ({"__a": 0, "dtype": "float64", "shape": [2]}, [b"\0" * 8]),     # size mismatch
    ({"__a": 0, "dtype": "float64", "shape": [-1]}, [b"\0" * 8]),    # negative dim
    ({"__a": 0, "dtype": "float64", "shape": [1], "x": 1}, [b"\0" * 8]),  # extra key
    ({"__pickle__": "gASV"}, []),                                     # unknown tag
    ({"__h": 1, "cls": "X"}, []),                                     # handle without a resolver
    ([{"__a": 0, "dtype": "float64", "shape": [1]}, {"__a": 0, "dtype": "float64", "shape": [1]}], [b"\0" * 8]),
    ({"__M": "Sequential", "kwargs": {"__d": {}}, "state": {"__d": {}}, "flags": {"__d": {}}}, []),
])
def test_decoder_refuses_malformed_values(tree, bufs):
    with pytest.raises(wire.WireError):
        wire.decode(_frame(tree, bufs))


def test_decoder_refuses_deep_nesting_and_garbage():
    deep = []
    for _ in range(wire.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(wire.WireError):
        wire.decode(_frame(deep))
    for junk in (b"", b"\x05\x00\x00\x00abc", pickle.dumps({"a": 1}), _frame([1])[:-1] + b"]]"):
        with pytest.raises(wire.WireError):
            wire.decode(junk)
