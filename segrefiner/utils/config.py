"""Reading config files with one-line errors."""
from __future__ import annotations

from pathlib import Path

from mmengine.config import Config

from segrefiner.utils.errors import UserError


def read_config(path: str | Path) -> Config:
    """The mmengine Config of ``path``; UserError naming the file when it is missing or
    cannot be read (syntax error, a missing ``_base_``, an exception while running it)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such config file")
    try:
        return Config.fromfile(str(path))
    except SyntaxError as err:
        where = f" (line {err.lineno})" if err.lineno else ""
        message = str(err.msg if err.msg else err).splitlines()[-1].strip()
        raise UserError(f"{path}: not a valid config: syntax error{where}: {message}") from None
    except Exception as err:  # mmengine runs the file: any exception of it is the config's
        message = " ".join(str(err).split()) or type(err).__name__
        raise UserError(f"{path}: not a valid config: {message}") from None
