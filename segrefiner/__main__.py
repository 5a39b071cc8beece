"""``python -m segrefiner``: the ``segrefiner`` command."""
from segrefiner.cli import entry_point

if __name__ == "__main__":
    entry_point()
