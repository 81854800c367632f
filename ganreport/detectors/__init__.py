"""Setbacks found in a run's numbers and grids, each a Finding with evidence and a sentence.

    series = RunSeries(loss="bce", metrics=rows, epochs=epoch_rows, quality=quality_rows,
                       floor=floor_row, grids={epoch: load_grid(path)}, real_grid=...)
    for finding in detect(series):
        print(finding.kind, finding.steps, finding.sentence)

Pure functions over plain data (no reader, no torch); one module per detector.
"""

from ganreport.detectors.finding import SEVERITIES, Finding, RunSeries
from ganreport.detectors.grids import load_grid, split_grid
from ganreport.detectors.registry import DETECTORS, detect

__all__ = ["DETECTORS", "SEVERITIES", "Finding", "RunSeries", "detect", "load_grid",
           "split_grid"]
