"""Checking input and output paths before any work starts: every problem is a one-line
UserError naming the path, found before a model loads."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from segrefiner.utils.errors import UserError


def check_input_file(path: str | Path, what: str) -> Path:
    """``path`` as a Path; UserError unless it is an existing, readable file."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such {what} file")
    if not path.is_file():
        raise UserError(f"{path}: is not a file (a {what} file is expected)")
    if not os.access(path, os.R_OK):
        raise UserError(f"{path}: the {what} file is not readable (permissions)")
    return path


def check_writable_dir(folder: Path, for_path: Path) -> None:
    """UserError unless ``folder`` (to hold ``for_path``) exists as a folder or can be
    created, and a file can be written in it. Nothing is left behind."""
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise UserError(f"{for_path}: cannot be written: {existing} is a file, not a folder")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as err:
        raise UserError(f"{for_path}: cannot be written: {existing} is not writable "
                        f"({err.strerror or err})") from None


def check_output_file(path: str | Path, inputs: Iterable[str | Path] = ()) -> Path:
    """``path`` as a Path; UserError when it is an input, a folder, or cannot be written."""
    path = Path(path)
    resolved = path.resolve()
    for given in inputs:
        if Path(given).resolve() == resolved:
            raise UserError(f"{path}: is an input file; refusing to overwrite it")
    if path.is_dir():
        raise UserError(f"{path}: is a folder; give a file name")
    check_writable_dir(path.parent, path)
    return path


def check_output_dir(path: str | Path, inputs: Iterable[str | Path] = ()) -> Path:
    """``path`` as a Path; UserError when it is a file, one of the input folders, or cannot
    be created / written."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UserError(f"{path}: exists and is not a folder (folder runs write a folder)")
    resolved = path.resolve()
    for given in inputs:
        if Path(given).resolve() == resolved:
            raise UserError(f"{path}: is an input folder; refined masks would mix with (or "
                            "replace) the inputs: give another output folder")
    check_writable_dir(path, path)
    return path
