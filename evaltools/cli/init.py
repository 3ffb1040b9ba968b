"""``evaltools init RAW_FILE_OR_FOLDER… --out DIR [--force]``.

Looks at the raw files (judges' score workbooks, a units list, 问卷星 exports), copies them
untouched into ``DIR`` with a ``units.csv`` (when the score sheets give ids and names) and a draft
``rubric.toml`` (guesses commented, decisions marked 待确认 with defaults), and prints what it found
and what needs a decision (:func:`evaltools.importer.init_dataset`). Exit status: 0 done, 1 done
but the raw files have problems (listed), 2 usage error (e.g. ``DIR`` not empty without
``--force``).

Examples
--------
>>> import argparse
>>> from evaltools.cli.common import add_command
>>> parser = argparse.ArgumentParser(prog="evaltools")
>>> sub = parser.add_subparsers(dest="command")
>>> _ = add_command(sub, "init", COMMAND)
>>> args = parser.parse_args(["init", "a.xlsx", "raw/", "--out", "ds"])
>>> args.raw, args.out, args.force
(['a.xlsx', 'raw/'], 'ds', False)
"""

from __future__ import annotations

import argparse
from typing import Any

from evaltools.cli.common import EXIT_OK, EXIT_PROBLEMS, reporting_errors

__all__ = ["COMMAND", "HELP", "add_init_arguments", "run_init"]

HELP = ("从原始文件（评委评分表、问卷星导出）建立数据文件夹 | make a dataset folder from raw "
        "files (judges' workbooks, 问卷星 exports)")


def add_init_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``init`` arguments to an (already created) parser."""
    p.add_argument("raw", metavar="RAW_FILE_OR_FOLDER", nargs="+",
                   help="原始文件或文件夹（原样复制，不会被修改）| raw files or folders (copied "
                   "untouched)")
    p.add_argument("--out", metavar="DIR", required=True,
                   help="新的数据文件夹（须不存在或为空）| the new dataset folder (new or empty)")
    p.add_argument("--force", action="store_true",
                   help="允许写入非空文件夹 | write into a non-empty folder")


@reporting_errors
def run_init(args: argparse.Namespace, out: Any = None) -> int:
    """Run ``init``; returns the exit status. User mistakes are printed, never raised."""
    from evaltools.importer import init_dataset

    res = init_dataset(args.raw, args.out, overwrite=args.force)
    print(res.summary(), file=out)
    return EXIT_OK if res.ok else EXIT_PROBLEMS


#: entry for ``evaltools.cli.COMMANDS``: (help, add_arguments, run)
COMMAND = (HELP, add_init_arguments, run_init)
