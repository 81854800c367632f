"""What a person watching training sees: a cheap progress bar, or one line per epoch.

On a terminal, tqdm draws a bar per epoch that refreshes a few times a second;
its numbers are the last values already read to the host (the bar never reads
the GPU). When stderr is not a terminal (a piped `make train`, a CI log) there
is no bar, only one line per finished epoch.
"""

from __future__ import annotations

import sys

from tqdm import tqdm

from training.config import RunConfig

REFRESH_S = 0.25


class Display:
    """Progress for one run: `step()` per step, `show()` at read points, `epoch_line()`."""

    def __init__(self, config: RunConfig, steps_per_epoch: int, bar: bool) -> None:
        self.config = config
        self.steps_per_epoch = steps_per_epoch
        self.use_bar = bar
        self._bar: tqdm | None = None

    def step(self, epoch: int, done_in_epoch: int) -> None:
        """One more step; `done_in_epoch` counts it."""
        if not self.use_bar:
            return
        if self._bar is None:
            self._bar = tqdm(
                total=self.steps_per_epoch, initial=done_in_epoch - 1, leave=False,
                file=sys.stderr, unit="step", dynamic_ncols=True, mininterval=REFRESH_S,
                desc=f"{self.config.version} epoch {epoch}/{self.config.train.epochs}",
            )
        self._bar.update(1)

    def show(self, means: dict[str, float]) -> None:
        """New numbers for the bar (already on the host)."""
        if self._bar is not None:
            self._bar.set_postfix({k: f"{v:.3g}" for k, v in means.items()}, refresh=False)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def epoch_line(self, row: dict) -> None:
        """`study/v1 epoch 3/36  loss_d 0.912  ...  410 img/s -> samples/epoch_0003.png`."""
        self.close()
        config, skip = self.config, {"epoch", "step", "wall_time_s", "elapsed_s", "sample",
                                     "images_per_s"}
        numbers = "  ".join(
            f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}"
            for k, v in row.items() if k not in skip
        )
        sample = f"  -> {row['sample']}" if row.get("sample") else ""
        print(
            f"{config.study}/{config.version} epoch {row['epoch']}/{config.train.epochs}  "
            f"{numbers}  {row['images_per_s']:.0f} img/s{sample}",
            file=sys.stderr, flush=True,
        )
