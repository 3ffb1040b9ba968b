"""``evaltools kpi DATA [--by street,category] [--month 2020-10] [--out FILE]``.

Reads a dataset folder (its ``tickets`` and ``units`` tables, leniently: bad rows are listed, not
fatal), computes the ticket KPIs (:func:`evaltools.kpi.ticket_kpis`) and prints the table with
Chinese headers, each KPI's definition, how many tickets were excluded and why, and the notes.
``--excluded`` also lists every excluded ticket with its Excel row. ``--out`` writes the table:
``.csv`` (UTF-8 with a BOM, Chinese headers), ``.xlsx`` (sheets 指标, 定义, 排除的工单) or
``.parquet`` (canonical English columns). Exit status: 0 done, 1 problems in the data (the KPIs
are still printed when some tickets were excluded), 2 usage error.

Examples
--------
>>> import argparse
>>> from evaltools.cli.common import add_command
>>> parser = argparse.ArgumentParser(prog="evaltools")
>>> sub = parser.add_subparsers(dest="command")
>>> _ = add_command(sub, "kpi", COMMAND)
>>> args = parser.parse_args(["kpi", "data/sample", "--by", "street,category",
...                           "--month", "2020-10"])
>>> args.data, args.by, args.month, args.feedback_days
('data/sample', 'street,category', ['2020-10'], 2)
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from evaltools.cli import COMMANDS
from evaltools.cli.common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    load_dataset,
    output_file,
    print_frame,
    reporting_errors,
    require_file,
    usage_error,
)
from evaltools.errors import EvalToolsError

if TYPE_CHECKING:
    from evaltools.kpi import KpiResult

__all__ = ["COMMAND", "HELP", "add_kpi_arguments", "run_kpi"]

HELP = COMMANDS["kpi"]
OUT_SUFFIXES = (".csv", ".xlsx", ".parquet")


def add_kpi_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``kpi`` arguments to an (already created) parser."""
    p.add_argument("data", metavar="DATA", help="数据文件夹（含 tickets 工单表）| dataset folder")
    p.add_argument("--by", default="street",
                   help="分组：unit, courtyard, community, street, category, channel, month，"
                   "逗号分隔；none 为不分组（默认 street）| group by, comma-separated; 'none' "
                   "for one row (default street)")
    p.add_argument("--month", action="append", metavar="YYYY-MM",
                   help="只统计该月收集的工单（可重复）| only tickets received in this month "
                   "(repeatable)")
    p.add_argument("--feedback-days", type=int, default=2, metavar="N",
                   help="反馈期限（工作日，默认 2）| answer deadline in working days (default 2)")
    p.add_argument("--count-receipt-day", action="store_true",
                   help="收集当天算第 1 个工作日（默认不计）| the receipt day counts as day 1")
    p.add_argument("--closure", choices=("received", "due"), default="received",
                   help="办结率分母：received 收集件数（默认）或 due 应办结件数 | closure-rate "
                   "denominator")
    p.add_argument("--closure-days", type=int, default=15, metavar="N",
                   help="办结期限（工作日，默认 15）| closure deadline in working days (default 15)")
    p.add_argument("--as-of", metavar="YYYY-MM-DD",
                   help="按哪一天判断是否超期（默认：台账中最晚的时间）| the day deadlines are "
                   "judged at (default: the latest time in the log)")
    p.add_argument("--satisfied", default="满意,基本满意",
                   help="满意率算作满意的等级，逗号分隔（默认 满意,基本满意）| labels counted as "
                   "satisfied")
    p.add_argument("--holidays", metavar="FILE",
                   help="节假日补充文件（日期, 类型[放假/上班]），见 docs/kpi.md | extra holidays "
                   "and working days")
    p.add_argument("--excluded", action="store_true",
                   help="列出每张被排除的工单及其行号 | list every excluded ticket with its row")
    p.add_argument("--out", metavar="FILE",
                   help="保存指标表：.csv / .xlsx / .parquet | write the KPI table")


def _format(table: pl.DataFrame) -> pl.DataFrame:
    rates = [c for c in table.columns if c.endswith("率") or c.endswith("占比")]
    return table.with_columns(
        pl.when(pl.col(c).is_null()).then(pl.lit("—"))
        .otherwise((pl.col(c) * 100).round(1, mode="half_away_from_zero").cast(pl.String) + "%")
        .alias(c) for c in rates)


def write_kpis(res: KpiResult, path: Path) -> None:
    """Write the KPI table (format from the suffix, see the module doc). Text a spreadsheet could
    run as a formula is defused (:func:`evaltools.publish.neutralize_frame`) in CSV and Excel,
    and Excel cells are written as strings, never formulas; the file replaces any old one in one
    rename (:func:`evaltools.writing.atomic_open`)."""
    from evaltools.publish import neutralize_frame
    from evaltools.writing import atomic_open

    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    with atomic_open(path, "wb") as f:
        if suffix == ".parquet":
            res.table.write_parquet(f)
        elif suffix == ".csv":
            neutralize_frame(res.labelled_table()).write_csv(f, include_bom=True)
        else:
            import xlsxwriter

            with xlsxwriter.Workbook(f, {"strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False}) as wb:
                neutralize_frame(res.labelled_table()).write_excel(
                    wb, worksheet="指标", autofit=True)
                neutralize_frame(res.definitions()).write_excel(
                    wb, worksheet="定义", autofit=True)
                neutralize_frame(res.excluded.drop("excluded").rename({
                    "row": "行号", "ticket_id": "工单编号", "rule": "规则", "column": "列",
                    "value": "值", "reason_zh": "原因", "reason_en": "reason"})).write_excel(
                    wb, worksheet="排除的工单", autofit=True)


@reporting_errors
def run_kpi(args: argparse.Namespace, out: Any = None) -> int:
    """Run ``kpi``; returns the exit status. User mistakes are printed, never raised."""
    from evaltools.kpi import ticket_kpis

    target = output_file(args, OUT_SUFFIXES)
    holidays = require_file(args.holidays, zh="找不到节假日补充文件",
                            en="holidays file not found")
    by = None if args.by.strip().lower() in ("", "none", "all", "无") else args.by
    satisfied = [s.strip() for s in args.satisfied.split(",") if s.strip()]
    ds = load_dataset(args, lenient=True, need=("tickets",))
    try:
        res = ticket_kpis(
            ds, by=by, month=args.month, feedback_days=args.feedback_days,
            count_receipt_day=args.count_receipt_day, closure=args.closure,
            closure_days=args.closure_days, as_of=args.as_of, satisfied=satisfied,
            holidays=holidays)
    except EvalToolsError:
        raise
    except ValueError as exc:  # e.g. a malformed --as-of
        raise usage_error("参数错误", "bad argument", value=str(exc)) from exc
    months = f" · {'、'.join(args.month)}" if args.month else ""
    print(f"民情速递站 / 四联单 指标 | ticket KPIs{months} · 截至 as of {res.params['as_of']}",
          file=out)
    print_frame(_format(res.labelled_table()), out)
    print("指标定义 | definitions:", file=out)
    print_frame(res.definitions().select("指标", "定义"), out)
    if res.n_excluded:
        print(f"排除的工单 | excluded tickets: {res.n_excluded}", file=out)
        print_frame(res.excluded_summary(), out)
        if args.excluded:
            print_frame(res.excluded.filter("excluded").select(
                pl.col("row").alias("行号"), pl.col("ticket_id").alias("工单编号"),
                pl.col("reason_zh").alias("原因"), pl.col("reason_en").alias("reason")), out)
    for note in res.notes:
        print(f"- {note}", file=out)
    if target is not None:
        write_kpis(res, target)
        print(f"已保存 | written: {target}", file=out)
    return EXIT_PROBLEMS if res.n_excluded else EXIT_OK


#: what ``evaltools.cli.command`` returns: (help, add_arguments, run)
COMMAND = (HELP, add_kpi_arguments, run_kpi)
