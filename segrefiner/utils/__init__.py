"""Utilities: safe checkpoint loading, one-line errors, atomic writes, fast-mode precision."""
