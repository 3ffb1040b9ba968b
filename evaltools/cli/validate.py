"""The ``validate`` command: ``evaltools validate PATH [--rubric R] [--lenient]``.

Reads a dataset folder (or one file) and prints a summary per file (rows read / accepted /
rejected) and every problem. Exit status: 0 when clean, 1 when problems were found, 2 for a usage
error (bad arguments, missing path).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, cast

from evaltools.cli import COMMANDS
from evaltools.cli.common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    print_frame,
    require_file,
    usage_error,
)
from evaltools.errors import UsageError

if TYPE_CHECKING:
    from evaltools.io import TableName

__all__ = ["COMMAND", "HELP", "add_validate", "run_validate"]

HELP = COMMANDS["validate"]


def add_validate(p: argparse.ArgumentParser) -> None:
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


def run_validate(args: argparse.Namespace, out) -> int:
    from evaltools.dataset import load_rubric, read_dataset, table_of_file
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
        rubric = load_rubric(args.rubric, path.parent) if args.rubric else None
        table = args.table or table_of_file(path)
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
            res = read_table(path, cast("TableName", table), sheet=args.sheet, rubric=rubric,
                             lenient=True)  # a table name: checked just above
        report, rejected = res.report, ({table: res.rejected} if res.rejected.height else {})
    print(str(report), file=out)
    rubric = ds.rubric if path.is_dir() else rubric
    if rubric is not None:
        from evaltools.rubric import rubric_warnings

        warnings = rubric_warnings(rubric)
        if warnings:
            print(f"\n警告 | warnings: {len(warnings)}（不影响计分，公示页会缺少这些内容 | the "
                  "scores are not affected; the notice will lack these）", file=out)
            for w in warnings:
                print(f"- {w}", file=out)
    if args.lenient and rejected:
        for table, frame in rejected.items():
            print(f"\n被拒绝的行 | rejected rows — {table}: {frame.height}", file=out)
            print_frame(frame.drop("_reason"), out)
    return EXIT_OK if report.ok else EXIT_PROBLEMS


COMMAND = (HELP, add_validate, run_validate)
