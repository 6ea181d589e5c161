"""The torch-free API: Network on every PyTorch fixture (tests/fixtures: torch's float64 answers
for recur's files; the packed ones through lengths=) in float64 (<= 1e-10) and float32
(<= 1e-5), forward and backward; save/load
round trips; a `recur train sine` checkpoint loaded as a network (its RNN part), as a model whose
predictions match a numpy computation of its head, and as test predictions whose MSE is the one
the CLI printed."""

import os
import re
import subprocess

import numpy as np
import pytest

import recur
from conftest import SOURCE_DIR, assert_close

FIXTURES = sorted(p.name[:-len(".weights.safetensors")]
                  for p in (SOURCE_DIR / "tests" / "fixtures").glob("*.weights.safetensors"))


def fixture(name, part):
    return recur.read_tensors(SOURCE_DIR / "tests" / "fixtures" / f"{name}.{part}.safetensors")[1]


@pytest.mark.parametrize("dtype,bound", [("float64", 1e-10), ("float32", 1e-5)])
@pytest.mark.parametrize("name", FIXTURES)
def test_network_matches_pytorch_fixture(name, dtype, bound):
    assert len(FIXTURES) >= 7
    net = recur.Network.load(SOURCE_DIR / "tests" / "fixtures" / f"{name}.weights.safetensors",
                             dtype=dtype)
    net.dropout = 0.0  # the fixtures hold torch's eval-mode answers (rnn_tanh_3l has dropout)
    data = {k: v if k == "lengths" else v.astype(dtype) for k, v in fixture(name, "input").items()}
    want = fixture(name, "expected")
    backward = any(k.startswith("grad") for k in data)
    out = net.forward(data["input"], data.get("h0"), data.get("c0"), training=backward,
                      lengths=data.get("lengths"))
    for key in ("output", "h_n", "c_n"):
        if key in want:
            assert_close(getattr(out, key), want[key], bound, key)
    if backward:
        grads = net.backward(data.get("grad_output"), data.get("grad_h_n"), data.get("grad_c_n"))
        assert_close(grads.input, want["grad_input"], bound, "grad_input")
        for key in ("h0", "c0"):
            if f"grad_{key}" in want:
                assert_close(getattr(grads, key), want[f"grad_{key}"], bound, f"grad_{key}")
        for pname, g in grads.params.items():
            assert_close(g, want[f"grad.{pname}"], bound, f"grad.{pname}")


def test_save_load_round_trip(tmp_path):
    net = recur.Network("LSTM", 3, 5, num_layers=2, bidirectional=True, batch_first=True,
                        seed=1)
    path = tmp_path / "net.safetensors"
    net.save(path)
    back = recur.Network.load(path)
    assert back.spec == net.spec
    for name in net.params:
        assert np.array_equal(back.params[name], net.params[name]), name
    x = np.random.default_rng(2).standard_normal((4, 6, 3)).astype(np.float32)
    assert np.array_equal(back.forward(x).output, net.forward(x).output)
    metadata, tensors = recur.read_tensors(path)
    assert metadata["mode"] == "LSTM" and metadata["batch_first"] == "true"
    assert list(tensors) == list(net.params)


def test_projected_network_save_load_round_trip(tmp_path):
    net = recur.Network("LSTM", 3, 6, num_layers=2, bidirectional=True, seed=3, proj_size=2)
    assert net.params["weight_hr_l1_reverse"].shape == (2, 6)
    assert net.params["weight_hh_l0"].shape == (24, 2)
    path = tmp_path / "proj.safetensors"
    net.save(path)
    back = recur.Network.load(path)
    assert back.spec == net.spec and back.spec["proj_size"] == 2
    x = np.random.default_rng(4).standard_normal((5, 2, 3)).astype(np.float32)
    out = back.forward(x)
    assert out.output.shape == (5, 2, 4) and out.h_n.shape == (4, 2, 2) and \
        out.c_n.shape == (4, 2, 6)
    assert np.array_equal(out.output, net.forward(x).output)
    assert recur.read_tensors(path)[0]["proj_size"] == "2"


def test_write_tensors_round_trip(tmp_path):
    path = tmp_path / "t.safetensors"
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    recur.write_tensors(path, {"a": a, "b": np.ones(4, np.float32)}, {"k": "v"})
    metadata, tensors = recur.read_tensors(path)
    assert metadata == {"k": "v"}
    assert np.array_equal(tensors["a"], a) and tensors["a"].dtype == np.float64
    assert np.array_equal(tensors["b"], np.ones(4, np.float32))


@pytest.fixture(scope="module")
def sine_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("sine")
    cli = os.environ.get("RECUR_CLI", str(SOURCE_DIR / "build" / "recur"))
    run = subprocess.run([cli, "train", "sine", "--hidden", "8", "--layers", "2", "--epochs", "2",
                          "--points", "300", "--window", "10", "--backend", "cpu", "--out",
                          str(out)], capture_output=True, text=True, check=True)
    mse = float(re.search(r"test_mse=([0-9.e+-]+)", run.stdout).group(1))
    return out / "model.safetensors", mse


def test_checkpoint_as_network_model_and_predictions(sine_run):
    path, cli_mse = sine_run
    net = recur.Network.load(path)  # the RNN part; head and optimizer state left out
    assert net.spec["mode"] == "LSTM" and net.spec["num_layers"] == 2
    model = recur.load_checkpoint(path)
    assert model.spec == net.spec and model.metadata["task"] == "sine"

    x = np.random.default_rng(3).uniform(0, 1, (10, 5, 1)).astype(np.float32)
    y = model.predict(x)
    assert y.shape == (5, 1)
    # The head (linear, relu, linear on the last step) in numpy over the network's h_n.
    _, tensors = recur.read_tensors(path)
    last = net.forward(x).output[-1].astype(np.float64)
    hidden = np.maximum(last @ tensors["head.0.weight"].T + tensors["head.0.bias"], 0)
    want = hidden @ tensors["head.2.weight"].T + tensors["head.2.bias"]
    assert_close(y, want, 1e-5, "checkpoint predictions")

    pred, target = recur.sine_predictions(path)
    assert pred.shape == target.shape and pred.size > 0
    mse = float(np.mean((pred - target) ** 2))
    assert abs(mse - cli_mse) <= 1e-5 * max(cli_mse, 1e-3) + 5e-7, (mse, cli_mse)


def test_recur_run_takes_a_checkpoint(sine_run, tmp_path):
    path, _ = sine_run
    x = np.random.default_rng(4).uniform(0, 1, (7, 3, 1)).astype(np.float32)
    recur.write_tensors(tmp_path / "x.safetensors", {"input": x})
    cli = os.environ.get("RECUR_CLI", str(SOURCE_DIR / "build" / "recur"))
    subprocess.run([cli, "run", "--weights", str(path), "--input", str(tmp_path / "x.safetensors"),
                    "--output", str(tmp_path / "y.safetensors"), "--backend", "cpu-ref"],
                   check=True, capture_output=True)
    _, y = recur.read_tensors(tmp_path / "y.safetensors")
    want = recur.Network.load(path, backend="cpu").forward(x)
    assert_close(y["output"], want.output, 1e-5, "recur run output")
    assert_close(y["c_n"], want.c_n, 1e-5, "recur run c_n")
