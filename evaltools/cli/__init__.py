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
import contextlib
import gc
import os
import sys
from collections.abc import Callable, Sequence

# numpy's OpenBLAS starts a thread per core when numpy is imported, and each spins for 2**28
# cycles before it sleeps: ≈ 0.1 s of CPU per command on two cores (a third of `evaluate` on the
# sample) for no work. 2**4 cycles: the threads sleep at once; matrix products still use them.
# Set before numpy is imported; a value the user set is kept.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

from evaltools.cli import campaign, evaluate, init, kpi, publish, robustness, validate
from evaltools.cli.common import (
    EXIT_USAGE,
    TerminalWriter,
    add_command,
    quiet_broken_pipe,
    run_reporting_errors,
    safe_console,
)

__all__ = ["COMMANDS", "build_parser", "main", "run"]


#: name -> (help, add_arguments, run), in the order a competition uses them
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None],
                          Callable[[argparse.Namespace, object], int]]] = {
    "init": init.COMMAND,
    "validate": validate.COMMAND,
    "evaluate": evaluate.COMMAND,
    "publish": publish.COMMAND,
    "kpi": kpi.COMMAND,
    "robustness": robustness.COMMAND,
    "campaign": campaign.COMMAND,
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
    """Run the command line; returns the exit status (never raises for a user's mistake).

    Everything written to stdout and stderr while it runs — tables, messages, argparse's usage
    errors, warnings — goes through :func:`~evaltools.cli.common.terminal_safe`."""
    safe_console()
    with contextlib.redirect_stdout(TerminalWriter(sys.stdout)), \
            contextlib.redirect_stderr(TerminalWriter(sys.stderr)):
        status = _main(argv)
        try:  # what is still buffered: a reader that left (`| head -1`) is not an error
            sys.stdout.flush()
        except BrokenPipeError:
            quiet_broken_pipe()
    return status


def run() -> None:
    """The ``evaltools`` console script and ``python -m evaltools.cli``: :func:`main` on the
    process's arguments, then exit with its status.

    Before exiting, what is still alive is taken out of the cyclic garbage collector's view
    (:func:`gc.freeze`): the interpreter's shutdown otherwise runs a full collection over the
    several hundred thousand objects polars and numpy made at import — ≈ 0.04 s of CPU per
    command, a tenth of ``evaluate`` on the sample — only to free memory the process is about to
    give back anyway. Everything written was flushed and closed by then (objects are still freed
    by their reference counts). Only here, never in :func:`main`: a process that calls ``main``
    and goes on (tests, a notebook) keeps its garbage collector as it was.

    What the imports made is frozen before :func:`main` too: those objects live until the
    process ends, and every oldest-generation collection while the command runs would walk them
    again (``publish`` on the sample: one such collection, ≈ 0.014 s of CPU with the younger
    generations' share; 0.021 → 0.007 s in the collector).
    """
    gc.freeze()
    status = main()
    gc.freeze()
    sys.exit(status)


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 after --help
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return EXIT_USAGE
    return run_reporting_errors(args._run, args, sys.stdout)
