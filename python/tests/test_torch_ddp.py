"""DistributedDataParallel over gloo on 2 processes: after one step on half a batch each, every
process's gradients equal one process's gradients on the whole batch (float64, <= 1e-10)."""

import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

import recur.torch as rt

WORLD = 2


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.rnn = rt.GRU(4, 8, num_layers=2, bidirectional=True, dtype=torch.float64)
        self.lstm = rt.LSTM(16, 8, dtype=torch.float64)
        self.head = torch.nn.Linear(8, 1, dtype=torch.float64)

    def forward(self, x):
        out, _ = self.rnn(x)
        out, _ = self.lstm(out)
        return self.head(out[-1])


def batch():
    g = torch.Generator().manual_seed(1)
    return torch.randn(6, 8, 4, generator=g, dtype=torch.float64), \
        torch.randn(8, 1, generator=g, dtype=torch.float64)


def grads_of(model, x, y):
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    return {n: p.grad.clone() for n, p in model.named_parameters()}


def worker(rank, store_path, out_path):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{store_path}", rank=rank,
                            world_size=WORLD)
    try:
        model = torch.nn.parallel.DistributedDataParallel(Model())
        x, y = batch()
        half = x.shape[1] // WORLD
        part = slice(rank * half, (rank + 1) * half)
        grads = grads_of(model, x[:, part], y[part])
        torch.save({n.removeprefix("module."): g for n, g in grads.items()},
                   f"{out_path}.{rank}")
    finally:
        dist.destroy_process_group()


def test_ddp_gradients_equal_single_process(tmp_path):
    out = str(tmp_path / "grads")
    mp.spawn(worker, args=(str(tmp_path / "store"), out), nprocs=WORLD, join=True)
    x, y = batch()
    want = grads_of(Model(), x, y)
    for rank in range(WORLD):
        got = torch.load(f"{out}.{rank}")
        assert got.keys() == want.keys()
        for name in want:
            err = (got[name] - want[name]).norm() / want[name].norm()
            assert err <= 1e-10, f"rank {rank} {name}: relative error {err:.3g}"
