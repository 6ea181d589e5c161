#!/usr/bin/env python3
"""The sine experiment of `recur train sine`, written in PyTorch, for comparison.

Same data recipe (2000 points of sin(0.5 t) + 0.1 N(0, 1), t = linspace(0, 100), chronological
split at 80%, MinMax to [0, 1] fitted on the training part, windows of 50 predicting the next
value, test windows predicting every value of the test part), same model (2-layer RNN, 128
hidden, dropout 0.2, head Linear(128, 32)-ReLU-Linear(32, 1) on the last step) and training
(Adam 1e-3, batch 32 shuffled, global gradient norm clipped at 1.0, MSE). The noise comes from
numpy's generator, not recur's, so single runs differ by their noise draw; compare
test_mse_vs_clean over seeds, and the seconds per epoch.

    python3 scripts/sine_pytorch.py --epochs 3          # time per epoch
    python3 scripts/sine_pytorch.py                     # the whole 50-epoch run

Prints one line per epoch and a summary line in the format of `recur train sine`.
"""
import argparse
import os
import time

import numpy as np
import torch


def windows(series, window, first_target, end_target):
    xs = np.stack([series[k - window:k] for k in range(first_target, end_target)])
    ys = series[first_target:end_target]
    return (torch.tensor(xs, dtype=torch.float32).unsqueeze(-1),
            torch.tensor(ys, dtype=torch.float32).unsqueeze(-1))


class Forecaster(torch.nn.Module):
    def __init__(self, cell, hidden, layers, dropout):
        super().__init__()
        rnn = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
        self.rnn = rnn(1, hidden, num_layers=layers, dropout=dropout, batch_first=True)
        self.head = torch.nn.Sequential(torch.nn.Linear(hidden, 32), torch.nn.ReLU(),
                                        torch.nn.Linear(32, 1))

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.head(y[:, -1, :])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cell", default="lstm", choices=["lstm", "gru", "rnn"])
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help="torch CPU threads (default: all cores)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    points, window = 2000, 50
    t = np.linspace(0.0, 100.0, points)
    clean = np.sin(0.5 * t)
    series = clean + 0.1 * rng.standard_normal(points)
    split = int(0.8 * points)
    lo, hi = series[:split].min(), series[:split].max()
    scaled = (series - lo) / (hi - lo)
    x_train, y_train = windows(scaled, window, window, split)
    x_test, _ = windows(scaled, window, split, points)

    model = Forecaster(args.cell, 128, 2, 0.2)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.MSELoss()
    train_time = 0.0
    for epoch in range(args.epochs):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(len(x_train))
        total = 0.0
        for i in range(0, len(order), 32):
            idx = order[i:i + 32]
            opt.zero_grad()
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            total += loss.item() * len(idx)
        elapsed = time.perf_counter() - start
        train_time += elapsed
        print(f"epoch {epoch + 1}/{args.epochs} train_loss={total / len(x_train):.6f} "
              f"seconds={elapsed:.2f}", flush=True)

    model.eval()
    with torch.no_grad():
        pred = model(x_test).squeeze(-1).numpy().astype(np.float64) * (hi - lo) + lo
    test_mse = float(np.mean((pred - series[split:]) ** 2))
    vs_clean = float(np.mean((pred - clean[split:]) ** 2))
    print(f"test_mse={test_mse:.6f} test_mse_vs_clean={vs_clean:.6f} "
          f"train_time_s={train_time:.1f} seconds_per_epoch={train_time / max(args.epochs, 1):.2f} "
          f"epochs={args.epochs} cell={args.cell} threads={args.threads} torch={torch.__version__}")


if __name__ == "__main__":
    main()
