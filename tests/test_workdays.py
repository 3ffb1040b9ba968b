"""China's working-day calendar: known answers (调休), references, coverage errors, user files."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaltools.workdays import (
    COVERED_YEARS,
    CalendarError,
    add_working_days,
    calendar_for,
    is_workday,
    read_calendar_file,
    work_calendar,
    working_days,
)

LO, HI = COVERED_YEARS
FIRST, LAST = dt.date(LO, 1, 1), dt.date(HI, 12, 31)
CAL = work_calendar(FIRST, LAST)
days_in_range = st.dates(min_value=FIRST, max_value=LAST - dt.timedelta(days=60))


def reference_count(a: dt.date, b: dt.date, count_start: bool = False) -> int:
    """Working days in (a, b] (or [a, b]) by walking day by day with chinese_calendar."""
    n, d = 0, a if count_start else a + dt.timedelta(days=1)
    while d <= b:
        n += chinese_calendar.is_workday(d)
        d += dt.timedelta(days=1)
    return n


def reference_due(a: dt.date, n: int, count_start: bool = False) -> dt.date:
    """The day the n-th working day is reached, walking from a with chinese_calendar."""
    if n == 0:
        return a
    d = a if count_start else a + dt.timedelta(days=1)
    seen = 0
    while True:
        if chinese_calendar.is_workday(d):
            seen += 1
            if seen == n:
                return d
        d += dt.timedelta(days=1)


# ---------------------------------------------------------------- known answers


def test_national_day_2025_with_make_up_days():
    # 2025: 1–8 October off; Sunday 28 September and Saturday 11 October worked (调休)
    assert CAL.is_workday([dt.date(2025, 9, 28), dt.date(2025, 10, 11)]).all()
    assert not CAL.is_workday([dt.date(2025, 10, d) for d in range(1, 9)]).any()
    # the example: received 30 September, due 10 October when the receipt day does not count
    assert CAL.add_days([dt.date(2025, 9, 30)], 2)[0] == np.datetime64("2025-10-10")
    assert CAL.add_days([dt.date(2025, 9, 30)], 2, count_start=True)[0] == np.datetime64(
        "2025-10-09")
    # answered on the 9th: 1 working day; on the 10th: 2; on Saturday the 11th (调休): 3
    got = CAL.count_days([dt.date(2025, 9, 30)] * 3,
                         [dt.date(2025, 10, 9), dt.date(2025, 10, 10), dt.date(2025, 10, 11)])
    assert got.tolist() == [1, 2, 3]


def test_same_day_and_weekend_receipt():
    fri, sat, mon = dt.date(2024, 5, 10), dt.date(2024, 5, 11), dt.date(2024, 5, 13)
    # 2024-05-11 (Saturday) was a make-up working day for the May Day holiday
    assert CAL.is_workday([sat])[0]
    assert CAL.count_days([fri], [fri]).tolist() == [0]
    assert CAL.count_days([fri], [fri], count_start=True).tolist() == [1]
    assert CAL.add_days([fri], 0)[0] == np.datetime64(fri)
    sun = dt.date(2024, 5, 12)
    # received on a Sunday: the first working day is Monday, whether or not the receipt day counts
    assert CAL.add_days([sun], 1)[0] == np.datetime64(mon)
    assert CAL.add_days([sun], 1, count_start=True)[0] == np.datetime64(mon)


def test_spring_festival_2020():
    # 2020-01-24 .. 2020-02-02 off (extended), 2020-01-19 (Sunday) worked
    assert CAL.is_workday([dt.date(2020, 1, 19)])[0]
    assert CAL.add_days([dt.date(2020, 1, 23)], 1)[0] == np.datetime64("2020-02-03")


# ---------------------------------------------------------------- properties vs references


@settings(max_examples=150, deadline=None)
@given(a=days_in_range, span=st.integers(0, 45), count_start=st.booleans())
def test_count_matches_day_by_day_chinese_calendar(a, span, count_start):
    b = a + dt.timedelta(days=span)
    assert int(CAL.count_days([a], [b], count_start=count_start)[0]) == reference_count(
        a, b, count_start)


@settings(max_examples=150, deadline=None)
@given(a=days_in_range, span=st.integers(0, 45))
def test_count_matches_numpy_busday_count_with_the_holiday_list(a, span):
    b = a + dt.timedelta(days=span)
    weekday_holidays = [d for d in chinese_calendar.holidays if d.weekday() < 5]
    make_up = np.array([d for d in chinese_calendar.workdays if d.weekday() >= 5],
                       dtype="datetime64[D]")
    lo, hi = np.datetime64(a) + 1, np.datetime64(b) + 1  # (a, b] as [a+1, b+1)
    expected = np.busday_count(lo, hi, holidays=weekday_holidays) + int(
        ((make_up >= lo) & (make_up < hi)).sum())
    assert int(CAL.count_days([a], [b])[0]) == expected


@settings(max_examples=120, deadline=None)
@given(a=days_in_range, n=st.integers(0, 20), count_start=st.booleans())
def test_due_date_matches_walking_the_calendar(a, n, count_start):
    due = CAL.add_days([a], n, count_start=count_start)[0].astype(dt.date)
    assert due == reference_due(a, n, count_start)
    if n:
        assert chinese_calendar.is_workday(due)
        assert int(CAL.count_days([a], [due], count_start=count_start)[0]) == n


@settings(max_examples=40, deadline=None)
@given(pairs=st.lists(st.tuples(days_in_range, st.integers(0, 40)), min_size=1, max_size=30),
       n=st.integers(0, 10), count_start=st.booleans())
def test_polars_expressions_equal_the_numpy_lookups(pairs, n, count_start):
    a = [p[0] for p in pairs]
    b = [p[0] + dt.timedelta(days=p[1]) for p in pairs]
    df = pl.DataFrame({"a": a, "b": b}).with_columns(
        pl.col("a").cast(pl.Datetime("us")) + pl.duration(hours=15))  # times of day are ignored
    out = df.select(
        days=working_days("a", "b", calendar=CAL, count_start=count_start),
        due=add_working_days("a", n, calendar=CAL, count_start=count_start),
        work=is_workday("b", calendar=CAL))
    assert out["days"].to_list() == CAL.count_days(a, b, count_start=count_start).tolist()
    assert out["due"].to_list() == CAL.add_days(a, n, count_start=count_start).astype(
        dt.date).tolist()
    assert out["work"].to_list() == CAL.is_workday(b).tolist()


def test_lookup_table_matches_chinese_calendar_every_day():
    table = CAL.table()
    flags = [chinese_calendar.is_workday(d) for d in table["date"].to_list()]
    assert table["workday"].to_list() == flags
    assert table["ordinal"].to_list() == np.cumsum(flags).tolist()


# ---------------------------------------------------------------- coverage and user files


def test_year_beyond_coverage_names_the_year_and_the_fix():
    with pytest.raises(CalendarError) as err:
        work_calendar(dt.date(HI + 1, 3, 1), dt.date(HI + 1, 3, 2))
    p = err.value.problems[0]
    assert p.rule == "calendar_year_not_covered" and p.value == HI + 1
    assert str(HI + 1) in p.zh and "docs/kpi.md" in p.fix_zh and "--holidays" in p.fix_en
    # a calendar for the data refuses too, and names the data's year
    with pytest.raises(CalendarError) as err:
        calendar_for(pl.Series([dt.date(HI, 6, 1), dt.date(HI + 2, 1, 5)]))
    assert err.value.problems[0].value == HI + 1


def test_due_date_in_an_uncovered_next_year_is_an_error():
    cal = calendar_for(pl.Series([dt.date(HI, 12, 30)]))  # the next year is not known
    assert cal.years == (HI, HI)
    with pytest.raises(CalendarError) as err:
        cal.add_days([dt.date(HI, 12, 30)], 5)
    assert err.value.problems[0].value == HI + 1


def test_calendar_for_adds_the_next_year_when_known():
    cal = calendar_for(pl.Series([dt.datetime(2020, 12, 30, 9)]))
    assert cal.years == (2020, 2021)
    assert cal.add_days([dt.date(2020, 12, 31)], 1)[0] == np.datetime64("2021-01-04")


def test_user_file_supplies_an_uncovered_year(tmp_path):
    y = HI + 1
    path = tmp_path / "节假日.csv"
    path.write_bytes(
        (f"日期,类型,说明\n{y}-01-01,放假,元旦\n{y}-01-02,放假,元旦\n{y}-02-07,上班,春节调休\n")
        .encode("gbk"))
    extra = read_calendar_file(path)
    assert extra == {dt.date(y, 1, 1): False, dt.date(y, 1, 2): False, dt.date(y, 2, 7): True}
    cal = work_calendar(dt.date(y, 1, 1), dt.date(y, 12, 31), holidays=path)
    assert cal.supplied == (y,)
    d = [dt.date(y, 1, 1), dt.date(y, 1, 2), dt.date(y, 2, 7)]
    assert cal.is_workday(d).tolist() == [False, False, True]
    # everything else: Monday–Friday
    rest = pl.date_range(dt.date(y, 3, 1), dt.date(y, 3, 31), eager=True)
    assert cal.is_workday(rest).tolist() == [x.weekday() < 5 for x in rest.to_list()]
    assert any("补充文件" in n for n in cal.notes())


def test_user_file_overrides_a_covered_day():
    cal = work_calendar(dt.date(2024, 1, 1), dt.date(2024, 12, 31),
                        holidays={"2024-03-04": "放假"})
    assert not cal.is_workday([dt.date(2024, 3, 4)])[0]
    assert cal.is_workday([dt.date(2024, 3, 5)])[0]


def test_bad_user_file_lists_every_problem_with_its_row(tmp_path):
    path = tmp_path / "extra.csv"
    path.write_text("date,kind\n2027-01-01,holiday\n2027-13-01,holiday\n2027-01-03,maybe\n"
                    "2027-01-04,holiday\n2027-01-04,workday\n", encoding="utf-8")
    with pytest.raises(CalendarError) as err:
        read_calendar_file(path)
    got = [(p.row, p.rule) for p in err.value.problems]
    assert got == [(3, "bad_date"), (4, "bad_kind"), (5, "conflicting_day"),
                   (6, "conflicting_day")]
    assert all(p.file == "extra.csv" for p in err.value.problems)
    with pytest.raises(CalendarError) as err:
        read_calendar_file(pl.DataFrame({"day_of": ["2027-01-01"]}))
    assert err.value.problems[0].rule == "missing_column"


def test_beyond_weekends_assumes_monday_to_friday_and_says_so():
    y = HI + 3
    cal = work_calendar(dt.date(y, 1, 1), dt.date(y, 1, 31), beyond="weekends")
    assert cal.assumed == (y,)
    assert any("周一至周五" in n for n in cal.notes())


def test_bad_arguments():
    from evaltools.errors import UsageError

    with pytest.raises(UsageError):
        work_calendar("2024-01-01", "2024-02-01", beyond="guess")  # type: ignore[arg-type]
    with pytest.raises(UsageError):
        work_calendar("2024-02-01", "2024-01-01")
    with pytest.raises(UsageError):
        CAL.add_days([dt.date(2024, 1, 1)], -1)
