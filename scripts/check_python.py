"""Fail early, with a clear message, when the interpreter is too old for evaltools."""

import sys

if sys.version_info < (3, 11):  # noqa: UP036 - this check runs under any python3
    sys.exit(
        f"evaltools 需要 Python 3.11 或更高版本，当前为 {sys.version.split()[0]}。"
        f" / evaltools needs Python >= 3.11, found {sys.version.split()[0]}. "
        "Run `make PYTHON=python3.11 ...`."
    )
