"""An exponential moving average of G's weights (Karras et al. 2018; Yazıcı et al. 2019).

The average is a second copy of G that never trains: after every G step each of its
parameters moves (1 - decay) of the way towards G's; buffers (BatchNorm statistics) are
copied as they are. Its samples are often smoother than the raw G's at the same step.
"""

from __future__ import annotations

import copy
from typing import Any

import torch


class WeightAverage:
    """The averaged copy of a network and its decay; state_dict rides in the checkpoint."""

    def __init__(self, network: torch.nn.Module, decay: float) -> None:
        self.decay = decay
        self.network = copy.deepcopy(network).eval()
        self.network.requires_grad_(False)

    @torch.no_grad()
    def update(self, network: torch.nn.Module) -> None:
        """Move the average towards the network's current weights (one G step)."""
        averaged = list(self.network.parameters())
        current = [p.detach() for p in network.parameters()]
        if averaged and averaged[0].is_floating_point():
            torch._foreach_lerp_(averaged, current, 1.0 - self.decay)
        for mine, theirs in zip(self.network.buffers(), network.buffers(), strict=True):
            mine.copy_(theirs)

    def follow(self, network: torch.nn.Module) -> torch.nn.Module:
        """The average with the network's plain settings copied over (a progressive G's
        level and fade-in alpha), ready to draw samples the way the network would."""
        for mine, theirs in zip(self.network.modules(), network.modules(), strict=True):
            for key, value in vars(theirs).items():
                if key != "training" and not key.startswith("_") \
                        and isinstance(value, (bool, int, float)):
                    setattr(mine, key, value)
        return self.network

    def state_dict(self) -> dict[str, Any]:
        return {"decay": self.decay, "weights": self.network.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.network.load_state_dict(state["weights"])
