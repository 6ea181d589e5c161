"""Drop-in torch.nn.RNN / LSTM / GRU running on recur: change the import, keep the rest.

    from recur.torch import LSTM          # instead of: from torch.nn import LSTM
    lstm = LSTM(input_size=1, hidden_size=128, num_layers=2, batch_first=True)
    output, (h_n, c_n) = lstm(x)

Same constructor arguments (plus ``backend=``), parameter names, shapes and initialisation as
torch.nn (so state_dicts load both ways and the same torch.manual_seed gives the same initial
weights), and the same outputs. Contiguous CPU tensors are read in place (others are copied
first, as torch.nn does). LSTM projections (proj_size) work as in torch.nn. Differences: CPU tensors only in this build,
PackedSequence is not supported (ValueError). Dropout between layers draws its masks from
recur's generator, seeded from torch's, so they differ from torch.nn's.

Errors: TypeError for a wrong type or dtype (the input and states must have the parameters'
dtype, float32 or float64), ValueError for a wrong shape, device or argument; each message
names the tensor or argument.
"""

from .rnn import GRU, LSTM, RNN, RNNBase

__all__ = ["GRU", "LSTM", "RNN", "RNNBase"]
