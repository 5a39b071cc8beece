"""Resuming an iteration-based run skips sampler indices instead of loading data."""
from __future__ import annotations

import itertools

from mmengine.dataset import InfiniteSampler
from torch.utils.data import DataLoader, Dataset

from segrefiner.engine.loops import _SkipFirst, skip_sampler_indices


class CountingDataset(Dataset):
    """Returns its index; counts how many items were loaded."""

    def __init__(self, size: int):
        self.size, self.loaded = size, 0

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> int:
        self.loaded += 1
        return index


def loader(dataset: CountingDataset) -> DataLoader:
    return DataLoader(dataset, batch_size=3,
                      sampler=InfiniteSampler(dataset, shuffle=True, seed=7))


def test_skipping_sampler_indices_continues_the_uninterrupted_stream_without_loading():
    uninterrupted = [batch.tolist() for batch in itertools.islice(iter(loader(
        CountingDataset(10))), 9)]
    dataset = CountingDataset(10)
    resumed = loader(dataset)
    assert skip_sampler_indices(resumed, 5 * 3)
    assert dataset.loaded == 0
    assert [b.tolist() for b in itertools.islice(iter(resumed), 4)] == uninterrupted[5:]


def test_other_samplers_are_left_alone():
    dataset = CountingDataset(4)
    assert not skip_sampler_indices(DataLoader(dataset, batch_size=2), 2)


def test_skip_first_returns_none_without_touching_the_iterator():
    source = iter([1, 2])
    wrapped = _SkipFirst(source, 3)
    assert [next(wrapped) for _ in range(3)] == [None, None, None]
    assert list(wrapped) == [1, 2]
