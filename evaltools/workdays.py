"""China's working-day calendar (工作日), with 调休, as one vectorised lookup table.

"Answered within 2 working days" follows the official calendar of the State Council: public
holidays are days off even on weekdays, and 调休 make-up days are working days even on weekends
(Sunday 2025-09-28 was a working day). The holidays come from the maintained ``chinese-calendar``
package, which knows the years up to its release (:data:`COVERED_YEARS`); a later year needs a
user file of extra holidays and working days (format in ``docs/kpi.md``), else an error names the
year and says how to supply it.

A :class:`WorkCalendar` is built once per range of years: for every calendar day it holds whether
it is a working day and its **working-day ordinal** (the number of working days from the start of
the table up to and including that day). Counting and adding working days then costs one array
lookup per ticket, never a Python call per ticket:

* working days in ``(a, b]`` (receipt day not counted) = ``ordinal[b] − ordinal[a]``;
* working days in ``[a, b]`` (receipt day counted) = ``ordinal[b] − ordinal[a] + workday[a]``;
* the due date ``n`` working days after ``a`` is the working day whose ordinal is
  ``ordinal[a] + n`` (or ``ordinal[a] − workday[a] + n`` when the receipt day counts).

Examples
--------
The 2025 National Day and Mid-Autumn holiday ran from 1 to 8 October; Sunday 28 September and
Saturday 11 October were make-up working days. A ticket received on Tuesday 30 September is due
two working days later, on Friday 10 October, when the receipt day does not count:

>>> import datetime as dt
>>> cal = work_calendar(dt.date(2025, 9, 1), dt.date(2025, 10, 31))
>>> cal.add_days([dt.date(2025, 9, 30)], 2)
array(['2025-10-10'], dtype='datetime64[D]')
>>> cal.add_days([dt.date(2025, 9, 30)], 2, count_start=True)  # the 30th is day 1
array(['2025-10-09'], dtype='datetime64[D]')
>>> cal.is_workday([dt.date(2025, 9, 28), dt.date(2025, 10, 1), dt.date(2025, 10, 11)])
array([ True, False,  True])

The same as polars expressions, for ``with_columns`` / ``group_by().agg()``:

>>> import polars as pl
>>> df = pl.DataFrame({"received": [dt.datetime(2025, 9, 30, 16, 5)],
...                    "answered": [dt.datetime(2025, 10, 9, 9, 30)]})
>>> df.select(days=working_days("received", "answered", calendar=cal),
...           due=add_working_days("received", 2, calendar=cal))
shape: (1, 2)
┌──────┬────────────┐
│ days ┆ due        │
│ ---  ┆ ---        │
│ i32  ┆ date       │
╞══════╪════════════╡
│ 1    ┆ 2025-10-10 │
└──────┴────────────┘
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

import numpy as np
import polars as pl

from evaltools.errors import EvalToolsError, Problem, UsageError

__all__ = [
    "COVERED_YEARS",
    "CalendarError",
    "WorkCalendar",
    "add_working_days",
    "calendar_for",
    "is_workday",
    "read_calendar_file",
    "work_calendar",
    "working_days",
]

Beyond = Literal["error", "weekends"]
#: extra holidays and working days: a file, a frame, or ``{date: is_working_day}``
Holidays = str | Path | pl.DataFrame | Mapping | None
BEYOND = ("error", "weekends")

#: Header aliases and kind aliases of the extra-holidays file (docs/kpi.md).
DATE_HEADERS = ("日期", "date", "day")
KIND_HEADERS = ("类型", "kind", "type", "安排")
NAME_HEADERS = ("说明", "名称", "name", "note", "备注")
KIND_ALIASES: dict[str, bool] = {  # → is a working day
    "放假": False, "休息": False, "假日": False, "节假日": False, "休": False,
    "holiday": False, "rest": False, "off": False,
    "上班": True, "调休上班": True, "补班": True, "工作日": True, "班": True,
    "workday": True, "work": True, "working": True,
}


def _covered_years() -> tuple[int, int]:
    import chinese_calendar

    years = [d.year for d in chinese_calendar.holidays]
    return min(years), max(years)


#: First and last year the installed ``chinese-calendar`` package knows.
COVERED_YEARS: tuple[int, int] = _covered_years()


class CalendarError(EvalToolsError):
    """A date falls in a year the working-day calendar does not cover (or the file is bad)."""


def _year_error(year: int, what: str | None = None) -> CalendarError:
    lo, hi = COVERED_YEARS
    seen_zh = f"（{what}）" if what else ""
    seen_en = f" ({what})" if what else ""
    return CalendarError(Problem(
        None, None, None, year, "calendar_year_not_covered",
        f"工作日日历没有 {year} 年的法定节假日和调休安排{seen_zh}；chinese-calendar 只覆盖 "
        f"{lo}–{hi} 年",
        f"the working-day calendar has no official holidays or make-up working days for "
        f"{year}{seen_en}; chinese-calendar covers {lo}-{hi}",
        f"请把 {year} 年国务院公布的全部放假日和调休上班日写进一个 CSV/Excel 文件（列：日期, "
        f"类型[放假/上班], 说明；格式见 docs/kpi.md），用 holidays=文件 或 --holidays 文件 传入；"
        f"或升级 chinese-calendar 包",
        f"list every official holiday and make-up working day of {year} in a CSV/Excel file "
        f"(columns 日期/date, 类型/kind [放假/holiday or 上班/workday], 说明/note; see "
        f"docs/kpi.md) and pass it as holidays=FILE or --holidays FILE; or upgrade the "
        f"chinese-calendar package",
    ))


# --------------------------------------------------------------------------------------------
# The extra-holidays file


def _pick(columns: Iterable[str], names: tuple[str, ...]) -> str | None:
    folded = {str(c).strip().lower(): c for c in columns}
    for n in names:
        if n.lower() in folded:
            return folded[n.lower()]
    return None


def _file_problem(file: str | None, row: int | None, column: str | None, value: object,
                  rule: str, zh: str, en: str, fix_zh: str, fix_en: str) -> Problem:
    return Problem(file, row, column, value, rule, zh, en, fix_zh, fix_en)


def read_calendar_file(path: str | Path | pl.DataFrame) -> dict[dt.date, bool]:
    """Read a file of extra holidays and working days: ``{date: is_working_day}``.

    The file (CSV in UTF-8 or GBK, or ``.xlsx``) has a header row and the columns ``日期``
    (``2027-01-01``), ``类型`` (``放假`` = day off, ``上班`` = working day, including 调休) and an
    optional ``说明``. English headers ``date``, ``kind``, ``note`` and kinds ``holiday`` /
    ``workday`` work too. Every problem is reported at once with its Excel row.

    Examples
    --------
    >>> import polars as pl
    >>> frame = pl.DataFrame({"日期": ["2027-01-01", "2027-02-06"], "类型": ["放假", "上班"]})
    >>> read_calendar_file(frame)
    {datetime.date(2027, 1, 1): False, datetime.date(2027, 2, 6): True}
    """
    file = None
    if isinstance(path, pl.DataFrame):
        frame = path
    else:
        p = Path(path)
        file = p.name
        if not p.is_file():
            raise CalendarError(_file_problem(
                file, None, None, str(p), "file_not_found", "找不到节假日补充文件",
                "the extra-holidays file does not exist", "检查文件路径", "check the path"))
        from evaltools.io import read_raw  # only io opens users' files

        frame = read_raw(p)
    date_col, kind_col = _pick(frame.columns, DATE_HEADERS), _pick(frame.columns, KIND_HEADERS)
    missing = [name for name, col in (("日期", date_col), ("类型", kind_col)) if col is None]
    if missing:
        raise CalendarError(_file_problem(
            file, 1, None, ", ".join(frame.columns), "missing_column",
            f"节假日补充文件缺少列：{'、'.join(missing)}",
            f"the extra-holidays file lacks column(s) {missing}",
            "表头应为：日期, 类型, 说明", "the header must be 日期/date, 类型/kind, 说明/note"))
    assert date_col is not None and kind_col is not None  # a missing one raised just above
    work = frame.select(
        pl.int_range(2, pl.len() + 2, dtype=pl.Int64).alias("_row"),
        pl.col(date_col).cast(pl.String).str.strip_chars().alias("_date_text"),
        pl.col(kind_col).cast(pl.String).str.strip_chars().alias("_kind_text"),
    ).filter(pl.col("_date_text").is_not_null() | pl.col("_kind_text").is_not_null())
    work = work.with_columns(
        _date=pl.coalesce(
            pl.col("_date_text").str.to_date("%Y-%m-%d", strict=False),
            pl.col("_date_text").str.to_date("%Y/%m/%d", strict=False),
            pl.col("_date_text").str.to_date("%Y%m%d", strict=False),
            pl.col("_date_text").str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)),
        _work=pl.col("_kind_text").str.to_lowercase().replace_strict(
            KIND_ALIASES, default=None, return_dtype=pl.Boolean),
    )
    problems = []
    bad_date = work.filter(pl.col("_date").is_null())
    problems += [_file_problem(
        file, r, date_col, v, "bad_date", "不是日期", "is not a date",
        "写成 2027-01-01", "write dates like 2027-01-01")
        for r, v in bad_date.select("_row", "_date_text").iter_rows()]
    bad_kind = work.filter(pl.col("_work").is_null())
    problems += [_file_problem(
        file, r, kind_col, v, "bad_kind", "不是“放假”或“上班”", "is neither 放假/holiday nor 上班/workday",
        "填写 放假 或 上班", "write 放假 (holiday) or 上班 (workday)")
        for r, v in bad_kind.select("_row", "_kind_text").iter_rows()]
    good = work.filter(pl.col("_date").is_not_null() & pl.col("_work").is_not_null())
    clash = good.filter(pl.col("_work").n_unique().over("_date") > 1)
    problems += [_file_problem(
        file, r, date_col, v, "conflicting_day", "同一天既写了放假又写了上班",
        "is listed both as a holiday and as a working day", "删除其中一行", "keep one of the rows")
        for r, v in clash.select("_row", "_date_text").iter_rows()]
    if problems:
        raise CalendarError(sorted(problems, key=lambda p: (p.row or 0, p.column or "")))
    return dict(good.unique("_date", keep="first", maintain_order=True)
                .select("_date", "_work").iter_rows())


# --------------------------------------------------------------------------------------------
# The table


_EPOCH = np.datetime64("1970-01-01", "D")


def _as_days(values: object) -> np.ndarray:
    """Dates, datetimes, strings or numpy datetime64 → numpy datetime64[D] (NaT for None)."""
    if isinstance(values, pl.Series):
        s = values
        if s.dtype == pl.Datetime or s.dtype == pl.Date:
            s = s.cast(pl.Date)
        return s.to_numpy().astype("datetime64[D]")
    arr = np.asarray(values)
    if arr.dtype.kind == "M":
        return arr.astype("datetime64[D]")
    return np.array([np.datetime64("NaT") if v is None else np.datetime64(v, "D")
                     for v in np.atleast_1d(arr)], dtype="datetime64[D]")


@dataclass(frozen=True, eq=False)
class WorkCalendar:
    """Working days of whole years ``years[0]``..``years[1]``: one row per calendar day.

    days : every day of the table (numpy ``datetime64[D]``, consecutive).
    workday : whether each day is a working day.
    ordinal : working days from the start of the table up to and including each day.
    workdays : the working days alone (``workdays[k - 1]`` has ordinal ``k``).
    supplied : years taken from the user's file rather than ``chinese-calendar``.
    assumed : years with neither, assumed Monday–Friday (``beyond="weekends"``).
    """

    years: tuple[int, int]
    days: np.ndarray
    workday: np.ndarray
    ordinal: np.ndarray
    workdays: np.ndarray
    supplied: tuple[int, ...] = ()
    assumed: tuple[int, ...] = ()

    @property
    def start(self) -> dt.date:
        return self.days[0].astype(dt.date)

    @property
    def end(self) -> dt.date:
        return self.days[-1].astype(dt.date)

    @property
    def offset(self) -> int:
        """Day number (days since 1970-01-01) of the first day of the table."""
        return int((self.days[0] - _EPOCH).astype(np.int64))

    def notes(self) -> tuple[str, ...]:
        """zh | en sentences saying where the calendar came from."""
        lo, hi = COVERED_YEARS
        out = [f"工作日按国务院公布的法定节假日和调休计算（chinese-calendar，{lo}–{hi} 年）"
               f" | working days follow China's official holidays and make-up days "
               f"(chinese-calendar, {lo}-{hi})"]
        if self.supplied:
            ys = "、".join(map(str, self.supplied))
            out.append(f"{ys} 年的节假日取自用户提供的补充文件 | holidays of {ys} come from the "
                       f"user's extra-holidays file")
        if self.assumed:
            ys = "、".join(map(str, self.assumed))
            out.append(f"{ys} 年没有节假日数据，按周一至周五上班计算 | no holiday data for {ys}: "
                       f"Monday-Friday assumed")
        return tuple(out)

    # -- numpy interface ------------------------------------------------------------------

    def _index(self, days: np.ndarray, what: str | None = None) -> np.ndarray:
        idx = (days - self.days[0]).astype(np.int64)
        ok = ~np.isnat(days)
        outside = ok & ((idx < 0) | (idx >= len(self.days)))
        if outside.any():
            year = int(days[outside].astype("datetime64[Y]").astype(np.int64).min() + 1970)
            if COVERED_YEARS[0] <= year <= COVERED_YEARS[1]:
                raise CalendarError(Problem(
                    None, None, None, year, "outside_calendar",
                    f"日期落在已建工作日表（{self.years[0]}–{self.years[1]} 年）之外",
                    f"a date falls outside the working-day table built for "
                    f"{self.years[0]}-{self.years[1]}",
                    "用 calendar_for(数据的日期列) 建表", "build the table with calendar_for(...) "
                    "over your date columns"))
            raise _year_error(year, what)
        return idx

    def is_workday(self, dates: object) -> np.ndarray:
        """Whether each date is a working day (numpy bool array)."""
        idx = self._index(_as_days(dates))
        return self.workday[idx]

    def count_days(self, start: object, end: object, *, count_start: bool = False) -> np.ndarray:
        """Working days from ``start`` to ``end``: in ``(start, end]``, or ``[start, end]``."""
        a, b = self._index(_as_days(start)), self._index(_as_days(end))
        out = self.ordinal[b] - self.ordinal[a]
        return out + self.workday[a] if count_start else out

    def add_days(self, start: object, n: int | np.ndarray, *,
                 count_start: bool = False) -> np.ndarray:
        """The day by which ``n`` working days have passed since ``start`` (the due date).

        ``n = 0`` gives ``start`` itself. With ``count_start`` the start day is working day 1
        when it is a working day.
        """
        return self._add_at(self._index(_as_days(start)), n, count_start=count_start)

    def _add_at(self, a: np.ndarray, n: int | np.ndarray, *, count_start: bool = False
                ) -> np.ndarray:
        """:meth:`add_days` for start days given as rows ``a`` of the table."""
        n = np.asarray(n)
        if (n < 0).any():
            raise UsageError(f"工作日天数不能为负：{n.min()}", f"working days must be >= 0: {n.min()}")
        k = self.ordinal[a] + n - (self.workday[a] if count_start else 0)
        if len(k) and k.max() > len(self.workdays):
            raise _year_error(self.years[1] + 1, "期限落在下一年 | a due date falls in the next year")
        due = self.workdays[np.maximum(k, 1) - 1]
        return np.where(n == 0, self.days[a], due)

    def _month_labels(self) -> pl.Series:
        """``"2020-10"`` for each day of the table (gather it with day rows)."""
        return pl.Series("month", np.datetime_as_string(self.days.astype("datetime64[M]"),
                                                        unit="M"), dtype=pl.String)

    def table(self) -> pl.DataFrame:
        """The lookup table as a frame: ``date``, ``workday``, ``ordinal``."""
        return pl.DataFrame({"date": self.days, "workday": self.workday,
                             "ordinal": self.ordinal})

    # -- polars interface -----------------------------------------------------------------

    def day_index(self, expr: str | pl.Expr) -> pl.Expr:
        """Row of the table for a date/datetime expression (null when null or outside)."""
        e = pl.col(expr) if isinstance(expr, str) else expr
        i = e.cast(pl.Date).cast(pl.Int32) - self.offset
        return pl.when((i >= 0) & (i < len(self.days))).then(i)


def _expr(e: str | pl.Expr) -> pl.Expr:
    return pl.col(e) if isinstance(e, str) else e


def is_workday(expr: str | pl.Expr, *, calendar: WorkCalendar) -> pl.Expr:
    """Whether a date/datetime column falls on a working day (null outside the calendar)."""
    return pl.lit(pl.Series(calendar.workday)).gather(calendar.day_index(_expr(expr)))


def working_days(start: str | pl.Expr, end: str | pl.Expr, *, calendar: WorkCalendar,
                 count_start: bool = False) -> pl.Expr:
    """Working days between two date/datetime columns (dates only; times of day are ignored).

    ``count_start=False``: the working days in ``(start, end]`` — an answer on the day of
    receipt takes 0 days, on the next working day 1. ``count_start=True``: in ``[start, end]``.
    Null outside the calendar: build it with :func:`calendar_for` over your data first.
    """
    ordinal = pl.lit(pl.Series(calendar.ordinal.astype(np.int32)))
    ia, ib = calendar.day_index(_expr(start)), calendar.day_index(_expr(end))
    out = ordinal.gather(ib) - ordinal.gather(ia)
    if count_start:
        out = out + pl.lit(pl.Series(calendar.workday)).gather(ia).cast(pl.Int32)
    return out


def add_working_days(start: str | pl.Expr, n: int | str | pl.Expr, *, calendar: WorkCalendar,
                     count_start: bool = False) -> pl.Expr:
    """The due date ``n`` working days after ``start`` (a ``pl.Date``; null past the table).

    See :meth:`WorkCalendar.add_days` for the rule; ``n`` may be a column.
    """
    ia = calendar.day_index(_expr(start))
    nn = (pl.lit(n) if isinstance(n, int) else _expr(n)).cast(pl.Int64)
    k = pl.lit(pl.Series(calendar.ordinal.astype(np.int64))).gather(ia) + nn
    if count_start:
        k = k - pl.lit(pl.Series(calendar.workday)).gather(ia).cast(pl.Int64)
    wd = pl.lit(pl.Series(calendar.workdays.astype("datetime64[D]")))
    k = pl.when(k <= len(calendar.workdays)).then(k)
    due = wd.gather((pl.max_horizontal(k, pl.lit(1)) - 1).cast(pl.Int64))
    return pl.when(nn == 0).then(_expr(start).cast(pl.Date)).otherwise(
        pl.when(k.is_not_null()).then(due))


# --------------------------------------------------------------------------------------------
# Building


def _official(days: np.ndarray) -> np.ndarray:
    """Official working-day flags for days of covered years, vectorised over the day array."""
    import chinese_calendar

    hol = np.array(sorted(chinese_calendar.holidays), dtype="datetime64[D]")
    make_up = np.array(sorted(chinese_calendar.workdays), dtype="datetime64[D]")
    weekday = ((days - np.datetime64("1970-01-05", "D")).astype(np.int64)) % 7 < 5  # Mon=0
    return (weekday & ~np.isin(days, hol)) | np.isin(days, make_up)


@functools.lru_cache(maxsize=32)
def _build(y0: int, y1: int, extra: frozenset[tuple[dt.date, bool]] | None,
           beyond: str) -> WorkCalendar:
    lo, hi = COVERED_YEARS
    extra_map = dict(extra or ())
    extra_years = {d.year for d in extra_map}
    days = np.arange(np.datetime64(f"{y0}-01-01", "D"), np.datetime64(f"{y1 + 1}-01-01", "D"))
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    covered = (years >= lo) & (years <= hi)
    weekday = ((days - np.datetime64("1970-01-05", "D")).astype(np.int64)) % 7 < 5
    flags = weekday.copy()
    if covered.any():
        flags[covered] = _official(days[covered])
    uncovered = sorted(set(range(y0, y1 + 1)) - set(range(lo, hi + 1)))
    supplied = tuple(y for y in uncovered if y in extra_years)
    assumed = tuple(y for y in uncovered if y not in extra_years)
    if assumed and beyond == "error":
        raise _year_error(assumed[0])
    if extra_map:
        ex_days = np.array(list(extra_map), dtype="datetime64[D]")
        ex_work = np.array(list(extra_map.values()), dtype=bool)
        inside = (ex_days >= days[0]) & (ex_days <= days[-1])
        flags[(ex_days[inside] - days[0]).astype(np.int64)] = ex_work[inside]
    ordinal = np.cumsum(flags, dtype=np.int64)
    return WorkCalendar((y0, y1), days, flags, ordinal, days[flags], supplied, assumed)


def _extra_key(holidays: Holidays) -> frozenset[tuple[dt.date, bool]] | None:
    if holidays is None:
        return None
    if isinstance(holidays, Mapping):
        out = {}
        for d, kind in holidays.items():
            day = d if isinstance(d, dt.date) and not isinstance(d, dt.datetime) else (
                d.date() if isinstance(d, dt.datetime) else dt.date.fromisoformat(str(d)))
            if isinstance(kind, bool):
                out[day] = kind
            elif str(kind).strip().lower() in KIND_ALIASES:
                out[day] = KIND_ALIASES[str(kind).strip().lower()]
            else:
                raise UsageError.choice("holidays 的类型 | kind", kind, ("放假", "上班"))
        return frozenset(out.items())
    return frozenset(read_calendar_file(holidays).items())


def work_calendar(start: dt.date | str, end: dt.date | str, *,
                  holidays: Holidays = None,
                  beyond: Beyond = "error") -> WorkCalendar:
    """The working-day calendar of the whole years from ``start`` to ``end``.

    Parameters
    ----------
    start, end : first and last date to cover (whole years are built; the table is cached).
    holidays : extra holidays and working days: a file (CSV/``.xlsx``, see
        :func:`read_calendar_file`), a frame with the same columns, or a mapping
        ``{date: "放假" | "上班" | bool}``. They override ``chinese-calendar`` on their dates and
        are the only source for years it does not cover.
    beyond : a year neither ``chinese-calendar`` nor the file covers: ``"error"`` (default) raises
        :class:`CalendarError` naming the year; ``"weekends"`` assumes Monday–Friday and says so
        in :meth:`WorkCalendar.notes`.

    Examples
    --------
    >>> cal = work_calendar("2099-03-01", "2099-03-31", holidays={"2099-03-02": "放假"})
    >>> cal.supplied, cal.is_workday(["2099-03-02", "2099-03-03"]).tolist()
    ((2099,), [False, True])
    >>> work_calendar("2099-03-01", "2099-03-31")
    Traceback (most recent call last):
    ...
    evaltools.workdays.CalendarError: 值 “2099” 工作日日历没有 2099 年的法定节假日和调休安排...
    """
    if beyond not in BEYOND:
        raise UsageError.choice("beyond", beyond, BEYOND)
    a, b = _as_days([start])[0], _as_days([end])[0]
    if np.isnat(a) or np.isnat(b) or b < a:
        raise UsageError(f"日期范围无效：{start} – {end}", f"invalid date range: {start} - {end}")
    y0 = int(a.astype("datetime64[Y]").astype(np.int64) + 1970)
    y1 = int(b.astype("datetime64[Y]").astype(np.int64) + 1970)
    return _build(y0, y1, _extra_key(holidays), beyond)


def calendar_for(*columns: pl.Series, holidays: Holidays = None, beyond: Beyond = "error",
                 margin: bool = True) -> WorkCalendar:
    """A calendar covering every date in ``columns`` (and, with ``margin``, the following year
    when it is known, so due dates late in December resolve).

    Raises :class:`CalendarError` naming the first year that is not covered.
    """
    def _date(x: object) -> dt.date | None:
        # the columns hold dates or datetimes: their extremes are one of those, or None
        return x.date() if isinstance(x, dt.datetime) else cast("dt.date | None", x)

    extremes = [(_date(s.min()), _date(s.max())) for s in columns if s.len()]
    lo_hi = [(a, b) for a, b in extremes if a is not None and b is not None]
    if not lo_hi:
        today = dt.date.today()
        return work_calendar(today, today, holidays=holidays, beyond="weekends")
    start = min(a for a, _ in lo_hi)
    end = max(b for _, b in lo_hi)
    extra = _extra_key(holidays)
    if margin:
        nxt = end.year + 1
        known = COVERED_YEARS[0] <= nxt <= COVERED_YEARS[1] or (
            extra is not None and any(d.year == nxt for d, _ in extra)) or beyond == "weekends"
        if known:
            end = dt.date(nxt, 12, 31)
    return _build(start.year, end.year, extra, beyond)
