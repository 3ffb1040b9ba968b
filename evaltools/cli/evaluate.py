"""``evaltools evaluate DATA [--rubric R] [--round N|all] [--method M] [--top N] [--out FILE]``.

Reads a dataset folder (:func:`evaltools.dataset.read_dataset`), evaluates it
(:func:`evaltools.evaluate`) and prints the top of the leaderboard and the notes. ``--out`` writes
the whole leaderboard: ``.csv`` (UTF-8 with a BOM, so Excel shows the Chinese headers),
``.xlsx`` (Chinese headers) or ``.parquet`` (canonical English columns). Exit status: 0 done,
1 problems in the data or rubric, 2 usage error.

Wiring: ``cli.command("evaluate")`` returns ``COMMAND`` (help, add_arguments, run), or
:func:`evaltools.cli.common.add_command` on an argparse subparsers object.

Examples
--------
>>> import argparse
>>> from evaltools.cli.common import add_command
>>> parser = argparse.ArgumentParser(prog="evaltools")
>>> sub = parser.add_subparsers(dest="command")
>>> _ = add_command(sub, "evaluate", COMMAND)
>>> args = parser.parse_args(["evaluate", "data/sample", "--round", "all", "--top", "5"])
>>> args.data, args.round, args.top
('data/sample', 'all', 5)
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from evaltools.cli import COMMANDS
from evaltools.cli.common import (
    EXIT_OK,
    add_data_arguments,
    board_frame,
    board_heading,
    load_dataset,
    output_file,
    print_frame,
    reporting_errors,
)

if TYPE_CHECKING:
    from evaltools.leaderboard import Leaderboard

__all__ = ["COMMAND", "HELP", "add_evaluate_arguments", "run_evaluate"]

HELP = COMMANDS["evaluate"]
OUT_SUFFIXES = (".csv", ".xlsx", ".parquet")


def add_evaluate_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``evaluate`` arguments to an (already created) parser."""
    add_data_arguments(p)
    p.add_argument("--method", metavar="M", default=None,
                   help="改用计分方法 points | weighted_sum | weighted_product | topsis | vikor "
                   "| override the rubric's method")
    p.add_argument("--top", metavar="N", type=int, default=10,
                   help="显示前 N 名（并列的全部显示），默认 10 | show ranks 1..N (ties kept), "
                   "default 10")
    p.add_argument("--out", metavar="FILE",
                   help="保存完整榜单：.csv / .xlsx / .parquet | write the whole leaderboard")


def write_leaderboard(lb: Leaderboard, path: Path) -> None:
    """Write the whole leaderboard to ``path`` (format from the suffix, see module doc); CSV and
    Excel go through :mod:`evaltools.publish`, so personal data is masked and formulas defused."""
    from evaltools import publish
    from evaltools.writing import atomic_open

    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".parquet":
        with atomic_open(path, "wb") as f:
            lb.table.write_parquet(f)
    elif suffix == ".csv":
        publish.write_csv(lb, path)
    else:
        publish.write_excel(lb, path)


def _print_top(lb: Leaderboard, n: int, out) -> None:
    table = lb.top(n) if n > 0 else lb.table
    dq = lb.table.filter(pl.col("disqualified"))
    shown = pl.concat([table, dq]).unique(maintain_order=True, subset="unit_id") \
        if dq.height else table
    print(board_heading(lb), file=out)
    print_frame(board_frame(lb, shown), out, str_len=40)
    for note in lb.notes:
        print(f"- {note}", file=out)


@reporting_errors
def run_evaluate(args: argparse.Namespace, out: Any = None) -> int:
    """Run ``evaluate``; returns the exit status. User mistakes are printed, never raised."""
    from evaltools.leaderboard import evaluate

    target = output_file(args, OUT_SUFFIXES)
    ds = load_dataset(args)
    lb = evaluate(ds, round=args.round)
    if args.method:
        lb = lb.with_method(args.method)
    _print_top(lb, args.top, out)
    if target is not None:
        write_leaderboard(lb, target)
        print(f"已保存 | written: {target}", file=out)
    return EXIT_OK


#: what ``evaltools.cli.command`` returns: (help, add_arguments, run)
COMMAND = (HELP, add_evaluate_arguments, run_evaluate)
