"""Shared set-up of these checks: torch on one thread.

One thread: the tensors are tiny, and mutmut runs every mutant in a forked process, where
torch's intra-op thread pool can hang (CONTRIBUTING.md, "Torch under mutmut").
"""

from __future__ import annotations

import torch

torch.set_num_threads(1)
