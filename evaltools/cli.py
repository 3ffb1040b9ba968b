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
from pathlib import Path

import evaltools.publish_cli as publish_cli
from evaltools import campaign_cli, init_cli, kpi_cli, leaderboard_cli, robustness_cli
from evaltools.cli_common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_USAGE,
    add_command,
    print_frame,
    require_file,
    run_reporting_errors,
    usage_error,
)
from evaltools.errors import UsageError

__all__ = ["COMMANDS", "build_parser", "main"]


def _add_validate(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", metavar="PATH",
                   help="数据文件夹或单个文件 | a dataset folder or a single file")
    p.add_argument("--rubric", metavar="R",
                   help="评分细则 rubric.toml（默认：文件夹中的 rubric.toml）| "
                   "rubric.toml (default: the folder's)")
    p.add_argument("--lenient", action="store_true",
                   help="宽松模式：保留正确的行，并列出被拒绝的行 | lenient: keep good rows and "
                   "list the rejected ones")
    p.add_argument("--table", metavar="T",
                   help="单个文件时指定表名（默认按文件名判断）| table of a single file "
                   "(default: from its name)")
    p.add_argument("--sheet", metavar="S",
                   help="Excel 工作表名称（默认第一个）| Excel sheet name (default: the first)")


def _run_validate(args: argparse.Namespace, out) -> int:
    from evaltools.dataset import _load_rubric, _table_of, read_dataset
    from evaltools.io import read_table, read_wjx
    from evaltools.schema import TABLES

    path = Path(args.path)
    if not path.exists():
        raise usage_error("找不到路径", "path not found", path=path, rule="path_not_found")
    require_file(args.rubric, zh="找不到评分细则", en="rubric not found")
    if path.is_dir():
        ds = read_dataset(path, rubric=args.rubric, lenient=True)
        report, rejected = ds.report, ds.rejected
    else:
        rubric = _load_rubric(args.rubric, path.parent) if args.rubric else None
        table = args.table or _table_of(path)
        if table is None:
            allowed = ", ".join([*TABLES, "wjx"])
            raise usage_error(f"无法从文件名判断表名，请用 --table 指定（{allowed}）",
                              f"cannot tell the table from the file name; pass --table "
                              f"({allowed})", path=path, rule="unknown_table")
        if table == "wjx":
            res = read_wjx(path, rubric=rubric, sheet=args.sheet, lenient=True)
        else:
            if table not in TABLES:
                raise UsageError.choice("--table", table, [*TABLES, "wjx"])
            res = read_table(path, table, sheet=args.sheet, rubric=rubric, lenient=True)
        report, rejected = res.report, ({table: res.rejected} if res.rejected.height else {})
    print(str(report), file=out)
    if args.lenient and rejected:
        for table, frame in rejected.items():
            print(f"\n被拒绝的行 | rejected rows — {table}: {frame.height}", file=out)
            print_frame(frame.drop("_reason"), out)
    return EXIT_OK if report.ok else EXIT_PROBLEMS


#: name -> (help, add_arguments, run). Later work adds evaluate, publish, kpi, campaign …
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None],
                          Callable[[argparse.Namespace, object], int]]] = {
    "validate": ("检查数据文件夹或文件，列出所有问题 | check a dataset folder or file and list "
                 "every problem", _add_validate, _run_validate),
    "evaluate": leaderboard_cli.COMMAND,
    "publish": publish_cli.COMMAND,
    "kpi": kpi_cli.COMMAND,
    "robustness": robustness_cli.COMMAND,
    "campaign": campaign_cli.COMMAND,
    "init": init_cli.COMMAND,
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
