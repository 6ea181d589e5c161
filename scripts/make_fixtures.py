#!/usr/bin/python3
"""Writes the PyTorch reference fixtures of tests/fixtures/ and the example of examples/.

Each fixture is a `recur run` job and its answer, computed by PyTorch:
  <name>.weights.safetensors   the network (F32 parameters, spec in __metadata__)
  <name>.input.safetensors     X: input, optional h0/c0, optional lengths (I64 or I32),
                               optional grad_output/grad_h_n/grad_c_n (F32)
  <name>.expected.safetensors  Y as `recur run` writes it, in F64
The expected values are computed in float64 from the F32-rounded weights and inputs, so they are
the exact answer to the F32 files (up to float64 rounding), and an F32 run can be compared with
them at F32 accuracy.

Run with Debian's python3 (torch and numpy live there):  /usr/bin/python3 scripts/make_fixtures.py
It needs no safetensors package: the format is written by hand below. Regenerating is not part of
the build or CI; the files are committed.
"""

import json
import os
import struct

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

DTYPES = {np.dtype("<f4"): "F32", np.dtype("<f8"): "F64", np.dtype("<i8"): "I64",
          np.dtype("<i4"): "I32"}


def write_safetensors(path, tensors, metadata):
    """tensors: list of (name, numpy array); data laid out in that order."""
    header = {}
    blobs = []
    offset = 0
    for name, array in tensors:
        array = np.ascontiguousarray(array)
        dtype = array.dtype.newbyteorder("<")
        blob = array.astype(dtype).tobytes()
        header[name] = {
            "dtype": DTYPES[dtype],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(blob)],
        }
        blobs.append(blob)
        offset += len(blob)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the format allows padding the header with spaces
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    return os.path.getsize(path)


def f32(t):
    """Rounds a float64 tensor to float32 values, kept as float64."""
    return t.float().double()


def spec_metadata(mode, module, dropout):
    m = {
        "mode": mode,
        "input_size": str(module.input_size),
        "hidden_size": str(module.hidden_size),
        "num_layers": str(module.num_layers),
        "bidirectional": "true" if module.bidirectional else "false",
        "bias": "true" if module.bias else "false",
        "batch_first": "true" if module.batch_first else "false",
    }
    if dropout:
        m["dropout"] = repr(dropout)
    if getattr(module, "proj_size", 0) > 0:
        m["proj_size"] = str(module.proj_size)
    return m


def make_case(name, mode, I, H, L, T, B, *, bidirectional=False, bias=True, batch_first=False,
              dropout=0.0, states=True, grads=("output", "h_n", "c_n"), seed=0, lengths=None,
              lengths_dtype=np.int64, proj_size=0):
    """Builds one fixture; returns [(path, bytes written)]. `grads` lists which of the loss
    terms' gradients go into X (empty: forward only). `lengths` ([B], any order): a
    variable-length batch, run as torch.nn.utils.rnn.pack_padded_sequence(enforce_sorted=False)
    and padded back to T with zeros; X gets them as `lengths` in `lengths_dtype`. proj_size > 0:
    an LSTM with projections (h0/h_n [L*D, B, proj_size], c0/c_n [L*D, B, H])."""
    torch.manual_seed(seed)
    cls = {"LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU, "RNN_TANH": torch.nn.RNN,
           "RNN_RELU": torch.nn.RNN}[mode]
    kwargs = dict(input_size=I, hidden_size=H, num_layers=L, bias=bias, batch_first=batch_first,
                  dropout=dropout, bidirectional=bidirectional)
    if mode.startswith("RNN_"):
        kwargs["nonlinearity"] = mode[4:].lower()
    if proj_size:
        kwargs["proj_size"] = proj_size
    module = cls(**kwargs).double()
    module.eval()  # `recur run` never applies dropout; eval mode still gives gradients
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(f32(p))
    lstm = mode == "LSTM"
    D = 2 if bidirectional else 1

    x = f32(torch.randn((B, T, I) if batch_first else (T, B, I), dtype=torch.float64))
    x.requires_grad_(True)
    state_shape = (L * D, B, proj_size or H)  # h: proj_size wide with a projection
    cell_shape = (L * D, B, H)
    # Absent states are zeros (the contract's default); they still get gradients.
    h0 = f32(0.5 * torch.randn(state_shape, dtype=torch.float64)) if states else \
        torch.zeros(state_shape, dtype=torch.float64)
    c0 = f32(0.5 * torch.randn(cell_shape, dtype=torch.float64)) if states else \
        torch.zeros(cell_shape, dtype=torch.float64)
    h0.requires_grad_(True)
    c0.requires_grad_(True)

    run_in = x
    if lengths is not None:
        run_in = torch.nn.utils.rnn.pack_padded_sequence(
            x, torch.tensor(lengths, dtype=torch.int64), batch_first=batch_first,
            enforce_sorted=False)
    if lstm:
        output, (h_n, c_n) = module(run_in, (h0, c0))
    else:
        output, h_n = module(run_in, h0)
        c_n = None
    if lengths is not None:
        output, _ = torch.nn.utils.rnn.pad_packed_sequence(output, batch_first=batch_first,
                                                           total_length=T)

    given = {"output": output, "h_n": h_n}
    if lstm:
        given["c_n"] = c_n
    grad_of = {k: f32(torch.randn(v.shape, dtype=torch.float64)) for k, v in given.items()
               if k in grads}

    x_tensors = [("input", x)]
    if states:
        x_tensors.append(("h0", h0))
        if lstm:
            x_tensors.append(("c0", c0))
    for k, g in grad_of.items():
        x_tensors.append(("grad_" + k, g))

    y_tensors = [("output", output), ("h_n", h_n)] + ([("c_n", c_n)] if lstm else [])
    if grad_of:
        loss = sum((given[k] * g).sum() for k, g in grad_of.items())
        loss.backward()
        y_tensors += [("grad_input", x.grad), ("grad_h0", h0.grad)]
        if lstm:
            y_tensors.append(("grad_c0", c0.grad))
        y_tensors += [("grad." + n, p.grad) for n, p in module.named_parameters()]

    meta = spec_metadata(mode, module, dropout)
    weights = [(n, p.detach().float().numpy()) for n, p in module.named_parameters()]
    inputs = [(n, t.detach().float().numpy()) for n, t in x_tensors]
    if lengths is not None:
        inputs.insert(1, ("lengths", np.array(lengths, dtype=lengths_dtype)))
    expected = [(n, t.detach().numpy()) for n, t in y_tensors]
    y_meta = {"source": f"torch {torch.__version__}, float64 from the F32 files",
              "fixture": name}
    return [(p, write_safetensors(p, ts, m)) for p, ts, m in (
        (f"{name}.weights.safetensors", weights, meta),
        (f"{name}.input.safetensors", inputs, {}),
        (f"{name}.expected.safetensors", expected, y_meta))]


def main():
    fixtures = os.path.join(ROOT, "tests", "fixtures")
    examples = os.path.join(ROOT, "examples")
    os.makedirs(fixtures, exist_ok=True)
    os.makedirs(examples, exist_ok=True)
    written = []
    os.chdir(fixtures)
    written += make_case("lstm_2l_bidir", "LSTM", 4, 6, 2, 5, 3, bidirectional=True, seed=1)
    written += make_case("gru_bf_nobias", "GRU", 5, 7, 1, 4, 2, bias=False, batch_first=True,
                         states=False, seed=2)
    written += make_case("rnn_tanh_3l", "RNN_TANH", 3, 5, 3, 6, 2, dropout=0.25, seed=3)
    written += make_case("rnn_relu_bidir", "RNN_RELU", 4, 6, 1, 5, 3, bidirectional=True, seed=4)
    written += make_case("lstm_odd", "LSTM", 3, 5, 1, 1, 1, seed=5)
    written += make_case("gru_2l_bidir_forward", "GRU", 4, 5, 2, 3, 2, bidirectional=True,
                         batch_first=True, grads=(), seed=6)
    written += make_case("lstm_state_grads", "LSTM", 3, 4, 2, 3, 2, batch_first=True,
                         states=False, grads=("h_n", "c_n"), seed=7)
    # Variable-length batches (packed sequences, enforce_sorted=False).
    written += make_case("lstm_packed_2l_bidir", "LSTM", 4, 5, 2, 6, 4, bidirectional=True,
                         lengths=[3, 6, 1, 4], seed=9)
    written += make_case("gru_packed_bf", "GRU", 3, 6, 1, 5, 3, bidirectional=True,
                         batch_first=True, states=False, lengths=[2, 5, 3],
                         lengths_dtype=np.int32, seed=10)
    written += make_case("rnn_tanh_packed_all_t", "RNN_TANH", 3, 4, 2, 4, 3, lengths=[4, 4, 4],
                         seed=11)
    written += make_case("rnn_relu_packed_short", "RNN_RELU", 2, 5, 1, 5, 3, bidirectional=True,
                         lengths=[3, 1, 2], seed=12)
    written += make_case("lstm_packed_forward", "LSTM", 3, 4, 2, 5, 3, batch_first=True,
                         lengths=[1, 5, 2], grads=(), seed=13)
    # LSTM projections (proj_size, h = W_hr (o * tanh(c))): 1 and 2 layers, bidirectional.
    written += make_case("lstm_proj", "LSTM", 4, 7, 1, 5, 3, proj_size=3, seed=9)
    written += make_case("lstm_proj_2l_bidir", "LSTM", 3, 6, 2, 4, 2, bidirectional=True,
                         batch_first=True, proj_size=2, seed=10)
    written += make_case("lstm_proj_bidir_nostates", "LSTM", 5, 5, 1, 3, 2, bidirectional=True,
                         bias=False, states=False, proj_size=4, seed=11)
    os.chdir(examples)
    written += make_case("lstm", "LSTM", 4, 8, 2, 10, 2, states=False, grads=(), seed=8)
    total = 0
    for path, size in written:
        print(f"wrote {path} ({size} bytes)")
        total += size
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
