"""A short training loop with torch.optim.Adam: recur.torch.LSTM's loss falls, and follows
torch.nn.LSTM's loss curve from the same initial weights (float32; relative difference per step
<= 1e-4)."""

import torch

import recur.torch as rt

STEPS = 30


class Regressor(torch.nn.Module):
    """LSTM(3 -> 12, 2 layers, batch_first) and a linear head on the last step."""

    def __init__(self, lstm_class):
        super().__init__()
        self.rnn = lstm_class(3, 12, num_layers=2, batch_first=True)
        self.head = torch.nn.Linear(12, 1)

    def forward(self, x):
        output, _ = self.rnn(x)
        return self.head(output[:, -1])


def curve(model, x, y):
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def test_adam_loss_falls_and_matches_torch_nn():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(16, 12, 3, generator=g)
    y = x[:, :, 0].sum(dim=1, keepdim=True) * 0.2 + torch.sin(x[:, -1, 1:2])

    torch.manual_seed(1)
    ref = Regressor(torch.nn.LSTM)
    ours = Regressor(rt.LSTM)
    ours.load_state_dict(ref.state_dict())

    ref_losses = curve(ref, x, y)
    losses = curve(ours, x, y)
    assert losses[-1] < 0.3 * losses[0], f"loss did not fall: {losses[0]} -> {losses[-1]}"
    for step, (a, b) in enumerate(zip(losses, ref_losses)):
        assert abs(a - b) <= 1e-4 * abs(b), f"step {step}: recur {a} vs torch.nn {b}"
    # The trained weights agree too.
    for (name, p), (_, q) in zip(ours.named_parameters(), ref.named_parameters()):
        assert torch.allclose(p, q, rtol=1e-3, atol=1e-5), name
