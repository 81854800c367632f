"""Which loop hooks a run gets: one factory per feature, so adding one is one line here.

A factory looks at the run's config (and its dataset and device, for features that
need real images or device tensors) and returns a Hook, or None when the feature is
off. The order of HOOK_FACTORIES is the order the loop calls the hooks in: schedules
that change the networks (ProGAN) before what reads them (EMA, quality).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from training.config import RunConfig
from training.data import Dataset
from training.loop import Hook
from training.parity import parity_hook
from training.progan.hook import progan_hook
from training.quality.hook import quality_hook

HookFactory = Callable[[RunConfig, Dataset, torch.device], "Hook | None"]

HOOK_FACTORIES: list[HookFactory] = [progan_hook, quality_hook, parity_hook]


def hooks_for(config: RunConfig, dataset: Dataset, device: torch.device) -> list[Hook]:
    """The hooks this run needs, in HOOK_FACTORIES order."""
    made = (factory(config, dataset, device) for factory in HOOK_FACTORIES)
    return [hook for hook in made if hook is not None]
