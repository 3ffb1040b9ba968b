"""``python -m evaltools.cli``: run the command line (as the ``evaltools`` console script does)."""

from evaltools.cli import run

run()
