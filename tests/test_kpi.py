"""Ticket KPIs: the newsletter's figures, independent recomputation, bad data, options, scoring."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools

import chinese_calendar
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaltools.errors import UsageError
from evaltools.kpi import (
    KPI_NAMES,
    MEASURES,
    RULES,
    check_tickets,
    funnel,
    overdue_tickets,
    ticket_kpis,
)
from evaltools.rubric import TICKET_MEASURES


@pytest.fixture(scope="module")
def sample():
    from evaltools.datasets import load_sample

    return load_sample()


@functools.cache
def _is_work(d: dt.date) -> bool:
    return chinese_calendar.is_workday(d)


def _due(a: dt.date, n: int) -> dt.date:
    """n working days after a, receipt day not counted, walking the official calendar."""
    d, seen = a, 0
    while seen < n:
        d += dt.timedelta(days=1)
        seen += _is_work(d)
    return d


# ---------------------------------------------------------------- the newsletter's figures


def test_sample_reproduces_the_newsletter(sample):
    res = ticket_kpis(sample, by="street")
    t = {r["street"]: r for r in res.table.iter_rows(named=True)}
    xa, jy = t["新安路街道"], t["济源路街道"]
    # 新安路街道: 5231 items collected, 反馈率 100%, 办结率 91.6%
    assert xa["received"] == 5231
    assert xa["feedback_rate"] == 1.0
    assert round(xa["closure_rate"] * 100, 1) == 91.6
    assert xa["closed"] == 4792
    # 济源路街道: 1500+ items, 1478 solved, 22 in progress
    assert jy["received"] == 1500 and jy["closed"] == 1478 and jy["backlog"] == 22
    assert res.n_excluded == 0


def test_sample_kpis_match_an_independent_ticket_by_ticket_recomputation(sample):
    res = ticket_kpis(sample, by="unit")
    t = sample.tickets
    rows = t.select("unit_id", "received_at", "responded_at", "resolved_at", "status",
                    "dispatched_at", "accepted_at").iter_rows()
    ref: dict[str, list[int]] = {}
    for unit, rec, resp, res_at, status, disp, acc in rows:  # reference: plain Python
        r = ref.setdefault(unit, [0, 0, 0, 0, 0])
        r[0] += 1
        due = _due(rec.date(), 2)
        immediate = status == "已办结" and disp is None and acc is None
        r[1] += resp is not None and resp.date() <= due
        r[2] += status == "已办结"
        r[3] += immediate
        r[4] += status == "已办结" and res_at.date() <= _due(rec.date(), 15)
    got = {row["unit_id"]: row for row in res.table.iter_rows(named=True)}
    assert set(got) == set(ref)
    for unit, (n, fb, closed, imm, on_time) in ref.items():
        g = got[unit]
        assert g["received"] == n
        assert g["feedback_rate"] == pytest.approx(fb / n)
        assert g["closure_rate"] == pytest.approx(closed / n)
        assert g["immediate_share"] == pytest.approx(imm / n)
        assert g["closed_on_time"] == on_time


def test_every_kpi_has_a_definition_and_a_chinese_name(sample):
    res = ticket_kpis(sample, by=["street", "month"])
    defs = res.definitions()
    assert defs["定义"].null_count() == 0 and defs["definition"].null_count() == 0
    shown = set(defs["measure"])
    for col in ("feedback_rate", "closure_rate", "on_time_closure_rate", "immediate_share",
                "backlog", "overdue", "satisfaction_rate"):
        assert col in shown and col in res.table.columns
    assert set(res.labelled_table().columns) >= {"街道", "月份", "反馈率", "办结率"}
    text = str(res)
    assert "反馈率" in text and "收集当天不计" in text and "指标定义" in text
    assert set(MEASURES) == set(TICKET_MEASURES)
    assert all(k in KPI_NAMES for k in res.table.columns if k not in ("street", "month"))


def test_groups_add_up_and_month_filter(sample):
    whole = ticket_kpis(sample, by=None).table
    by_unit = ticket_kpis(sample, by="unit").table
    for col in ("received", "closed", "backlog", "immediate", "overdue", "rated"):
        assert by_unit[col].sum() == whole[col].item()
    cm = ticket_kpis(sample, by="courtyard,month").table
    assert cm["received"].sum() == whole["received"].item()
    october = ticket_kpis(sample, by="street", month="2020-10").table
    n_oct = sample.tickets.filter(pl.col("received_at").dt.strftime("%Y-%m") == "2020-10").height
    assert october["received"].sum() == n_oct


def test_funnel_and_overdue_list(sample):
    res = ticket_kpis(sample, by="street")
    f = funnel(res)
    assert f["阶段"].to_list() == ["居民点单", "社区党支部下单", "党员干部接单", "群众评单"]
    assert f["count"][0] == 6731 and f["count"].is_sorted(descending=True)
    od = overdue_tickets(res)
    assert od.height == res.table["overdue"].sum()
    assert not {"resident_name", "phone", "room", "content"} & set(od.columns)
    late = od.filter(pl.col("resolved_at").is_not_null())
    assert (late["resolved_at"].dt.date() > late["closure_due_date"]).all()


# ---------------------------------------------------------------- small known cases

D = dt.datetime


def _tickets(**cols):
    n = len(cols["ticket_id"])
    base = {"unit_id": ["A"] * n, "category": ["停车"] * n, "channel": ["意见箱"] * n,
            "status": ["已办结"] * n}
    base.update(cols)
    return pl.DataFrame(base)


def test_feedback_within_two_working_days_over_national_day():
    t = _tickets(ticket_id=["T1", "T2", "T3"], received_at=[D(2025, 9, 30, 16)] * 3,
                 responded_at=[D(2025, 10, 9, 9), D(2025, 10, 10, 17), D(2025, 10, 11, 9)],
                 resolved_at=[D(2025, 10, 20)] * 3,
                 dispatched_at=[D(2025, 9, 30, 17)] * 3, accepted_at=[D(2025, 10, 9, 8)] * 3)
    not_counted = ticket_kpis(t, by=None).table
    assert not_counted["feedback_on_time"].item() == 2  # due 10 October
    counted = ticket_kpis(t, by=None, count_receipt_day=True).table
    assert counted["feedback_on_time"].item() == 1  # due 9 October
    one_day = ticket_kpis(t, by=None, feedback_days=1).table
    assert one_day["feedback_on_time"].item() == 1
    res = ticket_kpis(t, by=None)
    assert res.tickets["feedback_days"].to_list() == [1, 2, 3]  # working days to the answer


def test_closure_denominators_pending_and_overdue():
    t = _tickets(
        ticket_id=["T1", "T2", "T3", "T4"],
        received_at=[D(2024, 3, 1, 9)] * 3 + [D(2024, 3, 28, 9)],
        responded_at=[D(2024, 3, 1, 10)] * 3 + [None],
        resolved_at=[D(2024, 3, 5), D(2024, 4, 30), None, None],
        status=["已办结", "已办结", "正在解决", "正在解决"],
        dispatched_at=[D(2024, 3, 1, 9, 30)] * 3 + [D(2024, 3, 28, 9, 30)],
        accepted_at=[D(2024, 3, 1, 9, 40)] * 3 + [D(2024, 3, 28, 9, 40)])
    # as of 2024-04-02: T1 on time; T2 closed late (due 2024-03-22); T3 open past due; T4 open,
    # not yet due for closure, and its answer (due 2024-04-01) is missing → late
    res = ticket_kpis(t, by=None, as_of=dt.date(2024, 4, 2), closure_days=15)
    r = res.table.row(0, named=True)
    assert (r["received"], r["closed"], r["backlog"]) == (4, 2, 2)
    assert r["closure_rate"] == 0.5
    assert (r["closure_due"], r["closed_on_time"], r["overdue"]) == (3, 1, 2)
    assert r["on_time_closure_rate"] == pytest.approx(1 / 3)
    assert (r["feedback_due"], r["feedback_on_time"]) == (4, 3)
    due = ticket_kpis(t, by=None, as_of=dt.date(2024, 4, 2), closure="due").table
    assert due["closure_rate"].item() == pytest.approx(2 / 3)
    # earlier: T4's answer not yet due → left out of 反馈率
    early = ticket_kpis(t, by=None, as_of=dt.date(2024, 3, 29)).table
    assert early["feedback_due"].item() == 3 and early["feedback_rate"].item() == 1.0
    assert set(overdue_tickets(res)["ticket_id"]) == {"T2", "T3"}


def test_immediate_tickets_and_satisfaction_definition():
    t = _tickets(ticket_id=["T1", "T2", "T3", "T4"], received_at=[D(2024, 6, 3, 9)] * 4,
                 responded_at=[D(2024, 6, 3, 10)] * 4,
                 resolved_at=[D(2024, 6, 3, 10), None, D(2024, 6, 5), D(2024, 6, 5)],
                 status=["已办结", "立即办理", "已办结", "已办结"],
                 dispatched_at=[None, None, D(2024, 6, 3, 9, 5), D(2024, 6, 3, 9, 5)],
                 accepted_at=[None, None, D(2024, 6, 3, 9, 9), D(2024, 6, 3, 9, 9)],
                 rating=["满意", "基本满意", "不满意", None])
    broad = ticket_kpis(t, by=None)
    r = broad.table.row(0, named=True)
    assert r["immediate"] == 2 and r["closed"] == 4 and r["rated"] == 3
    assert r["satisfaction_rate"] == pytest.approx(2 / 3)
    strict = ticket_kpis(t, by=None, satisfied=["满意"]).table
    assert strict["satisfaction_rate"].item() == pytest.approx(1 / 3)
    assert any("满意+基本满意" in n for n in broad.notes)
    f = funnel(broad)
    assert f["count"].to_list() == [4, 4, 4, 3]


# ---------------------------------------------------------------- bad data


def test_bad_tickets_are_flagged_with_row_and_reason_not_dropped_silently():
    t = _tickets(
        ticket_id=["T1", "T2", "T2", "T3", "T4", "T5", "T6", None],
        received_at=[D(2024, 6, 3, 9), D(2024, 6, 3, 9), D(2024, 6, 3, 9), D(2024, 6, 3, 9),
                     D(2024, 6, 3, 9), None, D(2024, 6, 3, 9), D(2024, 6, 3, 9)],
        responded_at=[D(2024, 6, 3, 10)] * 8,
        resolved_at=[D(2024, 6, 4), D(2024, 6, 4), D(2024, 6, 4), D(2024, 6, 2), None,
                     D(2024, 6, 4), D(2024, 6, 4), D(2024, 6, 4)],
        status=["已办结", "已办结", "已办结", "已办结", "已办结", "已办结", "搞定了", "已办结"],
        rating=["满意", None, None, None, None, None, None, "很好"])
    res = ticket_kpis(t, by=None)
    got = res.excluded.select("row", "ticket_id", "rule").rows()
    assert got == [
        (3, "T2", "duplicate_ticket_id"), (4, "T2", "duplicate_ticket_id"),
        (5, "T3", "resolved_before_received"), (6, "T4", "closed_without_resolution"),
        (7, "T5", "missing_received"), (8, "T6", "unknown_status"),
        (9, None, "missing_ticket_id"), (9, None, "unknown_rating")]
    assert res.n_excluded == 7 and res.table["received"].item() == 1
    summary = dict(res.excluded_summary().select("rule", "count").iter_rows())
    assert summary == {"duplicate_ticket_id": 2, "resolved_before_received": 1,
                       "closed_without_resolution": 1, "missing_received": 1,
                       "unknown_status": 1, "missing_ticket_id": 1}
    assert any(n.startswith("排除了 7 张") for n in res.notes)
    dup = res.excluded.filter(pl.col("rule") == "duplicate_ticket_id")["reason_zh"][0]
    assert "第3、4行" in dup
    # problems: zh + en, the user's (Chinese) header, the value, a fix
    p = next(p for p in res.problems if p.rule == "resolved_before_received")
    assert (p.row, p.column, p.value) == (5, "办结时间", "2024-06-02 00:00:00.000000")
    assert p.fix_zh and p.fix_en and "办结时间早于收集时间" in str(p)
    assert set(RULES) >= {r for _, _, r in got}


def test_unknown_rating_keeps_the_ticket_but_not_the_rating():
    t = _tickets(ticket_id=["T1", "T2"], received_at=[D(2024, 6, 3, 9)] * 2,
                 responded_at=[D(2024, 6, 3, 10)] * 2, resolved_at=[D(2024, 6, 4)] * 2,
                 rating=["满意", "很好"])
    valid, flags = check_tickets(t)
    assert valid.height == 2 and valid["rating"].to_list() == ["满意", None]
    assert flags["excluded"].to_list() == [False]


def test_dataset_rows_rejected_on_reading_are_counted_and_rows_stay_right(tmp_path):
    from evaltools.dataset import read_dataset

    (tmp_path / "units.csv").write_text(
        "单位编号,名称,街道,社区,楼院\nA,一号院,新安路街道,汇通社区,一号院\n", encoding="utf-8")
    (tmp_path / "tickets.csv").write_text(
        "工单编号,楼院编号,类别,渠道,居民点单时间,反馈时间,办结时间,办理状态\n"
        "T1,A,停车,意见箱,2024-06-03 09:00,2024-06-03 10:00,2024-06-04 09:00,已办结\n"
        "T2,A,停车,意见箱,2024-06-03 09:00,2024-06-01 10:00,2024-06-04 09:00,已办结\n"
        "T3,A,停车,意见箱,2024-06-03 09:00,2024-06-03 10:00,2024-06-04 09:00,已办结\n"
        "T4,A,停车,意见箱,2024-06-03 09:00,2024-06-03 10:00,,已办结\n", encoding="utf-8-sig")
    ds = read_dataset(tmp_path, lenient=True)
    assert ds.rejected["tickets"]["_row"].to_list() == [3]
    res = ticket_kpis(ds, by="street")
    got = res.excluded.select("row", "ticket_id", "rule").rows()
    assert got == [(3, "T2", "rejected_on_read"), (5, "T4", "closed_without_resolution")]
    assert res.table["received"].item() == 2
    p = next(p for p in res.problems if p.rule == "closed_without_resolution")
    assert p.file == "tickets.csv" and p.column == "办结时间"


# ---------------------------------------------------------------- options and errors


def test_bad_options_are_usage_errors(sample):
    with pytest.raises(UsageError) as err:
        ticket_kpis(sample, by="building")
    assert err.value.problems[0].rule == "bad_choice" and "courtyard" in str(err.value)
    with pytest.raises(UsageError):
        ticket_kpis(sample.tickets, by="street")  # no units table to find the street
    with pytest.raises(UsageError):
        ticket_kpis(sample, closure="all")  # type: ignore[arg-type]
    with pytest.raises(UsageError):
        ticket_kpis(sample, feedback_days=-1)


def test_year_beyond_the_calendar_is_a_clear_error():
    from evaltools.workdays import COVERED_YEARS, CalendarError

    y = COVERED_YEARS[1] + 1
    t = _tickets(ticket_id=["T1"], received_at=[D(y, 3, 2, 9)], responded_at=[D(y, 3, 2, 10)],
                 resolved_at=[D(y, 3, 3)])
    with pytest.raises(CalendarError) as err:
        ticket_kpis(t, by=None)
    assert err.value.problems[0].value == y
    ok = ticket_kpis(t, by=None, holidays={f"{y}-01-01": "放假"})
    assert ok.table["closed_on_time"].item() == 1


# ---------------------------------------------------------------- properties


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_row_order_does_not_change_the_kpis(sample, seed):
    t = sample.tickets.sample(fraction=1.0, shuffle=True, seed=seed)
    a = ticket_kpis(sample, by=["street", "category"]).table
    b = ticket_kpis(dataclasses.replace(sample, tickets=t), by=["street", "category"]).table
    assert a.equals(b)


# ---------------------------------------------------------------- into the scores


def test_rubric_criterion_takes_the_kpi_value(sample):
    from evaltools.leaderboard import evaluate
    from evaltools.rubric import Criterion

    rubric = sample.rubric
    crit = (*rubric.criteria,
            Criterion("feedback", "民情反馈", source="tickets", measure="feedback_rate",
                      max_points=5),
            Criterion("closure", "办结", source="tickets", measure="closure_rate", max_points=5))
    rub = dataclasses.replace(rubric, criteria=crit, missing="zero")
    lb = evaluate(sample, rub)
    kpi = ticket_kpis(sample, by="unit").table
    expected = dict(zip(kpi["unit_id"], kpi["closure_rate"] * 5, strict=True))
    for unit, pts in lb.table.select("unit_id", "closure").iter_rows():
        assert pts == pytest.approx(expected[unit], abs=0.005)  # published: 2 d.p.
    assert any("工单指标" in n for n in lb.notes)
