"""``python -m evaltools.cli``: run the command line (as the ``evaltools`` console script does)."""

import sys

from evaltools.cli import main

sys.exit(main())
