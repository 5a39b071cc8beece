"""Reading JSON with one-line errors; writing files atomically (temp file + rename) so an
interrupted run leaves no half file."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from segrefiner.utils.errors import UserError


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _read_umask()  # read once: os.umask is process-wide and not thread-safe


def read_json(path: str | Path, what: str) -> Any:
    """The decoded JSON of ``path``; a :class:`UserError` naming the file when it is missing
    (``"<path>: no such <what> file"``) or not valid JSON."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such {what} file")
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise UserError(f"{path}: not valid JSON ({err})") from None


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder.

    The file gets the permissions a plain ``open(path, 'wb')`` would give (0o666 less the
    umask), not the temporary file's private 0o600.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            os.fchmod(f.fileno(), 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: str | Path, obj: Any) -> None:
    """JSON-encode ``obj`` and write it atomically."""
    write_bytes_atomic(path, json.dumps(obj).encode("utf-8"))
