"""民情速递站 and 四联单 KPIs from the ticket log, on China's working-day calendar.
One job: the 民情速递站 / 四联单 KPIs of a ticket log (~950 lines because every KPI is
defined here with its choices, checked, prepared on the working-day calendar and aggregated).

A ticket (工单) is one resident's opinion or request: 居民点单 (``received_at``) → 社区党支部下单
(``dispatched_at``) → 党员干部接单 (``accepted_at``) → 反馈 (``responded_at``) → 办结
(``resolved_at``) → 群众评单 (``rating``). Street offices report 反馈率 and 办结率 (新安路街道 2020:
5231 items, 100 %, 91.6 %); this module computes them, and the KPIs below, per unit, courtyard,
community, street, category, channel and month, each printed with its definition and its choices
as parameters (:data:`KPI_NAMES`, :meth:`KpiResult.definitions`).

Working days follow :mod:`evaltools.workdays` (official holidays and 调休). With the default
``count_receipt_day=False`` the receipt day is day 0: a ticket received on Tuesday 2025-09-30 is
due for an answer within 2 working days by Friday 2025-10-10. A deadline is the end of its due
day (dates are compared, times of day are not).

The KPIs (``n`` = valid tickets received in the group):

* **反馈率** ``feedback_rate`` = answered by the feedback due date / tickets whose feedback is due
  (tickets not yet answered whose deadline is after ``as_of`` are left out of both).
* **办结率** ``closure_rate`` = closed / received (``closure="received"``, the newsletter's
  definition), or closed / tickets due for closure by ``as_of`` (``closure="due"``).
* **按期办结率** ``on_time_closure_rate`` = closed within ``closure_days`` working days / tickets
  due for closure (closed, or open past the deadline).
* **立即办理占比** ``immediate_share`` = tickets handled at once / received; a ticket is 立即办理
  when its status says so, or when it is closed without ever being dispatched or accepted.
* **积压** ``backlog`` = tickets still open (正在解决 …); **超期** ``overdue`` = closed after the
  closure deadline or still open past it at ``as_of`` (``overdue_share`` = overdue / due).
* **用时** median and 90th percentile (linear interpolation) working days per 四联单 stage:
  点单→下单, 下单→接单, 接单→办结, 点单→反馈 and 点单→办结 (``median_working_days``).
* **群众评单满意率** ``satisfaction_rate`` with the engine's definition
  (:func:`evaltools.ratings.satisfaction_rate`, ``satisfied`` = 满意 + 基本满意 by default).

Bad data is flagged, not silently dropped (:func:`check_tickets`): resolved or answered before
received, a stage before the previous one, closed without a resolution time, an unknown status,
a duplicated ticket id, no receipt time or no unit. Each flagged ticket is listed with its Excel
row and reason, left out of the KPIs, and counted in :attr:`KpiResult.excluded`.

Examples
--------
>>> import datetime as dt
>>> import polars as pl
>>> t = pl.DataFrame({
...     "ticket_id": ["T1", "T2", "T3", "T4"],
...     "unit_id": ["A", "A", "B", "B"],
...     "category": ["停车", "绿化", "停车", "停车"],
...     "channel": ["意见箱"] * 4,
...     "received_at": [dt.datetime(2025, 9, 30, 9)] * 3 + [dt.datetime(2025, 9, 29, 9)],
...     "responded_at": [dt.datetime(2025, 10, 10, 16), dt.datetime(2025, 10, 11, 9),
...                      dt.datetime(2025, 9, 30, 10), dt.datetime(2025, 9, 28, 9)],
...     "resolved_at": [dt.datetime(2025, 10, 20, 9), None, dt.datetime(2025, 9, 30, 10), None],
...     "status": ["已办结", "正在解决", "立即办理", "正在解决"],
...     "rating": ["满意", None, "不满意", None]})
>>> res = ticket_kpis(t, by="unit", as_of=dt.date(2025, 10, 31))
>>> res.table.select("unit_id", "received", "feedback_rate", "closure_rate", "backlog")
shape: (2, 5)
┌─────────┬──────────┬───────────────┬──────────────┬─────────┐
│ unit_id ┆ received ┆ feedback_rate ┆ closure_rate ┆ backlog │
│ ---     ┆ ---      ┆ ---           ┆ ---          ┆ ---     │
│ str     ┆ u32      ┆ f64           ┆ f64          ┆ u32     │
╞═════════╪══════════╪═══════════════╪══════════════╪═════════╡
│ A       ┆ 2        ┆ 0.5           ┆ 0.5          ┆ 1       │
│ B       ┆ 1        ┆ 1.0           ┆ 1.0          ┆ 0       │
└─────────┴──────────┴───────────────┴──────────────┴─────────┘

T1 was answered on 10 October, its due date (the 1st–8th were holidays); T2 on Saturday
11 October, a 调休 working day but the third one, so late. T4 was "answered" the day before it
was received: it is excluded, with its row and reason:

>>> res.excluded.select("row", "ticket_id", "rule")
shape: (1, 3)
┌─────┬───────────┬───────────────────────────┐
│ row ┆ ticket_id ┆ rule                      │
│ --- ┆ ---       ┆ ---                       │
│ i64 ┆ str       ┆ str                       │
╞═════╪═══════════╪═══════════════════════════╡
│ 5   ┆ T4        ┆ responded_before_received │
└─────┴───────────┴───────────────────────────┘
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
import polars as pl

from evaltools.errors import EvalToolsError, Problem, UsageError, require_columns
from evaltools.ratings import FOUR_LEVEL, satisfied_definition, to_value
from evaltools.workdays import Beyond, WorkCalendar, calendar_for, working_days

if TYPE_CHECKING:
    from evaltools.dataset import Dataset
    from evaltools.rubric import Criterion

__all__ = [
    "BY",
    "KPI_NAMES",
    "MEASURES",
    "STAGES",
    "STATUS_ALIASES",
    "KpiResult",
    "check_tickets",
    "excluded_problems",
    "funnel",
    "overdue_tickets",
    "prepare_tickets",
    "ticket_criterion_values",
    "ticket_kpis",
]

By = Literal["unit", "courtyard", "community", "street", "category", "channel", "month"]
#: Grouping keys → the column they group on.
BY: dict[str, str] = {"unit": "unit_id", "courtyard": "courtyard", "community": "community",
                      "street": "street", "category": "category", "channel": "channel",
                      "month": "month"}
BY_ZH = {"unit_id": "单位编号", "courtyard": "楼院", "community": "社区", "street": "街道",
         "category": "类别", "channel": "渠道", "month": "月份"}
Closure = Literal["received", "due"]
CLOSURE = ("received", "due")

#: Status text → ``closed`` / ``immediate`` / ``open``; normalised once, here (spaces ignored).
STATUS_ALIASES: dict[str, str] = {
    "已办结": "closed", "办结": "closed", "已完成": "closed", "完成": "closed", "已解决": "closed",
    "已处理": "closed", "closed": "closed", "resolved": "closed", "done": "closed",
    "立即办理": "immediate", "即时办理": "immediate", "当场办结": "immediate",
    "immediate": "immediate",
    "正在解决": "open", "正在办理": "open", "办理中": "open", "处理中": "open", "已受理": "open",
    "受理": "open", "待办": "open", "未办结": "open", "open": "open", "in_progress": "open",
}

#: The 四联单 stages timed in working days: name → (from column, to column, Chinese label).
STAGES: dict[str, tuple[str, str, str]] = {
    "dispatch": ("received_at", "dispatched_at", "点单→下单"),
    "accept": ("dispatched_at", "accepted_at", "下单→接单"),
    "resolve": ("accepted_at", "resolved_at", "接单→办结"),
    "feedback": ("received_at", "responded_at", "点单→反馈"),
    "total": ("received_at", "resolved_at", "点单→办结"),
}

#: KPI column → Chinese header.
KPI_NAMES: dict[str, str] = {
    "received": "收集件数",
    "closed": "已办结",
    "backlog": "正在解决（积压）",
    "immediate": "立即办理",
    "feedback_due": "应反馈件数",
    "feedback_on_time": "按时反馈件数",
    "feedback_rate": "反馈率",
    "closure_base": "办结率分母",
    "closure_rate": "办结率",
    "closure_due": "应办结件数",
    "closed_on_time": "按期办结件数",
    "on_time_closure_rate": "按期办结率",
    "immediate_share": "立即办理占比",
    "overdue": "超期件数",
    "overdue_share": "超期率",
    "rated": "评单件数",
    "satisfaction_rate": "群众评单满意率",
    **{f"{s}_days_median": f"{lab}用时中位数（工作日）" for s, (_, _, lab) in STAGES.items()},
    **{f"{s}_days_p90": f"{lab}用时90分位（工作日）" for s, (_, _, lab) in STAGES.items()},
}

#: Measures a rubric criterion with ``source = "tickets"`` may take → the KPI column and the
#: count reported as ``n`` (keep in sync with :data:`evaltools.rubric.TICKET_MEASURES`).
MEASURES: dict[str, tuple[str, str]] = {
    "feedback_rate": ("feedback_rate", "feedback_due"),
    "closure_rate": ("closure_rate", "closure_base"),
    "on_time_closure_rate": ("on_time_closure_rate", "closure_due"),
    "immediate_share": ("immediate_share", "received"),
    "backlog": ("backlog", "received"),
    "overdue": ("overdue", "closure_due"),
    "satisfaction_rate": ("satisfaction_rate", "rated"),
    "median_working_days": ("total_days_median", "closed"),
}
RATE_MEASURES = ("feedback_rate", "closure_rate", "on_time_closure_rate", "immediate_share",
                 "satisfaction_rate")

#: Rules of :func:`check_tickets`: rule → (excludes the ticket?, zh, en, fix zh, fix en).
RULES: dict[str, tuple[bool, str, str, str, str]] = {
    "duplicate_ticket_id": (True, "工单编号重复", "duplicated ticket id",
                            "每张工单只保留一行，或改正编号", "keep one row per ticket or fix the id"),
    "missing_ticket_id": (True, "缺少工单编号", "no ticket id", "填写工单编号", "fill in the id"),
    "missing_unit": (True, "缺少楼院编号", "no unit id", "填写楼院编号", "fill in the unit id"),
    "missing_received": (True, "缺少收集（点单）时间", "no receipt time",
                         "填写居民点单时间", "fill in the receipt time"),
    "unknown_status": (True, "办理状态无法识别", "unknown status",
                       "填写 已办结 / 正在解决 / 立即办理", "use 已办结 / 正在解决 / 立即办理"),
    "resolved_before_received": (True, "办结时间早于收集时间", "resolved before it was received",
                                 "核对两个时间", "check both times"),
    "responded_before_received": (True, "反馈时间早于收集时间", "answered before it was received",
                                  "核对两个时间", "check both times"),
    "dispatched_before_received": (True, "下单时间早于点单时间", "dispatched before it was received",
                                   "核对两个时间", "check both times"),
    "accepted_before_dispatched": (True, "接单时间早于下单时间", "accepted before it was dispatched",
                                   "核对两个时间", "check both times"),
    "closed_without_resolution": (True, "状态为已办结但没有办结时间",
                                  "closed without a resolution time",
                                  "填写办结时间，或把状态改为正在解决",
                                  "fill in the resolution time or set the status to 正在解决"),
    "unknown_rating": (False, "群众评单不是已知的评价等级（该评价不计入满意率，工单其余指标照常计算）",
                       "the rating is not a known label (left out of the satisfaction rate only)",
                       "改为 满意/基本满意/不太满意/不满意", "use one of the rating labels"),
    "rejected_on_read": (True, "读取时被拒绝", "rejected when the file was read",
                         "见读取报告", "see the validation report"),
}

# the canonical header each rule points at
_RULE_COLUMN = {
    "duplicate_ticket_id": "ticket_id", "missing_ticket_id": "ticket_id",
    "missing_unit": "unit_id", "missing_received": "received_at", "unknown_status": "status",
    "resolved_before_received": "resolved_at", "responded_before_received": "responded_at",
    "dispatched_before_received": "dispatched_at", "accepted_before_dispatched": "accepted_at",
    "closed_without_resolution": "resolved_at", "unknown_rating": "rating",
}
_TIME_COLUMNS = ("received_at", "dispatched_at", "accepted_at", "responded_at", "resolved_at")
_EXCLUDED_SCHEMA = pl.Schema({"row": pl.Int64(), "ticket_id": pl.String(), "rule": pl.String(),
                              "column": pl.String(), "value": pl.String(),
                              "excluded": pl.Boolean(), "reason_zh": pl.String(),
                              "reason_en": pl.String()})


# --------------------------------------------------------------------------------------------
# checking


def _fold_status(values: pl.Series) -> pl.Series:
    folded = values.cast(pl.String).str.strip_chars().str.replace_all(r"\s+", "") \
        .str.to_lowercase()
    return folded.replace_strict(STATUS_ALIASES, default=None, return_dtype=pl.String)


def _status_kind(frame: pl.DataFrame, col: str = "status") -> pl.Expr:
    """``closed`` / ``immediate`` / ``open`` / null per row: the aliases are folded on the
    distinct values only (a handful), then mapped onto the column."""
    distinct = frame.get_column(col).cast(pl.String).drop_nulls().unique()
    mapping = dict(zip(distinct.to_list(), _fold_status(distinct).to_list(), strict=True))
    return pl.col(col).cast(pl.String).replace_strict(mapping, default=None,
                                                      return_dtype=pl.String)


def _rating_value(frame: pl.DataFrame, labels: Mapping[str, float], col: str = "rating"
                  ) -> pl.Expr:
    """Rating label → value via the distinct labels (see :func:`evaltools.ratings.to_value`)."""
    distinct = frame.get_column(col).cast(pl.String).drop_nulls().unique()
    values = distinct.to_frame().select(to_value(pl.col(col), labels=labels)).to_series()
    mapping = dict(zip(distinct.to_list(), values.to_list(), strict=True))
    return pl.col(col).cast(pl.String).replace_strict(mapping, default=None,
                                                      return_dtype=pl.Float64)


def _duplicated(frame: pl.DataFrame, col: str) -> pl.Expr:
    """Whether the value occurs more than once; sorted ids (the usual export) need no hashing."""
    s = frame.get_column(col)
    if s.null_count() == 0 and s.is_sorted():
        return (pl.col(col) == pl.col(col).shift(1)).fill_null(False) | (
            pl.col(col) == pl.col(col).shift(-1)).fill_null(False)
    return pl.col(col).is_not_null() & pl.col(col).is_duplicated()


def _with_rows(tickets: pl.DataFrame, rejected_rows: Sequence[int] = ()) -> pl.DataFrame:
    """Add ``_row`` (Excel row) when absent: position + 2, skipping rows rejected on reading."""
    if "_row" in tickets.columns:
        return tickets.with_columns(pl.col("_row").cast(pl.Int64))
    n = tickets.height
    if rejected_rows:
        cand = np.arange(2, n + len(rejected_rows) + 2, dtype=np.int64)
        rows = np.setdiff1d(cand, np.asarray(rejected_rows, dtype=np.int64))[:n]
        return tickets.with_columns(_row=pl.Series(rows))
    return tickets.with_columns(_row=pl.int_range(2, n + 2, dtype=pl.Int64))


def _ensure_columns(tickets: pl.DataFrame) -> pl.DataFrame:
    require_columns(tickets, ("ticket_id", "unit_id", "received_at", "status"),
                    what_zh="工单表", what_en="the tickets table",
                    fix_zh="见 docs/data-format.md 的 tickets 表",
                    fix_en="see the tickets table in docs/data-format.md")
    add = []
    for c in (*_TIME_COLUMNS, "category", "channel", "rating"):
        if c not in tickets.columns:
            add.append(pl.lit(None, pl.Datetime("us") if c.endswith("_at") else pl.String)
                       .alias(c))
    out = tickets.with_columns(add) if add else tickets
    return out.with_columns(
        pl.col(c).cast(pl.Datetime("us")) for c in _TIME_COLUMNS
    ).with_columns(pl.col("ticket_id", "unit_id").cast(pl.String))


def check_tickets(tickets: pl.DataFrame, *, labels: Mapping[str, float] = FOUR_LEVEL,
                  rejected_rows: Sequence[int] = ()) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Flag bad tickets: ``(valid tickets, flags)``.

    ``flags`` has one row per ticket and reason: ``row`` (Excel row: the ``_row`` column when the
    frame has one, else position + 2 skipping ``rejected_rows``), ``ticket_id``, ``rule``,
    ``column``, ``value``, ``excluded`` and the reason in Chinese and English. Tickets with an
    excluding flag are left out of the valid tickets; an unknown rating only drops the rating.

    Examples
    --------
    >>> import datetime as dt
    >>> t = pl.DataFrame({"ticket_id": ["T1", "T1", "T2"], "unit_id": ["A", "A", "B"],
    ...     "received_at": [dt.datetime(2020, 5, 6)] * 3, "status": ["已办结", "已办结", "办完了"],
    ...     "resolved_at": [dt.datetime(2020, 5, 7), None, None]})
    >>> valid, flags = check_tickets(t)
    >>> valid.height, flags.select("row", "rule").rows()
    (0, [(2, 'duplicate_ticket_id'), (3, 'closed_without_resolution'), (3, 'duplicate_ticket_id'), (4, 'unknown_status')])
    """
    valid, flags = _check_tickets(tickets, labels=labels, rejected_rows=rejected_rows)
    return valid.drop("_kind", "_rating_value"), flags


def _check_tickets(tickets: pl.DataFrame, *, labels: Mapping[str, float] = FOUR_LEVEL,
                   rejected_rows: Sequence[int] = ()) -> tuple[pl.DataFrame, pl.DataFrame]:
    """:func:`check_tickets`, the valid tickets keeping ``_kind`` (closed / immediate / open)
    and ``_rating_value`` (null for no or an unknown rating) for :func:`prepare_tickets`."""
    t = _with_rows(_ensure_columns(tickets), rejected_rows)
    t = t.with_columns(_kind=_status_kind(t), _rating_value=_rating_value(t, labels))
    checks: dict[str, pl.Expr] = {
        "missing_ticket_id": pl.col("ticket_id").is_null(),
        "duplicate_ticket_id": _duplicated(t, "ticket_id"),
        "missing_unit": pl.col("unit_id").is_null(),
        "missing_received": pl.col("received_at").is_null(),
        "unknown_status": pl.col("_kind").is_null(),
        "resolved_before_received": pl.col("resolved_at") < pl.col("received_at"),
        "responded_before_received": pl.col("responded_at") < pl.col("received_at"),
        "dispatched_before_received": pl.col("dispatched_at") < pl.col("received_at"),
        "accepted_before_dispatched": pl.col("accepted_at") < pl.col("dispatched_at"),
        "closed_without_resolution": ((pl.col("_kind") == "closed")
                                      & pl.col("resolved_at").is_null())
        | ((pl.col("_kind") == "immediate") & pl.col("resolved_at").is_null()
           & pl.col("responded_at").is_null()),
        "unknown_rating": pl.col("rating").is_not_null() & pl.col("_rating_value").is_null(),
    }
    flagged = t.select("_row", "ticket_id", **{k: v.fill_null(False) for k, v in checks.items()})
    parts = []
    for rule in checks:  # a loop over rules, not rows
        hit = flagged.filter(pl.col(rule))
        if hit.height == 0:
            continue
        excl, zh, en, _, _ = RULES[rule]
        column = _RULE_COLUMN[rule]
        vals = t.join(hit.select("_row"), on="_row", how="semi").select(
            "_row", pl.col(column).cast(pl.String).alias("value"))
        if rule == "duplicate_ticket_id":
            others = (t.filter(pl.col("ticket_id").is_duplicated() & pl.col("ticket_id")
                               .is_not_null())
                      .group_by("ticket_id").agg(pl.col("_row").cast(pl.String).str.join("、")
                                                 .alias("_rows")))
            detail = vals.join(t.select("_row", "ticket_id"), on="_row").join(
                others, on="ticket_id", how="left").select(
                "_row", pl.format("（第{}行）", "_rows").alias("_zh"),
                pl.format(" (rows {})", "_rows").alias("_en"))
        else:
            detail = vals.select("_row", pl.lit("").alias("_zh"), pl.lit("").alias("_en"))
        parts.append(vals.join(detail, on="_row").join(t.select("_row", "ticket_id"), on="_row")
                     .select(pl.col("_row").alias("row"), "ticket_id", pl.lit(rule).alias("rule"),
                             pl.lit(column).alias("column"), "value",
                             pl.lit(excl).alias("excluded"),
                             (pl.lit(zh) + pl.col("_zh")).alias("reason_zh"),
                             (pl.lit(en) + pl.col("_en")).alias("reason_en")))
    flags = (pl.concat(parts).cast(_EXCLUDED_SCHEMA).sort("row", "rule") if parts
             else pl.DataFrame(schema=_EXCLUDED_SCHEMA))
    bad_rows = flags.filter("excluded").select(pl.col("row").alias("_row")).unique()
    valid = t.join(bad_rows, on="_row", how="anti", maintain_order="left") if bad_rows.height \
        else t
    bad_rating = flags.filter(pl.col("rule") == "unknown_rating").select(
        pl.col("row").alias("_row"), pl.lit(True).alias("_bad_rating"))
    if bad_rating.height:
        valid = valid.join(bad_rating, on="_row", how="left", maintain_order="left").with_columns(
            rating=pl.when(pl.col("_bad_rating")).then(None).otherwise("rating")).drop(
            "_bad_rating")
    return valid, flags


def excluded_problems(flags: pl.DataFrame, *, file: str | None = None,
                      headers: Mapping[str, str] | None = None) -> tuple[Problem, ...]:
    """The flags as :class:`~evaltools.errors.Problem` objects (zh + en, row, column, fix)."""
    headers = dict(headers or {})
    out = []
    for row, _tid, rule, column, value, _ex, zh, en in flags.iter_rows():  # problems to print
        _, _, _, fix_zh, fix_en = RULES[rule]
        out.append(Problem(file, row, headers.get(column, column), value, rule, zh, en,
                           fix_zh, fix_en))
    return tuple(out)


# --------------------------------------------------------------------------------------------
# preparing


def _day_index(frame: pl.DataFrame, col: str, calendar: WorkCalendar
               ) -> tuple[np.ndarray, np.ndarray]:
    """(row of the calendar table, present?) for a datetime column, as numpy arrays."""
    s = frame.get_column(col)
    present = s.is_not_null().to_numpy()
    raw = s.to_physical().fill_null(0).to_numpy().astype(np.int64, copy=False)
    if isinstance(s.dtype, pl.Datetime):  # integer division of the timestamps: no cast per row
        raw = raw // {"us": 86_400_000_000, "ns": 86_400_000_000_000, "ms": 86_400_000}[
            s.dtype.time_unit]
    idx = raw - calendar.offset
    outside = present & ((idx < 0) | (idx >= len(calendar.days)))
    if outside.any():  # calendar_for covers the data: only a user-built calendar gets here
        calendar.is_workday(s.filter(pl.Series(outside)).cast(pl.Date))
    return np.where(present, idx, 0), present


def prepare_tickets(valid: pl.DataFrame, *, calendar: WorkCalendar,
                    units: pl.DataFrame | None = None, feedback_days: int = 2,
                    count_receipt_day: bool = False, closure_days: int = 15,
                    as_of: dt.date | None = None, labels: Mapping[str, float] = FOUR_LEVEL,
                    satisfied: Sequence[str | float] = ("满意", "基本满意")) -> pl.DataFrame:
    """Valid tickets plus one column per KPI ingredient (vectorised; see the module doc).

    Adds ``street``/``community``/``courtyard`` (from ``units``), ``month`` (``2020-10``),
    ``is_closed``, ``is_immediate``, ``feedback_due_date``, ``is_feedback_due``,
    ``is_feedback_on_time``, ``closure_due_date``, ``is_closure_due``, ``is_closed_on_time``,
    ``is_overdue``, ``is_rated``, ``is_satisfied`` and ``<stage>_days`` per :data:`STAGES`.
    The working-day arithmetic is numpy fancy indexing into the calendar's lookup table.
    """
    from evaltools.ratings import satisfied_values

    sat_values = satisfied_values(satisfied, labels)
    # from _check_tickets when called by ticket_kpis (status and labels mapped once)
    t = valid
    if "_kind" not in t.columns:
        t = t.with_columns(_kind=_status_kind(t))
    if "_rating_value" not in t.columns:
        t = t.with_columns(_rating_value=_rating_value(t, labels))
    t = t.with_columns(
        is_closed=pl.col("_kind").is_in(["closed", "immediate"]),
        is_immediate=(pl.col("_kind") == "immediate")
        | ((pl.col("_kind") == "closed") & pl.col("dispatched_at").is_null()
           & pl.col("accepted_at").is_null()),
    ).with_columns(
        # 立即办理: answered and resolved at once
        resolved_at=pl.when(pl.col("is_immediate")).then(
            pl.coalesce("resolved_at", "responded_at")).otherwise("resolved_at"),
        responded_at=pl.when(pl.col("is_immediate")).then(
            pl.coalesce("responded_at", "resolved_at")).otherwise("responded_at"),
    )
    ordinal = calendar.ordinal
    index = {c: _day_index(t, c, calendar) for c in _TIME_COLUMNS}
    stage_days = {}
    for s, (a, b, _) in STAGES.items():  # five stages
        (ia, pa), (ib, pb) = index[a], index[b]
        stage_days[f"{s}_days"] = pl.Series(
            np.ma.masked_array((ordinal[ib] - ordinal[ia]).astype(np.int32), ~(pa & pb)))
    rec, rec_present = index["received_at"]
    due = {
        name: pl.Series(calendar._add_at(rec, n, count_start=count_receipt_day)).cast(pl.Date)
        for name, n in (("feedback_due_date", feedback_days), ("closure_due_date", closure_days))
    }
    # "2020-10" per calendar day, gathered (formatting a million timestamps is slower)
    month = (calendar._month_labels().gather(rec).alias("month") if rec_present.all()
             else pl.col("received_at").dt.strftime("%Y-%m").alias("month"))
    as_of_day = pl.lit(as_of, pl.Date)
    t = t.with_columns(
        month,
        **due,
        **stage_days,
    ).with_columns(
        is_feedback_on_time=(pl.col("responded_at").cast(pl.Date)
                             <= pl.col("feedback_due_date")).fill_null(False),
        is_closed_on_time=(pl.col("is_closed")
                           & (pl.col("resolved_at").cast(pl.Date) <= pl.col("closure_due_date"))
                           ).fill_null(False),
        is_feedback_due=pl.col("responded_at").is_not_null()
        | (pl.col("feedback_due_date") < as_of_day),
        is_closure_due=pl.col("is_closed") | (pl.col("closure_due_date") < as_of_day),
        is_rated=pl.col("_rating_value").is_not_null(),
        is_satisfied=pl.col("_rating_value").is_in(sat_values).fill_null(False),
    ).with_columns(
        is_overdue=pl.col("is_closure_due") & ~pl.col("is_closed_on_time"),
    )
    if units is not None:
        keep = [c for c in ("name", "street", "community", "courtyard") if c in units.columns]
        t = t.join(units.select(pl.col("unit_id").cast(pl.String), *keep), on="unit_id",
                   how="left", maintain_order="left")
    return t.drop("_kind", "_rating_value")


# --------------------------------------------------------------------------------------------
# aggregating


def _agg_exprs() -> list[pl.Expr]:
    exprs = [
        pl.len().alias("received"),
        pl.col("is_closed").sum().alias("closed"),
        (~pl.col("is_closed")).sum().alias("backlog"),
        pl.col("is_immediate").sum().alias("immediate"),
        pl.col("is_feedback_due").sum().alias("feedback_due"),
        (pl.col("is_feedback_due") & pl.col("is_feedback_on_time")).sum().alias(
            "feedback_on_time"),
        pl.col("is_closure_due").sum().alias("closure_due"),
        pl.col("is_closed_on_time").sum().alias("closed_on_time"),
        pl.col("is_overdue").sum().alias("overdue"),
        pl.col("is_rated").sum().alias("rated"),
        (pl.col("is_rated") & pl.col("is_satisfied")).sum().alias("_satisfied"),
    ]
    return exprs  # the stage medians and 90th percentiles: _stage_percentiles


def _grouped_quantiles(values: np.ndarray, gid: np.ndarray, groups: int,
                       qs: Sequence[float], *, present: np.ndarray | None = None
                       ) -> list[np.ndarray]:
    """Quantiles of integer ``values`` per group ``gid`` (0..groups−1), linear interpolation.

    With the values sorted in a group of n, h = q·(n − 1), j = ⌊h⌋: x[j] + (h − j)·(x[j+1] − x[j])
    (polars' ``quantile(q, interpolation="linear")``; the median is q = 0.5). NaN for an empty
    group. Values where ``present`` is False (nulls) are left out. Working days are small
    integers, so the sorted values come from value counts: one ``bincount`` of (group, value),
    the absent values in a spare last slot, and a cumulative count per group; x[j] is the
    smallest value whose cumulative count exceeds j. A very wide range of values (bad dates)
    falls back to one sort by (group, value).

    Examples
    --------
    >>> v = np.array([3, 1, 2, 10, 4, 4])
    >>> g = np.array([0, 0, 0, 0, 1, 1])
    >>> [q.tolist() for q in _grouped_quantiles(v, g, 3, (0.5, 0.75))]
    [[2.5, 4.0, nan], [4.75, 4.0, nan]]

    Group 0 sorted is 1, 2, 3, 10: the median is halfway between 2 and 3; for q = 0.75,
    h = 2.25, a quarter of the way from 3 to 10. Group 2 has no values.
    """
    out = [np.full(groups, np.nan) for _ in qs]
    if present is not None and not present.all():
        if not present.any():
            return out
    else:
        present = None
    if values.size == 0 or groups == 0:
        return out
    values = values.astype(np.int64, copy=False)
    gid = gid.astype(np.int64, copy=False)
    # the range of all entries (absent ones too) covers the present values: a wider range only
    # adds empty slots; callers fill absent entries with a value in range
    lo, hi = int(values.min()), int(values.max())
    width = hi - lo + 1
    if groups * width <= max(4 * values.size, 1 << 20):
        slot = values - lo
        if present is not None:
            slot[~present] = width  # a spare slot past the values: never counted
        counts = np.bincount(gid * (width + 1) + slot, minlength=groups * (width + 1))
        cum = np.cumsum(counts.reshape(groups, width + 1)[:, :width], axis=1)
        n = cum[:, -1]

        def at(pos: np.ndarray) -> np.ndarray:  # the value at sorted position pos per group
            return lo + (cum <= pos[:, None]).sum(axis=1)
    else:
        if present is not None:
            values, gid = values[present], gid[present]
        n = np.bincount(gid, minlength=groups)
        order = np.lexsort((values, gid))
        start = np.concatenate([[0], np.cumsum(n)[:-1]])
        sorted_values = values[order]

        def at(pos: np.ndarray) -> np.ndarray:
            return sorted_values[np.minimum(start + pos, values.size - 1)]
    has = n > 0
    for q, res in zip(qs, out, strict=True):
        h = (n - 1) * q
        j = np.floor(h).astype(np.int64)
        x0 = at(j)
        x1 = at(np.minimum(j + 1, n - 1))
        res[has] = (x0 + (h - j) * (x1 - x0))[has]
    return out


def _stage_percentiles(prepared: pl.DataFrame, gid: np.ndarray, groups: int) -> list[pl.Series]:
    """``<stage>_days_median`` and ``<stage>_days_p90`` per group (see
    :func:`_grouped_quantiles`); ``gid`` is each prepared ticket's row in the grouped table."""
    cols = []
    for s in STAGES:  # five stages
        days = prepared.get_column(f"{s}_days")
        present = days.is_not_null().to_numpy() if days.null_count() else None
        fill = days.min() if present is not None and present.any() else 0
        med, p90 = _grouped_quantiles(days.fill_null(fill).to_numpy(), gid, groups, (0.5, 0.9),
                                      present=present)
        cols += [pl.Series(f"{s}_days_median", med, nan_to_null=True),
                 pl.Series(f"{s}_days_p90", p90, nan_to_null=True)]
    return cols


def _ratio(num: str, den: str) -> pl.Expr:
    return pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den)).otherwise(None)


def _finish_table(g: pl.DataFrame | pl.LazyFrame, keys: list[str], closure: str):
    return g.with_columns(
        closure_base=pl.col("received") if closure == "received" else pl.col("closure_due"),
    ).with_columns(
        feedback_rate=_ratio("feedback_on_time", "feedback_due"),
        closure_rate=_ratio("closed", "closure_base"),
        on_time_closure_rate=_ratio("closed_on_time", "closure_due"),
        immediate_share=_ratio("immediate", "received"),
        overdue_share=_ratio("overdue", "closure_due"),
        satisfaction_rate=_ratio("_satisfied", "rated"),
    ).select(*keys, *KPI_NAMES)


@dataclass(frozen=True, eq=False)
class KpiResult:
    """KPIs of a ticket log, grouped; every number comes with its definition.

    table : one row per group: the keys, then the columns of :data:`KPI_NAMES`.
    by : the grouping columns (``unit_id``, ``street``, ``month`` …).
    tickets : the valid tickets with their KPI ingredients (:func:`prepare_tickets`).
    excluded : flagged tickets (``row``, ``ticket_id``, ``rule``, ``column``, ``value``,
        ``excluded``, ``reason_zh``, ``reason_en``); see :meth:`excluded_summary`.
    params : the choices used (feedback_days, count_receipt_day, closure, closure_days, as_of,
        satisfied).
    notes : zh | en sentences (calendar, exclusions, definitions of choice).
    problems : the flags as :class:`~evaltools.errors.Problem` (with the user's headers).
    """

    table: pl.DataFrame
    by: tuple[str, ...]
    tickets: pl.DataFrame
    excluded: pl.DataFrame
    params: dict
    notes: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    calendar: WorkCalendar | None = field(default=None, repr=False)

    def _replace(self, **kw: Any) -> KpiResult:
        return replace(self, **kw)

    def definitions(self) -> pl.DataFrame:
        """``measure``, ``指标``, ``定义`` (zh, with this run's parameters) and ``definition`` (en)."""
        p = self.params
        n, m = p["feedback_days"], p["closure_days"]
        day0 = "收集当天算第1个工作日" if p["count_receipt_day"] else "收集当天不计"
        day0_en = "the receipt day counts as day 1" if p["count_receipt_day"] else \
            "the receipt day does not count"
        sat = satisfied_definition(p["satisfied"])
        base_zh = "已办结 / 收集件数" if p["closure"] == "received" else \
            "已办结 / 应办结件数（已办结或已过办结期限）"
        base_en = "closed / received" if p["closure"] == "received" else \
            "closed / due (closed, or past the closure deadline)"
        rows = [
            ("feedback_rate", f"在 {n} 个工作日内（{day0}）反馈的件数 / 应反馈件数（已反馈或已过期限）",
             f"answered within {n} working days ({day0_en}) / tickets due for an answer "
             f"(answered or past the deadline)"),
            ("closure_rate", base_zh, base_en),
            ("on_time_closure_rate", f"在 {m} 个工作日内办结的件数 / 应办结件数",
             f"closed within {m} working days / tickets due for closure"),
            ("immediate_share", "立即办理件数（状态为立即办理，或未经下单、接单即办结）/ 收集件数",
             "handled at once (status 立即办理, or closed without dispatch or acceptance) / "
             "received"),
            ("backlog", "尚未办结（正在解决等）的件数", "tickets still open"),
            ("overdue", f"超过 {m} 个工作日办结期限仍未办结或逾期办结的件数（截至 {p['as_of']}）",
             f"closed after, or still open past, the {m}-working-day deadline (as of "
             f"{p['as_of']})"),
            ("overdue_share", "超期件数 / 应办结件数", "overdue / due for closure"),
            ("satisfaction_rate", f"群众评单满意率 = ({sat}) / 有评价的件数",
             f"rating satisfaction = ({sat}) / rated tickets"),
            *[(f"{s}_days_median",
               f"{lab} 经过的工作日数（起点当天不计）的中位数与90分位（线性插值）",
               f"median and 90th percentile (linear) of working days from "
               f"{a.removesuffix('_at')} to {b.removesuffix('_at')}, start day not counted")
              for s, (a, b, lab) in STAGES.items()],
        ]
        return pl.DataFrame(
            {"measure": [r[0] for r in rows],
             "指标": [KPI_NAMES[r[0]].replace("用时中位数（工作日）", "用时") for r in rows],
             "定义": [r[1] for r in rows], "definition": [r[2] for r in rows]})

    def excluded_summary(self) -> pl.DataFrame:
        """How many tickets were excluded, per reason: ``rule``, ``原因``, ``reason``, ``count``."""
        ex = self.excluded.filter("excluded")
        return (ex.group_by("rule").agg(pl.col("reason_zh").first().str.replace(r"（第.*$", ""),
                                        pl.col("reason_en").first().str.replace(r" \(rows.*$", ""),
                                        pl.col("row").n_unique().alias("count"))
                .rename({"reason_zh": "原因", "reason_en": "reason"})
                .sort("count", "rule", descending=[True, False]))

    @property
    def n_excluded(self) -> int:
        return self.excluded.filter("excluded")["row"].n_unique()

    def labelled_table(self) -> pl.DataFrame:
        """The table with Chinese headers (for printing and Excel)."""
        names = {**BY_ZH, **KPI_NAMES}
        return self.table.rename({c: names.get(c, c) for c in self.table.columns})

    def __str__(self) -> str:
        with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=400, fmt_str_lengths=80,
                       tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True):
            head = str(self.labelled_table())
            defs = str(self.definitions().select("指标", "定义"))
        return "\n".join([head, "指标定义 | definitions:", defs, *[f"- {n}" for n in self.notes]])


def _group_keys(by: str | Sequence[str] | None, has_units: bool) -> list[str]:
    if by is None:
        return []
    items = [by] if isinstance(by, str) else list(by)
    keys = []
    for b in items:
        b = b.strip()
        if b not in BY:
            raise UsageError.choice("by", b, BY)
        col = BY[b]
        if col in ("street", "community", "courtyard") and not has_units:
            raise UsageError(Problem(
                None, None, None, b, "needs_units",
                f"按 {b} 分组需要参评单位表（units）来对应楼院所属的街道、社区和楼院",
                f"grouping by {b} needs the units table to look up each unit's street, "
                f"community and courtyard", "传入 units=，或读取含 units.csv 的数据文件夹",
                "pass units= or read a dataset folder with units.csv"))
        if col not in keys:
            keys.append(col)
    return keys


def _unpack(data: Any, units: pl.DataFrame | None) -> tuple[pl.DataFrame, pl.DataFrame | None,
                                                             pl.DataFrame | None, str | None]:
    """(tickets, units, rejected-on-read rows, file name) from a Dataset or a frame."""
    if isinstance(data, pl.DataFrame):
        return data, units, None, None
    tickets = getattr(data, "tickets", None)
    if tickets is None:
        raise EvalToolsError(Problem(
            None, None, None, None, "no_tickets", "数据中没有工单表（tickets.csv / 民情工单.xlsx）",
            "the dataset has no tickets table (tickets.csv / 民情工单.xlsx)",
            "把工单台账放进数据文件夹，命名为 tickets 或 民情工单",
            "put the ticket log in the folder as tickets.* or 民情工单.*"))
    rejected = getattr(data, "rejected", {}).get("tickets")
    file = None
    report = getattr(data, "report", None)
    if report is not None:
        for c in report.counts:
            if c.table == "tickets":
                file = c.file
    return tickets, units if units is not None else getattr(data, "units", None), rejected, file


def ticket_kpis(
    data: Any,
    *,
    units: pl.DataFrame | None = None,
    by: By | str | Sequence[str] | None = "street",
    month: str | Sequence[str] | None = None,
    feedback_days: int = 2,
    count_receipt_day: bool = False,
    closure: Closure = "received",
    closure_days: int = 15,
    as_of: dt.date | dt.datetime | str | None = None,
    satisfied: Sequence[str | float] = ("满意", "基本满意"),
    labels: Mapping[str, float] = FOUR_LEVEL,
    holidays: Any = None,
    beyond: Beyond = "error",
) -> KpiResult:
    """反馈率, 办结率 and the other ticket KPIs, grouped (see the module doc for definitions).

    Parameters
    ----------
    data : a :class:`~evaltools.dataset.Dataset` (its ``tickets`` and ``units``) or a tickets
        frame with the canonical columns of :data:`evaltools.schema.TABLES` ``["tickets"]``.
    units : the units table, to group by courtyard / community / street (default: the
        dataset's).
    by : one or several of ``unit``, ``courtyard``, ``community``, ``street``, ``category``,
        ``channel``, ``month`` (a list, or a comma-separated string); None for one overall row.
    month : keep only tickets received in this month (``"2020-10"``) or months.
    feedback_days : the answer deadline in working days (民情速递站: 2).
    count_receipt_day : whether the receipt day is working day 1 (default: not counted).
    closure : 办结率 denominator: ``received`` (all tickets) or ``due`` (tickets due by as_of).
    closure_days : the closure deadline in working days for 按期办结率 and overdue (15 is a
        common 12345-hotline rule, not a fixed standard).
    as_of : the day deadlines are judged at (default: the latest time in the log).
    satisfied, labels : 满意率 definition and label values (as in :mod:`evaltools.ratings`).
    holidays, beyond : extra holidays/working days and what to do for years the calendar does
        not cover (:func:`evaltools.workdays.work_calendar`).
    """
    if closure not in CLOSURE:
        raise UsageError.choice("closure", closure, CLOSURE)
    for name, v in (("feedback_days", feedback_days), ("closure_days", closure_days)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 0:
            raise UsageError(Problem(None, None, None, v, "bad_days",
                                     f"参数 {name} 应为非负整数（工作日数）",
                                     f"argument {name} must be a non-negative integer (working "
                                     f"days)"))
    tickets, units, rejected, file = _unpack(data, units)
    if isinstance(by, str) and "," in by:
        by = [b for b in by.split(",") if b.strip()]
    keys = _group_keys(by, units is not None)
    rej_rows = (rejected["_row"].to_list() if rejected is not None and "_row" in rejected.columns
                else [])
    valid, flags = _check_tickets(tickets, labels=labels, rejected_rows=rej_rows)
    if rejected is not None and rejected.height:
        reason = (rejected["_reason"] if "_reason" in rejected.columns
                  else pl.Series([None] * rejected.height, dtype=pl.String))
        tid_col = next((c for c in rejected.columns if c in ("工单编号", "ticket_id", "编号",
                                                              "单号")), None)
        on_read = pl.DataFrame({
            "row": rejected["_row"].cast(pl.Int64),
            "ticket_id": rejected[tid_col].cast(pl.String) if tid_col else None,
            "rule": "rejected_on_read", "column": None,
            "value": None, "excluded": True,
            "reason_zh": reason.str.split(" | ").list.first(),
            "reason_en": reason.str.split(" | ").list.last(),
        }, schema=_EXCLUDED_SCHEMA)
        flags = pl.concat([flags, on_read]).sort("row", "rule")
    if month is not None:
        months = [month] if isinstance(month, str) else list(month)
        valid = valid.filter(pl.col("received_at").dt.strftime("%Y-%m").is_in(months))
    times = [valid[c] for c in _TIME_COLUMNS if valid[c].null_count() < valid.height]
    if as_of is None:
        # the time columns are datetimes (validated): their maxima are datetimes or None
        maxima = [cast(dt.datetime | None, s.max()) for s in times if s.len()]
        latest = [x for x in maxima if x is not None]
        as_of_d = max(latest).date() if latest else dt.date.today()
    elif isinstance(as_of, str):
        as_of_d = dt.date.fromisoformat(as_of[:10])
    elif isinstance(as_of, dt.datetime):
        as_of_d = as_of.date()
    else:
        as_of_d = as_of
    cal = calendar_for(*times, pl.Series([as_of_d]), holidays=holidays, beyond=beyond)
    prepared = prepare_tickets(valid, calendar=cal, units=units, feedback_days=feedback_days,
                               count_receipt_day=count_receipt_day, closure_days=closure_days,
                               as_of=as_of_d, labels=labels, satisfied=satisfied)
    if keys:  # the counts in one group_by, which also lists each group's rows
        g = (prepared.with_row_index("_row_index").group_by(keys)
             .agg(*_agg_exprs(), pl.col("_row_index")).sort(keys, nulls_last=True))
        gid = np.empty(prepared.height, np.int64)
        gid[g.get_column("_row_index").explode().to_numpy()] = np.repeat(
            np.arange(g.height), g.get_column("_row_index").list.len().to_numpy())
        g = g.drop("_row_index")
    else:
        g = prepared.select(_agg_exprs())
        gid = np.zeros(prepared.height, np.int64)
    g = g.with_columns(_stage_percentiles(prepared, gid, g.height))
    table = _finish_table(g, keys, closure)
    params = {"feedback_days": feedback_days, "count_receipt_day": count_receipt_day,
              "closure": closure, "closure_days": closure_days, "as_of": as_of_d,
              "satisfied": tuple(satisfied), "month": month}
    notes = list(cal.notes())
    n_ex = flags.filter("excluded")["row"].n_unique()
    if n_ex:
        summary = (flags.filter("excluded").group_by("rule").agg(pl.col("row").n_unique())
                   .sort("row", "rule", descending=[True, False]))
        zh = "，".join(f"{RULES[r][1]} {c}" for r, c in summary.iter_rows())
        en = ", ".join(f"{RULES[r][2]} {c}" for r, c in summary.iter_rows())
        notes.append(f"排除了 {n_ex} 张有问题的工单（{zh}），明细见 excluded | {n_ex} ticket(s) "
                     f"excluded ({en}); see excluded")
    else:
        notes.append("没有排除任何工单 | no ticket excluded")
    n_rating = flags.filter(pl.col("rule") == "unknown_rating").height
    if n_rating:
        notes.append(f"{n_rating} 条群众评单不是已知等级，未计入满意率 | {n_rating} rating(s) with "
                     f"unknown labels left out of the satisfaction rate")
    notes.append(f"满意率 = ({satisfied_definition(satisfied)}) / 有评价的件数 | satisfaction "
                 f"rate = ({satisfied_definition(satisfied)}) / rated tickets")
    from evaltools.schema import TABLES

    headers = {c.name: c.label for c in TABLES["tickets"].columns}
    return KpiResult(table=table, by=tuple(keys), tickets=prepared, excluded=flags,
                     params=params, notes=tuple(notes),
                     problems=excluded_problems(flags, file=file, headers=headers),
                     calendar=cal)


def overdue_tickets(result: KpiResult) -> pl.DataFrame:
    """The overdue list: closed late or open past the closure deadline, oldest deadline first.

    Columns: ``ticket_id``, ``unit_id`` (and street/courtyard when known), ``category``,
    ``received_at``, ``closure_due_date``, ``resolved_at``, ``status``, ``working_days_late``
    (working days from the due date to the resolution, or to ``as_of`` when still open).
    Residents' names, phones and rooms are not included.
    """
    t = result.tickets.filter("is_overdue")
    cal = result.calendar
    assert cal is not None  # ticket_kpis always sets it
    end = pl.coalesce(pl.col("resolved_at").cast(pl.Date), pl.lit(result.params["as_of"]))
    keep = [c for c in ("ticket_id", "unit_id", "name", "street", "courtyard", "category",
                        "channel", "received_at", "closure_due_date", "resolved_at", "status")
            if c in t.columns]
    return t.select(*keep, working_days("closure_due_date", end, calendar=cal)
                    .alias("working_days_late")).sort("closure_due_date", "ticket_id")


def funnel(result: KpiResult, by: str | None = None) -> pl.DataFrame:
    """Counts at the four 四联单 stages: 居民点单, 社区党支部下单, 党员干部接单, 群众评单.

    A 立即办理 ticket passes 下单 and 接单 (the 民情速递员 handled it at once). Columns: the key
    (optional), ``stage`` (1–4), ``阶段``, ``count``, ``share`` (of 居民点单).
    """
    t = result.tickets
    stages = {
        "居民点单": pl.len(),
        "社区党支部下单": (pl.col("dispatched_at").is_not_null() | pl.col("is_immediate")).sum(),
        "党员干部接单": (pl.col("accepted_at").is_not_null() | pl.col("is_immediate")).sum(),
        "群众评单": pl.col("is_rated").sum(),
    }
    keys = [BY.get(by, by)] if by else []
    g = (t.group_by(keys).agg(**stages) if keys else t.select(**stages))
    long = g.unpivot(index=keys, on=list(stages), variable_name="阶段", value_name="count")
    order = {s: i + 1 for i, s in enumerate(stages)}
    long = long.with_columns(stage=pl.col("阶段").replace_strict(order, return_dtype=pl.Int64),
                             count=pl.col("count").cast(pl.Int64))
    first = pl.col("count").filter(pl.col("stage") == 1).first()
    share = pl.col("count") / (first.over(keys) if keys else first)
    return long.with_columns(share=share).select(*keys, "stage", "阶段", "count", "share").sort(
        *keys, "stage")


# --------------------------------------------------------------------------------------------
# into the scores


def ticket_criterion_values(dataset: Dataset, criteria: Sequence[Criterion], notes: list[str], *,
                            labels: Mapping[str, float] = FOUR_LEVEL,
                            satisfied: Sequence[str | float] = ("满意", "基本满意"),
                            ) -> pl.DataFrame:
    """Values of rubric criteria with ``source = "tickets"``, per unit (for the scoring engine).

    Columns ``unit_id, criterion, rule, raw, n, value`` like the other sources; ``rule`` is the
    measure, ``n`` the count it rests on (see :data:`MEASURES`). KPIs use the defaults of
    :func:`ticket_kpis` (2 working days, receipt day not counted, 办结率 over received, 15
    working days to close); the notes say so.
    """
    empty = pl.DataFrame(schema={"unit_id": pl.String, "criterion": pl.String, "rule": pl.String,
                                 "raw": pl.List(pl.Float64), "n": pl.Int64, "value": pl.Float64})
    if not criteria:
        return empty
    for c in criteria:
        if c.measure not in MEASURES:
            raise UsageError.choice(f"criteria[{c.id}].measure", c.measure, MEASURES)
    if getattr(dataset, "tickets", None) is None:
        return empty  # every unit is missing → the rubric's missing-value policy decides
    res = ticket_kpis(dataset, by="unit", labels=labels, satisfied=satisfied,
                      units=getattr(dataset, "units", None))
    parts = []
    for c in criteria:
        col, n_col = MEASURES[cast(str, c.measure)]  # every measure checked above
        parts.append(res.table.select(
            pl.col("unit_id").cast(pl.String), pl.lit(c.id).alias("criterion"),
            pl.lit(c.measure).alias("rule"), pl.lit(None, pl.List(pl.Float64)).alias("raw"),
            pl.col(n_col).cast(pl.Int64).alias("n"), pl.col(col).cast(pl.Float64).alias("value")))
    p = res.params
    notes.append(
        f"工单指标：反馈期限 {p['feedback_days']} 个工作日（收集当天不计），办结率 = 已办结 / 收集件数，"
        f"办结期限 {p['closure_days']} 个工作日，截至 {p['as_of']}"
        f" | ticket KPIs: answer within {p['feedback_days']} working days (receipt day not "
        f"counted), closure rate = closed / received, {p['closure_days']} working days to close, "
        f"as of {p['as_of']}")
    notes.extend(n for n in res.notes if "排除" in n)
    return pl.concat(parts)
