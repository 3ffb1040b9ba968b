"""The ``evaltools`` command line.

``evaltools validate PATH [--rubric R] [--lenient]`` reads a dataset folder (or one file) and prints
a summary per file (rows read / accepted / rejected) and every problem. Exit status: 0 when clean,
1 when problems were found, 2 for a usage error (bad arguments, missing path). A user's mistake
never produces a traceback.

Later commands (evaluate, publish, kpi, campaign, robustness) register with :func:`build_parser`
through the ``COMMANDS`` table: each is a ``(help, add_arguments, run)`` triple.

Examples
--------
>>> main(["validate", "/no/such/folder"])
2
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from evaltools.cli import campaign, evaluate, init, kpi, publish, robustness, validate
from evaltools.cli.common import EXIT_USAGE, add_command, run_reporting_errors

__all__ = ["COMMANDS", "build_parser", "main"]


#: name -> (help, add_arguments, run). Later work adds evaluate, publish, kpi, campaign …
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None],
                          Callable[[argparse.Namespace, object], int]]] = {
    "validate": validate.COMMAND,
    "evaluate": evaluate.COMMAND,
    "publish": publish.COMMAND,
    "kpi": kpi.COMMAND,
    "robustness": robustness.COMMAND,
    "campaign": campaign.COMMAND,
    "init": init.COMMAND,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evaltools",
        description="evaltools — 楼栋评比、群众满意度、民情速递站与晒最美的评估工具 | evaluation "
        "toolkit for street-office building competitions, satisfaction surveys, feedback "
        "tickets and 晒最美 campaigns",
        epilog="退出码 | exit status: 0 没有问题 clean, 1 发现问题 problems found, "
        "2 用法错误 usage error",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND",
                                title="命令 | commands")
    for name, command in COMMANDS.items():
        add_command(sub, name, command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (never raises for a user's mistake)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 after --help
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return EXIT_USAGE
    return run_reporting_errors(args._run, args, sys.stdout)
