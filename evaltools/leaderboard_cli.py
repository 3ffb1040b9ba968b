"""``evaltools evaluate DATA [--rubric R] [--round N|all] [--method M] [--top N] [--out FILE]``.

Reads a dataset folder (:func:`evaltools.dataset.read_dataset`), evaluates it
(:func:`evaltools.evaluate`) and prints the top of the leaderboard and the notes. ``--out`` writes
the whole leaderboard: ``.csv`` (UTF-8 with a BOM, so Excel shows the Chinese headers),
``.xlsx`` (Chinese headers) or ``.parquet`` (canonical English columns). Exit status: 0 done,
1 problems in the data or rubric, 2 usage error.

Wiring: ``cli.COMMANDS["evaluate"] = COMMAND`` (help, add_arguments, run), or
:func:`add_evaluate_parser` on an argparse subparsers object.

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser(prog="evaltools")
>>> sub = parser.add_subparsers(dest="command")
>>> _ = add_evaluate_parser(sub)
>>> args = parser.parse_args(["evaluate", "data/sample", "--round", "all", "--top", "5"])
>>> args.data, args.round, args.top
('data/sample', 'all', 5)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import polars as pl

__all__ = ["COMMAND", "HELP", "add_evaluate_arguments", "add_evaluate_parser", "run_evaluate"]

HELP = ("评分排名并显示榜单前几名 | score and rank a dataset and print the top of the "
        "leaderboard")
OUT_SUFFIXES = (".csv", ".xlsx", ".parquet")
EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def _round_arg(text: str) -> int | str:
    if text == "all":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"轮次应为整数或 all，收到 {text!r} | round must be an integer or 'all'") from None


def add_evaluate_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``evaluate`` arguments to an (already created) parser."""
    p.add_argument("data", metavar="DATA", help="数据文件夹 | dataset folder")
    p.add_argument("--rubric", metavar="R",
                   help="评分细则 rubric.toml（默认：文件夹中的 rubric.toml）| rubric.toml "
                   "(default: the folder's)")
    p.add_argument("--round", metavar="N", type=_round_arg, default=None,
                   help="轮次：整数或 all（各轮平均）；默认最近一轮 | round: an integer or 'all' "
                   "(mean over rounds); default the latest")
    p.add_argument("--method", metavar="M", default=None,
                   help="改用计分方法 points | weighted_sum | weighted_product | topsis | vikor "
                   "| override the rubric's method")
    p.add_argument("--top", metavar="N", type=int, default=10,
                   help="显示前 N 名（并列的全部显示），默认 10 | show ranks 1..N (ties kept), "
                   "default 10")
    p.add_argument("--out", metavar="FILE",
                   help="保存完整榜单：.csv / .xlsx / .parquet | write the whole leaderboard")


def add_evaluate_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``evaluate`` on an argparse subparsers object; returns its parser."""
    p = subparsers.add_parser("evaluate", help=HELP, description=HELP)
    add_evaluate_arguments(p)
    p.set_defaults(_run=run_evaluate)
    return p


def write_leaderboard(lb: Any, path: Path) -> None:
    """Write the whole leaderboard to ``path`` (format from the suffix, see module doc)."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        lb.table.write_parquet(path)
        return
    table = lb.labelled_table()
    if suffix == ".csv":
        table.write_csv(path, include_bom=True)
    else:
        table.write_excel(path, worksheet="榜单", autofit=True)


def _print_top(lb: Any, n: int, out) -> None:
    crit = [c.id for c in lb.rubric.criteria]
    cols = ["rank_label", "unit_id", "name", "total", "grade", "stars", *crit, "movement"]
    table = lb.top(n) if n > 0 else lb.table
    dq = lb.table.filter(pl.col("disqualified"))
    shown = pl.concat([table, dq]).unique(maintain_order=True, subset="unit_id") \
        if dq.height else table
    view = lb._replace(table=shown.select(
        *(c for c in lb.table.columns if c in cols or c in ("rank", "disqualified"))))
    rnd = "" if lb.round is None else (" · 各轮平均 | all rounds" if lb.round == "all"
                                       else f" · 第{lb.round}轮 | round {lb.round}")
    print(f"{lb.rubric.name}{rnd} · {lb.rubric.method} · {lb.table.height} 个单位 | units",
          file=out)
    frame = view.labelled_table().drop("名次", "取消资格")
    with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=40, tbl_width_chars=400,
                   tbl_hide_dataframe_shape=True,
                   tbl_hide_column_data_types=True):
        print(frame, file=out)
    for note in lb.notes:
        print(f"- {note}", file=out)


def run_evaluate(args: argparse.Namespace, out: Any = None) -> int:
    """Run ``evaluate``; returns the exit status. User mistakes are printed, never raised."""
    from evaltools.dataset import read_dataset
    from evaltools.errors import EvalToolsError, ValidationError
    from evaltools.leaderboard import evaluate

    out = sys.stdout if out is None else out
    data = Path(args.data)
    if not data.is_dir():
        print(f"找不到数据文件夹 | dataset folder not found: {data}", file=sys.stderr)
        return EXIT_USAGE
    if args.rubric is not None and not Path(args.rubric).is_file():
        print(f"找不到评分细则 | rubric not found: {args.rubric}", file=sys.stderr)
        return EXIT_USAGE
    target = Path(args.out) if args.out else None
    if target is not None and target.suffix.lower() not in OUT_SUFFIXES:
        print(f"--out 只支持 {' / '.join(OUT_SUFFIXES)} | --out must end in one of "
              f"{OUT_SUFFIXES}: {target}", file=sys.stderr)
        return EXIT_USAGE
    try:
        ds = read_dataset(data, rubric=args.rubric)
        if ds.rubric is None:
            print("没有评分细则：请在文件夹中放 rubric.toml 或使用 --rubric | no rubric: put "
                  "rubric.toml in the folder or pass --rubric", file=sys.stderr)
            return EXIT_USAGE
        lb = evaluate(ds, round=args.round)
        if args.method:
            lb = lb.with_method(args.method)
    except ValidationError as exc:
        print(str(exc.report), file=out)
        return EXIT_PROBLEMS
    except EvalToolsError as exc:
        for p in exc.problems:
            print(f"- {p}", file=out)
        usage = exc.problems and exc.problems[0].rule == "bad_choice"
        return EXIT_USAGE if usage else EXIT_PROBLEMS
    _print_top(lb, args.top, out)
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_leaderboard(lb, target)
        print(f"已保存 | written: {target}", file=out)
    return EXIT_OK


#: entry for ``evaltools.cli.COMMANDS``: (help, add_arguments, run)
COMMAND = (HELP, add_evaluate_arguments, run_evaluate)
