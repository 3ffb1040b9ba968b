"""The fast integrity flags against a plain reference written straight from the definitions.

``evaltools.campaign`` finds flags with packed integer sorts, hash candidates confirmed on the
ids, bucket counts and lag scans (for speed on 10M votes). The reference below walks each
(round, entry) group's votes in time order in plain Python, one rule at a time, as the module
docstring states them. Random logs are drawn so that every flag fires: tight clusters, machine
rhythms, repeated voters, shared IPs/devices, missing IPs/devices, ties in time, night votes and
shuffled Excel rows.
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from collections import Counter, defaultdict

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from evaltools.campaign import (
    DEFAULT_EXCLUDE,
    FLAGS,
    IntegrityRules,
    analyze_campaign,
    campaign_statistics,
    flag_votes,
    integrity_flags,
    round_summary,
)
from evaltools.campaign.flags import _pair_candidates, _sort_order
from evaltools.campaign.flags import count_voters as _voter_counts
from evaltools.campaign.flags import dense_codes as _dense

T0 = dt.datetime(2024, 5, 1, 5, 50)  # ten minutes before 6:00, so some votes are off hours
EPOCH = dt.datetime(1970, 1, 1)


def _us(t: dt.datetime) -> int:
    return (t - EPOCH) // dt.timedelta(microseconds=1)


def reference_flags(log: pl.DataFrame, rules: IntegrityRules) -> pl.DataFrame:
    """``_row`` and the seven flags, computed vote by vote from the rules' definitions."""
    votes = log.to_dicts()
    for i, v in enumerate(votes):
        v.setdefault("_row", i + 2)
        v["_t"] = _us(v["voted_at"])
        v.setdefault("ip", None)
        v.setdefault("device", None)
        for f in FLAGS:
            v[f] = False
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for v in votes:
        groups[(v["round"], v["entry_id"])].append(v)
    lo, hi = rules.hours
    for vs in groups.values():
        vs.sort(key=lambda v: (v["_t"], v["_row"]))
        # duplicate: a voter's later votes for the entry in the round
        seen = set()
        for v in vs:
            v["duplicate"] = v["voter_id"] in seen
            seen.add(v["voter_id"])
        # regular gaps: stretches of |gap_k − gap_{k−1}| ≤ tol; a stretch of m covers m + 2 votes
        gaps = [None] + [(b["_t"] - a["_t"]) / 1e6 for a, b in itertools.pairwise(vs)]
        reg = [k >= 2 and abs(gaps[k] - gaps[k - 1]) <= rules.regular_tolerance_s
               for k in range(len(vs))]
        k = 0
        while k < len(vs):
            if not reg[k]:
                k += 1
                continue
            end = k
            while end + 1 < len(vs) and reg[end + 1]:
                end += 1
            if end - k + 1 + 2 >= rules.regular_min_votes:
                for v in vs[k - 2:end + 1]:
                    v["regular_gaps"] = True
            k = end + 1
        # bursts: clock-aligned 10-minute bins against median + k · max(1.4826 · MAD, 1)
        bins = Counter(v["_t"] // 600_000_000 for v in vs)
        counts = list(bins.values())
        med = statistics.median(counts)
        mad = statistics.median([abs(c - med) for c in counts])
        thr = med + rules.burst_k * max(1.4826 * mad, 1.0)
        for v in vs:
            c = bins[v["_t"] // 600_000_000]
            v["burst"] = c > thr and c >= rules.burst_min_votes
        # shares of one IP / device
        if len(vs) >= rules.share_min_votes:
            for col, flag in (("ip", "ip_share"), ("device", "device_share")):
                per = Counter(v[col] for v in vs if v[col] is not None)
                for v in vs:
                    v[flag] = v[col] is not None and per[v[col]] > rules.share_cap * len(vs)
        # sub-second: the previous vote from the same source (device, else IP) is too close
        last: dict[str, int] = {}
        for v in vs:
            src = v["device"] if v["device"] is not None else v["ip"]
            if src is None:
                continue
            v["subsecond"] = src in last and (v["_t"] - last[src]) / 1e6 < rules.subsecond_s
            last[src] = v["_t"]
    for v in votes:
        hour = v["voted_at"].hour
        v["off_hours"] = hour < lo or hour >= hi
    return pl.DataFrame([{k: v[k] for k in ("_row", *FLAGS)} for v in votes],
                        schema={"_row": pl.Int64, **dict.fromkeys(FLAGS, pl.Boolean)}).sort("_row")


@st.composite
def busy_logs(draw):
    """Up to 120 votes in 2 rounds × 2 entries, clustered in time so that every flag can fire."""
    n = draw(st.integers(1, 120))
    ints = st.integers
    rounds = draw(st.lists(ints(1, 2), min_size=n, max_size=n))
    entries = draw(st.lists(st.sampled_from(["A", "B"]), min_size=n, max_size=n))
    voters = draw(st.lists(st.sampled_from([f"v{i}" for i in range(15)]), min_size=n, max_size=n))
    step = draw(st.sampled_from([0.3, 0.7, 2.0, 7.0]))
    kind = draw(st.lists(ints(0, 3), min_size=n, max_size=n))
    jitter = draw(st.lists(ints(0, 400), min_size=n, max_size=n))  # milliseconds
    spread = draw(st.lists(ints(0, 7200), min_size=n, max_size=n))
    secs = []
    for i in range(n):
        if kind[i] == 0:  # a machine's rhythm (with a little jitter now and then)
            secs.append(900 + step * i + (jitter[i] / 1000 if i % 5 == 0 else 0))
        elif kind[i] == 1:  # a tight cluster (sub-second, bursts)
            secs.append(1500 + jitter[i] / 1000)
        elif kind[i] == 2:  # exact ties
            secs.append(2000.0)
        else:
            secs.append(float(spread[i]))
    pool = draw(st.sampled_from([["1.1.1.1", "2.2.2.2", None], ["1.1.1.1"], [None]]))
    ips = draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n))
    devs = draw(st.lists(st.sampled_from(["d1", "d2", "d3", None]), min_size=n, max_size=n))
    log = pl.DataFrame({
        "round": rounds, "entry_id": entries, "voter_id": voters,
        "voted_at": [T0 + dt.timedelta(seconds=s) for s in secs], "ip": ips, "device": devs,
    }, schema_overrides={"voted_at": pl.Datetime("us"), "ip": pl.String, "device": pl.String})
    if draw(st.booleans()):
        log = log.drop("device")
    rows = draw(st.permutations(list(range(2, n + 2))))  # Excel rows not in frame order
    return log.with_columns(_row=pl.Series(rows, dtype=pl.Int64))


BUSY_RULES = IntegrityRules(burst_k=1.0, burst_min_votes=3, regular_min_votes=4,
                            share_min_votes=4, share_cap=0.3, subsecond_s=1.0)


@settings(max_examples=150, deadline=None)
@given(busy_logs(), st.sampled_from([IntegrityRules(), BUSY_RULES]))
def test_flags_match_the_reference(log, rules):
    got = flag_votes(log, rules=rules).select("_row", *FLAGS)
    want = reference_flags(log, rules)
    assert got.equals(want), (got.to_dicts(), want.to_dicts())


def test_bench_like_log_matches_the_reference():
    from benchmarks.cases.campaign import make_votes

    d = make_votes(20_000, seed=5)
    log = d["votes"].sample(fraction=1.0, shuffle=True, seed=2).with_columns(
        _row=pl.int_range(2, pl.len() + 2))
    for rules in (IntegrityRules(), BUSY_RULES,
                  IntegrityRules(share_cap=0.002, share_min_votes=5, subsecond_s=60)):
        got = flag_votes(log, rules=rules).select("_row", *FLAGS)
        want = reference_flags(log, rules)
        assert got.equals(want)
        assert got.select(pl.col(*FLAGS).any()).row(0) != (False,) * len(FLAGS)


# --------------------------------------------------------------------------------------------
# the statistics and the single-pass entry


@settings(max_examples=60, deadline=None)
@given(busy_logs())
def test_round_summary_counts_match_plain_polars(log):
    s = round_summary(None, log)
    first = log.group_by("voter_id").agg(first=pl.col("round").min())
    want = (log.join(first, on="voter_id").group_by("round").agg(
        votes=pl.len().cast(pl.Int64), voters=pl.col("voter_id").n_unique().cast(pl.Int64),
        new_voters=pl.col("voter_id").filter(pl.col("first") == pl.col("round")).n_unique()
        .cast(pl.Int64)).sort("round"))
    assert s.select("round", "votes", "voters", "new_voters").equals(want)


@settings(max_examples=40, deadline=None)
@given(busy_logs())
def test_campaign_statistics_is_analyze_campaign_in_one_pass(log):
    rounds, flags = campaign_statistics(None, log)
    a = analyze_campaign(None, log)
    assert rounds.equals(a.rounds) and flags.equals(a.flags)
    assert flags.equals(integrity_flags(log))
    plain = round_summary(None, log, flagged=a.votes)  # the public path with a flagged frame
    assert rounds.equals(plain)
    assert (rounds["flagged_votes"].sum()
            == a.votes.select(pl.any_horizontal(*DEFAULT_EXCLUDE)).to_series().sum())


def test_regular_runs_are_numbered_in_time_order_per_entry():
    t = dt.datetime(2024, 5, 1, 9)
    rows = [("A", 100 + 5 * i) for i in range(10)] + [("A", 1000 + 3 * i) for i in range(10)] + [
        ("B", 50 + 4 * i) for i in range(10)]
    log = pl.DataFrame({"round": 1, "entry_id": [e for e, _ in rows],
                        "voter_id": [f"v{i}" for i in range(len(rows))],
                        "voted_at": [t + dt.timedelta(seconds=s) for _, s in rows]})
    fl = integrity_flags(log).filter(pl.col("flag") == "regular_gaps")
    assert fl.select("entry_id", "key", "n_votes").rows() == [
        ("A", "run-1", 10), ("A", "run-2", 10), ("B", "run-1", 10)]


# --------------------------------------------------------------------------------------------
# the integer helpers against numpy's plain versions


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 300), st.integers(0, 62), st.booleans(), st.integers(0, 2**32 - 1))
def test_sort_order_is_a_lexsort(n, span_bits, shuffle_rows, seed):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, rng.integers(1, 50), n)
    t = rng.integers(0, 2**span_bits, n) if span_bits else np.zeros(n, np.int64)
    t[rng.random(n) < 0.3] = t[0]  # ties in time
    rows = rng.permutation(n) if shuffle_rows else np.arange(n)
    pre = np.argsort(rows, kind="stable") if shuffle_rows else None
    order, gs = _sort_order(g, t, pre)
    want = np.lexsort((rows, t, g))
    assert np.array_equal(order, want)
    assert np.array_equal(gs, g[want])


def test_sort_order_with_a_coarse_key_for_long_spans():
    rng = np.random.default_rng(1)
    n = 5000
    g = rng.integers(0, 1200, n)
    t = rng.integers(0, 2**50, n)  # 11 + 50 + 13 bits: more than one uint64
    t[: n // 2] = rng.integers(0, 5000, n // 2)  # many votes tie on the coarse key
    rows = rng.permutation(n)
    for pre, tie in ((None, np.arange(n)), (np.argsort(rows, kind="stable"), rows)):
        order, gs = _sort_order(g, t, pre)
        want = np.lexsort((tie, t, g))
        assert np.array_equal(order, want) and np.array_equal(gs, g[want])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 8)), min_size=1, max_size=200))
def test_pair_candidates_cover_every_repeated_pair(pairs):
    g = np.array([p[0] for p in pairs])
    h = (np.array([p[1] for p in pairs], dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15))
    cand = set(_pair_candidates(g, h).tolist())
    c = Counter(pairs)
    want = {i for i, p in enumerate(pairs) if c[p] > 1}
    assert want <= cand
    # with distinct well-mixed hashes there are no false candidates here
    assert cand == want


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-5, 40), min_size=1, max_size=100))
def test_dense_codes(values):
    a = np.array(values, dtype=np.int64)
    u, inv = _dense(a)
    wu, winv = np.unique(a, return_inverse=True)
    assert np.array_equal(u, wu) and np.array_equal(inv, winv)
    big = a * 10**12  # a wide range takes np.unique
    u, inv = _dense(big)
    assert np.array_equal(u, wu * 10**12) and np.array_equal(inv, winv)


def test_voter_counts_known_answer():
    r = np.array([0, 0, 1, 1, 1, 2])
    voter = pl.Series(["a", "b", "a", "c", "c", "d"]).hash().to_numpy()
    voters, new = _voter_counts(r, 3, voter)
    assert voters.tolist() == [2, 2, 1] and new.tolist() == [2, 1, 1]


def test_votes_without_device_or_ip_are_never_subsecond():
    # no source: "from the same device (the IP when no device)" cannot hold. (The previous
    # implementation grouped such votes together through NaN hashes and flagged them.)
    t = dt.datetime(2024, 5, 1, 9)
    log = pl.DataFrame({"round": 1, "entry_id": "A", "voter_id": ["a", "b", "c"],
                        "voted_at": [t, t + dt.timedelta(seconds=0.3), t],
                        "ip": [None, None, "1.1.1.1"], "device": [None, None, None]},
                       schema_overrides={"ip": pl.String, "device": pl.String})
    assert flag_votes(log)["subsecond"].to_list() == [False, False, False]
    assert flag_votes(log.drop("ip", "device"))["subsecond"].to_list() == [False] * 3
