"""Pairing files of two folders by name: the one rule for images / masks, ground truth /
predictions and inputs / outputs.

A file's *name* is its file name less the first of the given suffixes it ends with
(case-insensitive): ``cat.JPG`` is ``cat`` with ``IMAGE_SUFFIXES``, ``cat_gt.png`` is
``cat`` with ``("_gt.png",)``. Two files of one folder with the same name are refused
(which one was meant is unknowable).
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from segrefiner.utils.errors import UserError


def files_by_name(folder: str | Path, suffixes: Sequence[str]) -> dict[str, Path]:
    """``{name: path}`` of the files in ``folder`` that end with one of ``suffixes``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"{folder}: no such folder")
    lowered = [s.lower() for s in suffixes]
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        suffix = next((s for s in lowered if path.name.lower().endswith(s)), None)
        if suffix is None:
            continue
        name = path.name[: len(path.name) - len(suffix)]
        if name in found:
            raise UserError(f"{path}: two files named {name!r} in {folder} "
                            f"({found[name].name}, {path.name}); keep one")
        found[name] = path
    return found


def pair_by_name(first: str | Path, second: str | Path, first_suffixes: Sequence[str],
                 second_suffixes: Sequence[str]) -> tuple[list[tuple[str, Path, Path]],
                                                          list[str]]:
    """Files of ``first`` and ``second`` with the same name.

    Returns ``(pairs, unmatched)``: ``(name, first path, second path)`` sorted by name, and
    the names in ``first`` that have no file in ``second``.
    """
    a = files_by_name(first, first_suffixes)
    b = files_by_name(second, second_suffixes)
    pairs = [(name, a[name], b[name]) for name in sorted(a) if name in b]
    return pairs, sorted(name for name in a if name not in b)
