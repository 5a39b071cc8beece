"""Progress bars (tqdm on stderr) that refinement feeds with its units of work: diffusion
steps of the global pass, patches of the local pass, instances, images."""
from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO


class Progress:
    """A tqdm bar whose total may grow as work is discovered; silent when not ``enabled``.

    ``done`` and ``total`` are kept either way (what the bar showed last), and passed to
    ``listener`` when they change (e.g. a web page's progress).
    """

    def __init__(self, desc: str, total: int = 0, unit: str = "it", enabled: bool = True,
                 leave: bool = True, file: TextIO | None = None,
                 listener: Callable[[int, int], None] | None = None) -> None:
        self.done, self.total = 0, total
        self.listener = listener  # called as listener(done, total) on every change
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=desc, unit=unit, leave=leave,
                            file=file or sys.stderr, dynamic_ncols=True)

    def set_total(self, total: int) -> None:
        self.total = total
        if self.bar is not None:
            self.bar.total = total
            self.bar.refresh()
        self._notify()

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        self._notify()

    def _notify(self) -> None:
        if self.listener is not None:
            self.listener(self.done, self.total)

    def advance_to(self, done: int) -> None:
        """Move on to ``done`` units (never back)."""
        if done > self.done:
            self.advance(done - self.done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
