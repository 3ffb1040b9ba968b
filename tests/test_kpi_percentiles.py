"""Stage medians and 90th percentiles from value counts, against independent references.

The KPI table computes ``<stage>_days_median`` / ``_p90`` from (group, value) counts
(:func:`evaltools.kpi._grouped_quantiles`). References: numpy's ``percentile(method="linear")``
per group, and polars' ``quantile(q, interpolation="linear")`` in a ``group_by`` on the prepared
tickets (the definition in docs/kpi.md). They agree to the last bits of the interpolation.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaltools.kpi import STAGES, _grouped_quantiles, ticket_kpis


def numpy_reference(values, gid, groups, q):
    out = np.full(groups, np.nan)
    for g in range(groups):  # a loop over a few groups, in a test
        x = values[gid == g]
        if x.size:
            out[g] = np.percentile(x, q * 100, method="linear")
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(-5, 40)), max_size=80),
       st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]), st.booleans())
def test_grouped_quantiles_equal_numpy_percentile(pairs, q, wide):
    groups = 7
    gid = np.array([g for g, _ in pairs], dtype=np.int64)
    values = np.array([v for _, v in pairs], dtype=np.int64)
    if wide and values.size:  # a huge range of values takes the sorting path
        values = values * 10_000_000
    got = _grouped_quantiles(values, gid, groups, (q,))[0]
    want = numpy_reference(values, gid, groups, q)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)
    assert np.array_equal(np.isnan(got), np.isnan(want))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(-3, 12), st.booleans()), max_size=60),
       st.booleans())
def test_absent_values_are_left_out(rows, wide):
    gid = np.array([g for g, _, _ in rows], dtype=np.int64)
    values = np.array([v for _, v, _ in rows], dtype=np.int64) * (10**9 if wide else 1)
    present = np.array([p for _, _, p in rows], dtype=bool)
    # absent entries carry junk values that must not count
    junk = np.where(present, values, 10**12)
    got = _grouped_quantiles(junk, gid, 5, (0.5, 0.9), present=present)
    want = _grouped_quantiles(values[present], gid[present], 5, (0.5, 0.9))
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)


def test_both_paths_give_identical_results():
    rng = np.random.default_rng(3)
    gid = rng.integers(0, 50, 5000)
    values = rng.integers(-3, 30, 5000)
    counts = _grouped_quantiles(values, gid, 52, (0.5, 0.9))
    # the same values spread far apart: the sorting path; scale back down to compare
    wide = _grouped_quantiles(values * 1_000_000_000, gid, 52, (0.5, 0.9))
    for a, b in zip(counts, wide, strict=True):
        np.testing.assert_allclose(a * 1_000_000_000, b, rtol=1e-12)
        assert np.isnan(a[50:]).all()


@pytest.mark.parametrize("by", [["street", "month"], ["courtyard"], None])
def test_kpi_table_percentiles_equal_polars_quantile(by):
    from benchmarks.cases.kpi import make_tickets

    tickets, units = make_tickets(30_000, seed=11)
    # some resolutions before acceptance (negative 接单→办结 days are not excluded)
    tickets = tickets.with_columns(
        accepted_at=pl.when(pl.int_range(pl.len()) % 97 == 0)
        .then(pl.col("resolved_at") + pl.duration(days=3)).otherwise("accepted_at"))
    res = ticket_kpis(tickets, units=units, by=by)
    keys = list(res.by)
    exprs = [e for s in STAGES for e in (
        pl.col(f"{s}_days").median().alias(f"{s}_days_median"),
        pl.col(f"{s}_days").quantile(0.9, interpolation="linear").alias(f"{s}_days_p90"))]
    ref = (res.tickets.group_by(keys).agg(exprs).sort(keys, nulls_last=True) if keys
           else res.tickets.select(exprs))
    assert (res.tickets["resolve_days"] < 0).any()
    for c in ref.columns:
        if c in keys:
            assert res.table[c].equals(ref[c])
            continue
        a, b = res.table[c].to_numpy(), ref[c].to_numpy()
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=0)
        assert res.table[c].null_count() == ref[c].null_count()
