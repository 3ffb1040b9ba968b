"""The ``evaltools`` command line.

``evaltools validate PATH [--rubric R] [--lenient]`` reads a dataset folder (or one file) and prints
a summary per file (rows read / accepted / rejected) and every problem. Exit status: 0 when clean,
1 when problems were found, 2 for a usage error (bad arguments, missing path). A user's mistake
never produces a traceback.

Later commands (evaluate, publish, kpi, campaign, robustness) register with :func:`build_parser`
through the ``COMMANDS`` table (name → help): command ``NAME`` is the module
``evaltools.cli.NAME``, whose ``COMMAND`` is a ``(help, add_arguments, run)`` triple. Only the
module of the command being run is imported, and only its arguments are built (issue 17).

Examples
--------
>>> main(["validate", "/no/such/folder"])
2
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import os
import sys
from collections.abc import Collection, Sequence

# numpy's OpenBLAS starts a thread per core when numpy is imported, and each spins for 2**28
# cycles before it sleeps: ≈ 0.1 s of CPU per command on two cores (a third of `evaluate` on the
# sample) for no work. 2**4 cycles: the threads sleep at once; matrix products still use them.
# Set before numpy is imported; a value the user set is kept.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

from evaltools.cli.common import (
    EXIT_USAGE,
    Command,
    TerminalWriter,
    add_command,
    quiet_broken_pipe,
    run_reporting_errors,
    safe_console,
)

__all__ = ["COMMANDS", "build_parser", "command", "main", "run"]


#: name -> help (shown by ``evaltools --help``), in the order a competition uses them
COMMANDS: dict[str, str] = {
    "init": "从原始文件（评委评分表、问卷星导出）建立数据文件夹 | make a dataset folder from raw "
            "files (judges' workbooks, 问卷星 exports)",
    "validate": "检查数据文件夹或文件，列出所有问题 | check a dataset folder or file and list "
                "every problem",
    "evaluate": "评分排名并显示榜单前几名 | score and rank a dataset and print the top of the "
                "leaderboard",
    "publish": "发布榜单：离线网页公示、Excel、CSV、图表和海报 | publish the leaderboard: offline "
               "HTML notice, Excel, CSV, charts and a poster",
    "kpi": "民情速递站 / 四联单 指标：反馈率、办结率等（按工作日计算）| ticket KPIs (feedback and "
           "closure rates …) on China's working-day calendar",
    "robustness": "榜单有多可靠：名次区间、权重敏感性、SMAA 和评委一致性 | how sure is the "
                  "leaderboard: rank intervals, weight sensitivity, SMAA and judge agreement",
    "campaign": "晒最美投票统计、排名与存疑投票核查 | 晒最美 campaign statistics, rankings and "
                "vote integrity flags",
}


def command(name: str) -> Command:
    """The ``(help, add_arguments, run)`` triple of command ``name`` (its module imported now)."""
    return importlib.import_module(f"evaltools.cli.{name}").COMMAND


def build_parser(commands: Collection[str] = COMMANDS) -> argparse.ArgumentParser:
    """The ``evaltools`` parser, with the arguments of ``commands`` (default: all); the other
    commands are only listed, by name and help, so ``evaltools --help`` is the same either way."""
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
    for name, help_ in COMMANDS.items():
        if name in commands:
            add_command(sub, name, command(name))
        else:  # never parsed: listed in the help only
            sub.add_parser(name, help=help_, description=help_)
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
    argv = sys.argv[1:] if argv is None else argv
    # the command is the first word that is not an option (the top level has only -h)
    name = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser([name] if name in COMMANDS else [])
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 after --help
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return EXIT_USAGE
    return run_reporting_errors(args._run, args, sys.stdout)
