"""Sums of per-step scalars kept on the device, read to the host only now and then.

Reading a GPU number forces the host to wait for the GPU; doing it five times
a step made the old loop wait every step. A ScalarMeter adds each step's 0-dim
tensors where they live and hands back exact means over everything added
since the last read, in one device-to-host copy.
"""

from __future__ import annotations

from typing import Any

import torch

from training import distributed


class ScalarMeter:
    """Running sums and counts per name; `read` returns the sums and starts over.

    Sums are float64 (float32 on MPS, which has no float64), so how steps are
    grouped into rows does not change an epoch's mean in its seventh digit.
    """

    def __init__(self) -> None:
        self.sums: dict[str, torch.Tensor] = {}  # name -> 0-dim tensor on the device
        self.counts: dict[str, int] = {}

    def add(self, scalars: dict[str, torch.Tensor]) -> None:
        """Add one step's scalars (0-dim tensors); no host synchronisation."""
        for name, value in scalars.items():
            dtype = torch.float32 if value.device.type == "mps" else torch.float64
            value = value.detach().to(dtype)
            if name in self.sums:
                self.sums[name].add_(value)
                self.counts[name] += 1
            else:
                self.sums[name] = value.clone()
                self.counts[name] = 1

    def read(
        self, extra: list[torch.Tensor] | None = None
    ) -> tuple[dict[str, tuple[float, int]], list[float]]:
        """({name: (sum, count)}, extra values) in one transfer; the meter is empty after."""
        tensors = [*self.sums.values(), *(extra or [])]
        if not tensors:
            return {}, []
        dtype = torch.float32 if tensors[0].device.type == "mps" else torch.float64
        stacked = torch.stack([t.detach().reshape(()).to(dtype) for t in tensors])
        values = distributed.average(stacked).tolist()  # under DDP: the mean over the ranks
        totals = {
            name: (values[index], self.counts[name]) for index, name in enumerate(self.sums)
        }
        self.sums, self.counts = {}, {}
        return totals, values[len(totals) :]

    def synchronize(self) -> None:
        """Under DDP, replace each rank's sums by their mean over the ranks (in place).

        Later reads average again; since every rank then starts from the same sums,
        the mean of (common sums + each rank's new steps) stays exact.
        """
        if not self.sums or distributed.world_size() == 1:
            return
        names = list(self.sums)
        means = distributed.average(torch.stack([self.sums[name] for name in names]))
        for index, name in enumerate(names):
            self.sums[name] = means[index].clone()

    def state_dict(self) -> dict[str, Any]:
        return {
            "sums": {name: value.cpu() for name, value in self.sums.items()},
            "counts": dict(self.counts),
        }

    def load_state_dict(self, state: dict[str, Any], device: torch.device) -> None:
        self.sums = {name: value.to(device) for name, value in state["sums"].items()}
        self.counts = {name: int(count) for name, count in state["counts"].items()}
