"""An iteration-based training loop whose resume does not reload the skipped data.

mmengine's ``IterBasedTrainLoop`` resumes at iteration N by drawing N batches from the
dataloader and dropping them: every skipped sample is read, decoded, given a coarse mask
and augmented. At 2,250 iterations of batch 8 on a 2-core CPU that is half an hour before
the first step. This loop instead moves the sampler's index stream on by N batches
(``InfiniteSampler``, the iteration-based samplers' kind) without loading anything, so
the run continues with the data it would have seen next (after the few batches the
dataloader had already prefetched when the loop was built).
"""
from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from mmengine.logging import print_log
from mmengine.runner import IterBasedTrainLoop
from torch.utils.data import DataLoader

from segrefiner.registry import LOOPS


def skip_sampler_indices(dataloader: DataLoader, count: int) -> bool:
    """Consume ``count`` indices of the dataloader's sampler without loading data.

    Works for samplers that keep their index stream in ``indices`` (mmengine's
    ``InfiniteSampler``). Returns False, doing nothing, for other samplers.
    """
    stream = getattr(dataloader.sampler, "indices", None)
    if not isinstance(stream, Iterator):
        return False
    next(itertools.islice(stream, count, count), None)
    return True


class _SkipFirst:
    """Iterator wrapper whose first ``count`` ``next`` calls return None without work."""

    def __init__(self, iterator: Iterator, count: int) -> None:
        self.iterator, self.count = iterator, count

    def __iter__(self) -> _SkipFirst:
        return self

    def __next__(self) -> Any:
        if self.count > 0:
            self.count -= 1
            return None
        return next(self.iterator)


@LOOPS.register_module()
class ResumableIterBasedTrainLoop(IterBasedTrainLoop):
    """``IterBasedTrainLoop`` that resumes without loading the batches it skips."""

    def run(self) -> Any:
        done = self._iter
        if done > 0:
            batch_size = self.dataloader.batch_size or self.dataloader.batch_sampler.batch_size
            if skip_sampler_indices(self.dataloader, done * batch_size):
                print_log(f"Resuming at iteration {done}: the sampler skips {done} batches "
                          "without loading them", logger="current")
                iterator = self.dataloader_iterator
                self.dataloader_iterator = _SkipFirst(iterator, done)
                try:
                    return super().run()
                finally:
                    self.dataloader_iterator = iterator
        return super().run()
