"""recur from Python.

- ``recur.torch.RNN`` / ``LSTM`` / ``GRU``: drop-in ``torch.nn`` modules that run on recur
  (``import recur.torch``; needs PyTorch).
- A torch-free API on numpy arrays: ``Network`` (forward/backward/save of one RNN, loaded from a
  ``recur run`` weights file or a recur checkpoint), ``load_checkpoint`` (a trained model that
  predicts), ``sine_predictions``, ``read_tensors`` / ``write_tensors`` (safetensors files).

Errors: ``TypeError`` for a wrong type or dtype, ``ValueError`` for a wrong shape, size,
device, non-contiguous array or bad argument, ``recur.Error`` (a ``RuntimeError``) for what the
library reports otherwise (unreadable or malformed files, ...). Each names what was wrong.
"""

from ._core import Error, __version__, backend_names, default_backend_name
from .network import (Network, load_checkpoint, read_tensors, sine_predictions,
                      write_tensors)

__all__ = [
    "Error", "Network", "__version__", "backend_names", "default_backend_name",
    "load_checkpoint", "read_tensors", "sine_predictions", "write_tensors"
]
