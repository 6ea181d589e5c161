"""A character-level language model trained in PyTorch with recur.torch.LSTM.

    /usr/bin/python3 examples/python/char_lstm.py --text README.md --steps 300

Embedding -> LSTM (2 x 256 by default) -> Linear, trained by truncated backpropagation through
time on --batch parallel streams through the first 90% of the text, the hidden state carried from
chunk to chunk; reports the loss in nats per character, the validation loss on the last 10%, and
a greedy sample. --torch-nn runs the same with torch.nn.LSTM, to compare. The data-parallel
version is char_lstm_ddp.py. (Needs recur's Python package: `pip install .`, or PYTHONPATH set to
a build's python/ folder.)
"""

import argparse
import time

import torch

import recur.torch


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--text", required=True, help="training text (UTF-8)")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--embed", type=int, default=64)
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--batch", type=int, default=32, help="parallel streams (all processes)")
    p.add_argument("--seq", type=int, default=64, help="steps per chunk")
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--clip", type=float, default=5.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--torch-nn", action="store_true", help="use torch.nn.LSTM instead")
    return p.parse_args(argv)


class CharModel(torch.nn.Module):
    def __init__(self, vocab, args):
        super().__init__()
        lstm = torch.nn.LSTM if args.torch_nn else recur.torch.LSTM  # the one-line swap
        self.embed = torch.nn.Embedding(vocab, args.embed)
        self.rnn = lstm(args.embed, args.hidden, num_layers=args.layers, dropout=args.dropout)
        self.head = torch.nn.Linear(args.hidden, vocab)

    def forward(self, ids, state=None):  # ids [T, B] -> logits [T, B, vocab]
        output, state = self.rnn(self.embed(ids), state)
        return self.head(output), state


def load_text(path):
    text = open(path, encoding="utf-8").read()
    chars = sorted(set(text))
    ids = torch.tensor([chars.index(c) for c in text], dtype=torch.long)
    split = int(len(ids) * 0.9)
    return chars, ids[:split], ids[split:]


def streams(ids, batch):
    """The text cut into `batch` streams, one per column: [len, batch]."""
    n = len(ids) // batch
    return ids[:n * batch].view(batch, n).t().contiguous()


def train(model, data, args, steps, log=print):
    """TBPTT over data [N, B]; returns the last loss. The state is carried, detached."""
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    state, pos, loss = None, 0, float("nan")
    start = time.perf_counter()
    for step in range(1, steps + 1):
        if pos + args.seq + 1 > data.shape[0]:
            state, pos = None, 0
        x, y = data[pos:pos + args.seq], data[pos + 1:pos + args.seq + 1]
        pos += args.seq
        model.train()
        logits, state = model(x, state)
        state = tuple(s.detach() for s in state)
        loss_t = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                   y.reshape(-1))
        opt.zero_grad()
        loss_t.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
        loss = loss_t.item()
        if step % 50 == 0 or step == steps:
            log(f"step {step}/{steps} loss={loss:.4f} nats/char "
                f"{step / (time.perf_counter() - start):.2f} steps/s")
    return loss


@torch.no_grad()
def evaluate(model, ids):
    model.eval()
    logits, _ = model(ids[:-1].view(-1, 1))
    return torch.nn.functional.cross_entropy(logits.view(-1, logits.shape[-1]), ids[1:]).item()


@torch.no_grad()
def sample_greedy(model, chars, prime="\n", length=200):
    model.eval()
    ids = torch.tensor([[chars.index(c)] for c in prime])
    logits, state = model(ids)
    out = []
    for _ in range(length):
        nxt = int(logits[-1, 0].argmax())
        out.append(chars[nxt])
        logits, state = model(torch.tensor([[nxt]]), state)
    return "".join(out)


def main():
    args = parse_args()
    torch.manual_seed(args.seed)
    chars, train_ids, val_ids = load_text(args.text)
    model = CharModel(len(chars), args)
    print(f"{len(chars)} characters, {len(train_ids)} train / {len(val_ids)} validation, "
          f"{'torch.nn' if args.torch_nn else 'recur'}.LSTM {args.layers}x{args.hidden}")
    train(model, streams(train_ids, args.batch), args, args.steps)
    print(f"validation loss={evaluate(model, val_ids):.4f} nats/char")
    print("greedy sample:", repr(sample_greedy(model, chars)))


if __name__ == "__main__":
    main()
