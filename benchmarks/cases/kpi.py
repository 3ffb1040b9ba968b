"""Ticket KPIs: n tickets → the full KPI table by courtyard × month (issue 6: 1M in under 3 s).

Input, built in memory (no file reading is timed): ``units`` (2,000 units in 400 courtyards of
2 streets) and ``tickets`` over 2019-01-02 … 2020-12-31 with the canonical columns: 四联单 times
(a third are 立即办理 without dispatch/accept), answers 0–4 working days later, 8 % still open,
ratings on most closed tickets, 11 categories, 4 channels. Timed:
``ticket_kpis(tickets, units=units, by=["courtyard", "month"])`` — the bad-data checks, the
working-day lookups (feedback and closure deadlines, five stage durations) and every KPI of the
table (counts, rates, median and 90th percentile per stage). The baseline is the counting part
written by hand in polars (received / closed / backlog per courtyard × month), compared on those
columns.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from benchmarks.harness import Case, Impl, Target, register

N_UNITS, N_COURTYARDS = 2_000, 400
CATEGORIES = ("老旧小区改造", "城市精细化管理", "环境卫生", "停车", "绿化", "安全", "供暖", "供水供气",
              "邻里纠纷", "充电桩", "其他")
CHANNELS = ("意见箱", "点评卡", "民情速递员", "微信平台")
LABELS = ("满意", "基本满意", "不太满意", "不满意")


def make_tickets(n: int, seed: int = 6) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    uid = np.char.add("U", np.char.zfill(np.arange(N_UNITS).astype(str), 5))
    court = np.arange(N_UNITS) % N_COURTYARDS
    units = pl.DataFrame({
        "unit_id": uid, "name": np.char.add(uid, "号楼"),
        "street": np.where(court % 2 == 0, "新安路街道", "济源路街道"),
        "community": np.char.add("社区", (court // 20).astype(str)),
        "courtyard": np.char.add("楼院", court.astype(str)),
    })
    start = np.datetime64("2019-01-02T00:00:00", "s")
    span = 729 * 86400
    received = start + np.sort(rng.integers(0, span, n)).astype("timedelta64[s]")
    hours = lambda lo, hi: (rng.uniform(lo, hi, n) * 3600).astype("timedelta64[s]")  # noqa: E731
    immediate = rng.random(n) < 0.32
    is_open = (~immediate) & (rng.random(n) < 0.08)
    responded = received + np.where(immediate, hours(0.2, 2), hours(1, 24 * 5))
    dispatched = received + hours(0.1, 6)
    accepted = dispatched + hours(0.1, 12)
    resolved = np.where(immediate, responded, accepted + hours(2, 24 * 20))
    nat = np.datetime64("NaT", "s")
    rated = (~is_open) & (rng.random(n) < 0.85)
    us = lambda a: a.astype("datetime64[us]")  # noqa: E731
    tickets = pl.DataFrame({
        "ticket_id": np.char.add("T", np.char.zfill(np.arange(n).astype(str), 8)),
        "unit_id": uid[rng.integers(0, N_UNITS, n)],
        "category": np.array(CATEGORIES)[rng.integers(0, len(CATEGORIES), n)],
        "channel": np.array(CHANNELS)[rng.integers(0, len(CHANNELS), n)],
        "received_at": us(received),
        "dispatched_at": us(np.where(immediate, nat, dispatched)),
        "accepted_at": us(np.where(immediate, nat, accepted)),
        "responded_at": us(responded),
        "resolved_at": us(np.where(is_open, nat, resolved)),
        "status": np.where(is_open, "正在解决", "已办结"),
        "rating": np.array(LABELS)[rng.choice(4, n, p=[.6, .3, .07, .03])],
    }).with_columns(rating=pl.when(pl.Series(rated)).then("rating"))  # unrated: null
    return tickets, units


def evaltools_kpis(data: tuple[pl.DataFrame, pl.DataFrame]) -> pl.DataFrame:
    from evaltools.kpi import ticket_kpis

    tickets, units = data
    return ticket_kpis(tickets, units=units, by=["courtyard", "month"]).table


def polars_counts(data: tuple[pl.DataFrame, pl.DataFrame]) -> pl.DataFrame:
    tickets, units = data
    return (tickets.lazy().join(units.lazy().select("unit_id", "courtyard"), on="unit_id")
            .group_by("courtyard", month=pl.col("received_at").dt.strftime("%Y-%m"))
            .agg(received=pl.len(), closed=(pl.col("status") == "已办结").sum(),
                 backlog=(pl.col("status") == "正在解决").sum())
            .sort("courtyard", "month").collect())


def counts_diff(a: pl.DataFrame, b: pl.DataFrame) -> float:
    cols = ["courtyard", "month", "received", "closed", "backlog"]
    a = a.select(cols).sort("courtyard", "month").cast({c: pl.Int64 for c in cols[2:]})
    b = b.select(cols).sort("courtyard", "month").cast({c: pl.Int64 for c in cols[2:]})
    return 0.0 if a.equals(b) else float("inf")


register(Case(
    name="kpi", title="ticket KPIs by courtyard × month (working-day calendar, 四联单 stages)",
    sizes=(1_000_000,), quick_sizes=(20_000,), setup=make_tickets,
    impls=(
        Impl("polars counts by hand", polars_counts, role="baseline"),
        Impl("evaltools", evaltools_kpis, role="subject"),
    ),
    reference="polars counts by hand", compare=counts_diff,
    targets=(
        Target("under 3 s", "seconds", limit=3.0, size=1_000_000),
        Target("same counts as the baseline", "diff", limit=0.0, size=1_000_000),
    ),
    input_bytes=lambda d: int(d[0].estimated_size() + d[1].estimated_size()),
    size_label="tickets",
))
