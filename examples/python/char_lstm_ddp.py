"""char_lstm.py data-parallel: DistributedDataParallel over gloo, each process training on its
share of the streams; gradients are averaged by torch.distributed, so the run is the same model
trained on the whole batch.

    torchrun --nproc_per_node 2 examples/python/char_lstm_ddp.py --text README.md --steps 300

Without torchrun (Debian's torch 1.13 torchrun fails on Python 3.11 before starting anything:
its Std.from_str finds no Std.NONE), the script starts the processes itself:

    /usr/bin/python3 examples/python/char_lstm_ddp.py --nproc 2 --text README.md --steps 300
"""

import os
import sys
import tempfile

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from char_lstm import CharModel, evaluate, load_text, parse_args, sample_greedy, streams, train


def main():
    if "RANK" in os.environ:  # started by torchrun: rank and rendezvous come from it
        run(None, None)
        return
    nproc = 2
    if "--nproc" in sys.argv:
        at = sys.argv.index("--nproc")
        nproc = int(sys.argv[at + 1])
        del sys.argv[at:at + 2]
    with tempfile.TemporaryDirectory() as tmp:
        mp.spawn(run, args=(f"file://{tmp}/rendezvous", nproc), nprocs=nproc, join=True)


def run(rank, init_method, world=None):
    """One process: rank and world from torchrun (init_method None) or from main."""
    args = parse_args()
    if init_method is None:
        dist.init_process_group("gloo")
    else:
        dist.init_process_group("gloo", init_method=init_method, rank=rank, world_size=world)
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // world))
    if args.batch % world:
        raise SystemExit(f"--batch {args.batch} must be a multiple of the {world} processes")
    torch.manual_seed(args.seed)  # the same initial weights everywhere (DDP also broadcasts)
    chars, train_ids, val_ids = load_text(args.text)
    model = torch.nn.parallel.DistributedDataParallel(CharModel(len(chars), args))
    share = args.batch // world
    data = streams(train_ids, args.batch)[:, rank * share:(rank + 1) * share].contiguous()
    log = print if rank == 0 else (lambda *a: None)
    log(f"{world} processes x {share} streams, recur.LSTM {args.layers}x{args.hidden}")
    train(model, data, args, args.steps, log)
    if rank == 0:
        print(f"validation loss={evaluate(model.module, val_ids):.4f} nats/char")
        print("greedy sample:", repr(sample_greedy(model.module, chars)))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
