"""晒最美 campaigns: hand-built vote logs with known answers for every statistic and flag, the
planted irregularities of the sample, campaign criteria in the scores, and properties."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaltools.campaign import (
    DEFAULT_EXCLUDE,
    FLAGS,
    IntegrityRules,
    analyze_campaign,
    entry_results,
    flag_votes,
    integrity_flags,
    most_improved,
    round_summary,
    unit_values,
    votes_by_hour,
    winners,
)
from evaltools.datasets import PLANTED, SAMPLE_FACTS, load_sample
from evaltools.errors import UsageError

T0 = dt.datetime(2024, 5, 1, 8, 0, 0)


def votes_frame(rows: list[tuple], *, ip: bool = True, device: bool = True) -> pl.DataFrame:
    """rows: (round, entry_id, voter_id, seconds after T0[, ip[, device]])."""
    data = {
        "round": [r[0] for r in rows], "entry_id": [r[1] for r in rows],
        "voter_id": [r[2] for r in rows],
        "voted_at": [T0 + dt.timedelta(seconds=r[3]) for r in rows],
    }
    if ip:
        data["ip"] = [r[4] if len(r) > 4 else f"10.0.0.{i}" for i, r in enumerate(rows)]
    if device:
        data["device"] = [r[5] if len(r) > 5 else f"d{i}" for i, r in enumerate(rows)]
    return pl.DataFrame(data, schema_overrides={"voted_at": pl.Datetime("us")})


ENTRIES = pl.DataFrame({
    "round": [1, 1, 1, 2, 2, 2],
    "entry_id": ["A1", "B1", "C1", "A2", "B2", "C2"],
    "unit_id": ["A", "B", "C", "A", "B", "C"],
    "category": ["最美楼栋", "最美楼栋", "最美楼道", "最美楼栋", "最美楼栋", "最美楼道"],
    "title": ["甲楼", "乙楼", "丙楼道", "甲楼", "乙楼", "丙楼道"],
})


def simple_log() -> pl.DataFrame:
    # round 1: A1 4 votes, B1 4 votes, C1 2 votes (voters v1..v8; v1 votes twice: A1 and C1)
    r1 = [(1, "A1", "v1", 0), (1, "A1", "v2", 3600), (1, "A1", "v3", 7200),
          (1, "A1", "v4", 9000), (1, "B1", "v5", 100), (1, "B1", "v6", 5000),
          (1, "B1", "v7", 8000), (1, "B1", "v8", 9999), (1, "C1", "v1", 200),
          (1, "C1", "v9", 300)]
    # round 2: A2 1, B2 6, C2 3; v1, v5 return; w1..w8 new
    r2 = [(2, "A2", "v1", 86400), (2, "B2", "v5", 86500)] + [
        (2, "B2", f"w{i}", 87000 + 900 * i) for i in range(1, 6)] + [
        (2, "C2", f"w{i}", 99000 + 900 * i) for i in range(6, 9)]
    return votes_frame(r1 + r2)


# --------------------------------------------------------------------------------------------
# statistics


def test_round_summary_known_answers():
    s = round_summary(ENTRIES, simple_log())
    assert s["round"].to_list() == [1, 2]
    assert s["entries"].to_list() == [3, 3]
    assert s["votes"].to_list() == [10, 10]
    assert s["voters"].to_list() == [9, 10]
    assert s["new_voters"].to_list() == [9, 8]
    assert s["returning_voters"].to_list() == [0, 2]
    assert s["votes_per_voter"].to_list() == pytest.approx([10 / 9, 1.0])
    assert s["growth"].to_list() == [None, 0.0]
    assert s["voters_growth"][1] == pytest.approx(10 / 9 - 1)
    # HHI: round 1 shares .4 .4 .2 -> .16+.16+.04 = .36; round 2: .1 .6 .3 -> .01+.36+.09
    assert s["hhi"].to_list() == pytest.approx([0.36, 0.46])
    assert s["top3_share"].to_list() == pytest.approx([1.0, 1.0])


def test_round_summary_top3_and_entries_without_votes():
    entries = pl.DataFrame({"round": 1, "entry_id": [f"E{i}" for i in range(5)],
                            "unit_id": [f"U{i}" for i in range(5)], "category": "最美庭院",
                            "title": "x"})
    rows = [(1, "E0", f"a{i}", i) for i in range(5)] + [(1, "E1", f"b{i}", i) for i in range(3)] \
        + [(1, "E2", "c0", 0), (1, "E3", "d0", 0)]  # E4 has no votes
    s = round_summary(entries, votes_frame(rows))
    assert s["entries"].item() == 5
    assert s["top3_share"].item() == pytest.approx(9 / 10)
    assert s["hhi"].item() == pytest.approx((25 + 9 + 1 + 1) / 100)


def test_entry_results_shares_ranks_and_ties():
    res = entry_results(ENTRIES, simple_log())
    r1 = res.filter(pl.col("round") == 1).sort("entry_id")
    assert r1["votes"].to_list() == [4, 4, 2]
    assert r1["share"].to_list() == pytest.approx([0.4, 0.4, 0.2])
    assert r1["share_in_category"].to_list() == pytest.approx([0.5, 0.5, 1.0])
    assert r1["rank"].to_list() == [1, 1, 3]  # 1224 over the round
    assert r1["rank_in_category"].to_list() == [1, 1, 1]
    assert r1["rank_label"].to_list() == ["并列第1名", "并列第1名", "第1名"]
    dense = entry_results(ENTRIES, simple_log(), ties="dense").filter(pl.col("round") == 1)
    assert dense.sort("entry_id")["rank"].to_list() == [1, 1, 2]
    w = winners(res).filter(pl.col("round") == 1)
    assert sorted(w["entry_id"]) == ["A1", "B1", "C1"]
    with pytest.raises(UsageError):
        entry_results(ENTRIES, simple_log(), ties="best")  # type: ignore[arg-type]


def test_shrunk_share_and_most_improved():
    res = entry_results(ENTRIES, simple_log(), prior_votes=10)
    b2 = res.filter(pl.col("entry_id") == "B2").row(0, named=True)
    # (votes + m / n_entries) / (round votes + m) = (6 + 10/3) / (10 + 10)
    assert b2["shrunk_share"] == pytest.approx((6 + 10 / 3) / 20)
    assert b2["previous_rank"] == 1 and b2["rank_in_category"] == 1 and b2["rank_gain"] == 0
    a2 = res.filter(pl.col("entry_id") == "A2").row(0, named=True)
    assert a2["previous_rank"] == 1 and a2["rank_in_category"] == 2 and a2["rank_gain"] == -1
    assert b2["share_gain"] == pytest.approx((6 + 10 / 3) / 20 - (4 + 10 / 3) / 20)
    by_share = most_improved(res, by="share")
    assert by_share.select("round", "entry_id").rows() == [(2, "B2"), (2, "C2")]
    assert most_improved(res, by="rank").height == 0  # nobody climbed
    with pytest.raises(UsageError):
        most_improved(res, by="votes")  # type: ignore[arg-type]


def test_shrinkage_stops_a_tiny_entry_winning_most_improved_by_luck():
    # round 1: big entry X 100 votes, tiny Y 1 vote; round 2: X 130 (+30), Y 3 (tripled)
    entries = pl.DataFrame({"round": [1, 1, 2, 2], "entry_id": ["X1", "Y1", "X2", "Y2"],
                            "unit_id": ["X", "Y", "X", "Y"], "category": "最美楼栋",
                            "title": "t"})
    rows = ([(1, "X1", f"x{i}", i) for i in range(100)] + [(1, "Y1", "y0", 5)]
            + [(2, "X2", f"x{i}", 86400 + i) for i in range(130)]
            + [(2, "Y2", f"y{i}", 86400 + i) for i in range(3)])
    res = entry_results(entries, votes_frame(rows))
    assert most_improved(res, by="share")["entry_id"].to_list() == ["X2"]


# --------------------------------------------------------------------------------------------
# integrity flags, one by one


def test_duplicate_keeps_the_first_vote_and_lists_every_copy():
    log = votes_frame([(1, "A1", "v1", 50), (1, "A1", "v2", 60), (1, "A1", "v1", 10),
                       (1, "B1", "v1", 70)])
    f = flag_votes(log)
    # row 4 (10 s) is v1's first vote for A1; row 2 (50 s) repeats it
    assert f.filter("duplicate")["_row"].to_list() == [2]
    fl = integrity_flags(log).filter(pl.col("flag") == "duplicate")
    assert fl.select("entry_id", "key", "n_votes").row(0) == ("A1", "v1", 1)
    assert fl["rows"].to_list() == [[2, 4]]
    res = entry_results(None, log)
    assert res.filter(pl.col("entry_id") == "A1")["votes_recount"].item() == 2


def _background(entry: str, n_bins: int, start: int = 0, per_bin: int = 1) -> list[tuple]:
    """per_bin votes in each of n_bins 10-minute bins (at minute 3, 4, … of the bin)."""
    return [(1, entry, f"{entry}-bg{b}-{k}", start + 600 * b + 180 + 60 * k)
            for b in range(n_bins) for k in range(per_bin)]


def test_burst_found_against_the_robust_threshold():
    rows = _background("A1", 40)  # 40 bins with one vote: median 1, MAD 0 -> threshold 1 + 5
    burst_at = 600 * 20 + 5  # inside bin 20, which already holds a background vote
    rows += [(1, "A1", f"bot{i}", burst_at + 13 * i) for i in range(12)]  # 12 votes in 156 s
    f = flag_votes(votes_frame(rows))
    flagged = f.filter("burst")
    assert flagged.height == 13  # the 12 + the background vote of that bin, all shown for review
    fl = integrity_flags(votes_frame(rows)).filter(pl.col("flag") == "burst")
    assert fl.height == 1 and fl["n_votes"].item() == 13
    assert fl["key"].item() == "2024-05-01 11:20"
    assert sorted(fl["rows"].item()) == sorted(flagged["_row"].to_list())
    # 6 extra votes (7 in the bin) exceed 1 + 5 = 6 but not burst_min_votes = 10
    small = _background("A1", 40) + [(1, "A1", f"bot{i}", burst_at + i) for i in range(6)]
    assert not flag_votes(votes_frame(small))["burst"].any()
    assert flag_votes(votes_frame(small), rules=IntegrityRules(burst_min_votes=5))["burst"].sum() \
        == 7


def test_burst_threshold_uses_the_mad():
    # 30 bins of 2, 5 and 8 votes (+ the spike bin): median 5, MAD 3
    # -> threshold 5 + 5 * 1.4826 * 3 = 27.24
    rows = []
    for b in range(30):
        rows += [(1, "A1", f"v{b}-{k}", 600 * b + 10 * k) for k in range((2, 5, 8)[b % 3])]
    spike = [(1, "A1", f"s{k}", 600 * 40 + 5 * k) for k in range(27)]
    assert not flag_votes(votes_frame(rows + spike))["burst"].any()  # 27 <= 27.24
    spike.append((1, "A1", "s27", 600 * 40 + 5 * 27))
    assert flag_votes(votes_frame(rows + spike))["burst"].sum() == 28


def test_courtyard_sharing_one_ip_over_a_day_is_not_a_burst():
    rng = np.random.default_rng(4)
    secs = np.sort(rng.uniform(8 * 3600, 21 * 3600, 40)).astype(int)
    rows = [(1, "C1", f"h{i}", int(s) - 8 * 3600, "1.193.37.18", f"phone{i}")
            for i, s in enumerate(secs)]
    rows += [(1, "C1", f"o{i}", 3000 * i + 77) for i in range(15)]  # other residents
    f = flag_votes(votes_frame(rows))
    assert not f["burst"].any()
    assert not f["regular_gaps"].any() and not f["subsecond"].any()
    assert not f["device_share"].any()
    assert f.filter("ip_share").height == 40  # shown as evidence (40 of 55)
    a = analyze_campaign(None, votes_frame(rows))
    assert a.results["votes_recount"].item() == 55  # ip_share is not excluded by default
    strict = analyze_campaign(None, votes_frame(rows), exclude=(*DEFAULT_EXCLUDE, "ip_share"))
    assert strict.results["votes_recount"].item() == 15


def test_regular_gaps():
    rows = [(1, "A1", f"b{i}", 1000 + 7 * i) for i in range(12)]  # 12 votes 7 s apart
    rows += [(1, "A1", f"h{i}", 5000 + s) for i, s in enumerate([0, 13, 61, 62, 300, 1000])]
    f = flag_votes(votes_frame(rows))
    assert f.filter("regular_gaps")["voter_id"].to_list() == [f"b{i}" for i in range(12)]
    fl = integrity_flags(votes_frame(rows)).filter(pl.col("flag") == "regular_gaps")
    assert fl["n_votes"].item() == 12 and "7.0" in fl["detail_zh"].item()
    nine = [(1, "A1", f"b{i}", 1000 + 7 * i) for i in range(9)]  # fewer than 10 votes
    assert not flag_votes(votes_frame(nine))["regular_gaps"].any()
    # jitter within the tolerance (0.5 s) is still machine-regular
    jitter = [(1, "A1", f"b{i}", 1000 + 7 * i + (0.2 if i % 2 else 0)) for i in range(10)]
    assert flag_votes(votes_frame(jitter))["regular_gaps"].sum() == 10


def test_regular_runs_do_not_cross_entries():
    rows = [(1, "A1", f"a{i}", 7 * i) for i in range(6)] + [
        (1, "B1", f"b{i}", 42 + 7 * i) for i in range(6)]
    assert not flag_votes(votes_frame(rows))["regular_gaps"].any()


def test_ip_and_device_share_caps():
    def log(n_same: int, total: int = 25) -> pl.DataFrame:
        return votes_frame([(1, "A1", f"v{i}", 997 * i, "9.9.9.9" if i < n_same else f"1.1.1.{i}",
                             "devX" if i < n_same else f"d{i}") for i in range(total)])

    f8 = flag_votes(log(8))  # 8 / 25 = 32% > 30%
    assert f8["ip_share"].sum() == 8 and f8["device_share"].sum() == 8
    f7 = flag_votes(log(7))  # 28%
    assert not f7["ip_share"].any() and not f7["device_share"].any()
    few = flag_votes(log(10, total=19))  # fewer than share_min_votes = 20: not checked
    assert not few["ip_share"].any()
    assert flag_votes(log(7), rules=IntegrityRules(share_cap=0.25))["ip_share"].sum() == 7


def test_off_hours_boundaries():
    day = dt.datetime(2024, 5, 1)
    times = [day.replace(hour=5, minute=59, second=59), day.replace(hour=6),
             day.replace(hour=23, minute=59)]
    log = pl.DataFrame({"round": 1, "entry_id": "A1", "voter_id": ["a", "b", "c"],
                        "voted_at": times})
    assert flag_votes(log)["off_hours"].to_list() == [True, False, False]
    late = flag_votes(log, rules=IntegrityRules(hours=(7, 23)))["off_hours"].to_list()
    assert late == [True, True, True]
    with pytest.raises(UsageError):
        IntegrityRules(hours=(8, 8))


def test_subsecond_same_device_only():
    rows = [(1, "A1", "a", 100.0, "1.1.1.1", "devA"), (1, "A1", "b", 100.4, "1.1.1.2", "devA"),
            (1, "A1", "c", 100.6, "1.1.1.3", "devB"), (1, "A1", "d", 101.6, "1.1.1.4", "devA")]
    f = flag_votes(votes_frame(rows))
    assert f["subsecond"].to_list() == [False, True, False, False]
    no_dev = votes_frame([(1, "A1", "a", 0.0, "2.2.2.2"), (1, "A1", "b", 0.5, "2.2.2.2")],
                         device=False)
    assert flag_votes(no_dev)["subsecond"].to_list() == [False, True]  # falls back to the IP


def test_rows_are_excel_rows_or_kept_from_reading():
    log = simple_log()
    f = flag_votes(log)
    assert f["_row"].to_list() == list(range(2, log.height + 2))
    kept = log.with_columns(_row=pl.Series(np.arange(log.height) * 2 + 10))
    assert flag_votes(kept)["_row"].to_list() == list(range(10, 10 + 2 * log.height, 2))


def test_missing_columns_are_named():
    from evaltools.errors import EvalToolsError

    with pytest.raises(EvalToolsError) as err:
        flag_votes(simple_log().drop("voted_at"))
    assert err.value.problems[0].rule == "missing_column"
    assert "voted_at" in err.value.problems[0].column


def test_empty_votes():
    empty = simple_log().head(0)
    assert flag_votes(empty).height == 0
    assert integrity_flags(empty).height == 0


# --------------------------------------------------------------------------------------------
# the sample


@pytest.fixture(scope="module")
def sample():
    return analyze_campaign(load_sample())


def test_sample_totals_match_the_figures_it_was_made_to_match(sample):
    assert int(sample.rounds["votes"].sum()) == SAMPLE_FACTS["campaign"]["votes"] == 1968
    assert sample.rounds.height == SAMPLE_FACTS["campaign"]["rounds"]
    assert sample.rounds["votes"].to_list() == [180, 240, 300, 360, 420, 468]
    assert sample.rounds["entries"].to_list() == [9] * 6


def test_sample_planted_bursts_are_found(sample):
    bursts = sample.flags.filter(pl.col("flag") == "burst")
    found = {(r, e): n for r, e, n in bursts.select("round", "entry_id", "n_votes").iter_rows()}
    want = {(b["round"], b["entry_id"]): b["votes"] for b in PLANTED["bursts"]}
    assert set(found) == set(want)
    for key, n in want.items():
        assert n <= found[key] <= n + 2  # the planted votes, maybe an honest vote in the bin
    regular = sample.flags.filter(pl.col("flag") == "regular_gaps")
    assert set(zip(regular["round"], regular["entry_id"], strict=True)) == set(want)


def test_sample_honest_courtyard_is_not_a_burst(sample):
    h = PLANTED["honest_shared_ip"]
    v = sample.votes.filter(pl.col("ip") == h["ip"])
    assert v.height == h["votes"]
    assert not v["burst"].any() and not v["regular_gaps"].any() and not v["excluded"].any()
    assert v["ip_share"].all()  # evidence, not exclusion


def test_sample_duplicates_and_recount(sample):
    dups = sample.flags.filter(pl.col("flag") == "duplicate")
    assert sorted(zip(dups["entry_id"], dups["round"], strict=True)) == sorted(
        PLANTED["duplicates"])
    assert (dups["rows"].list.len() == 2).all()
    res = sample.results
    assert (res["votes_recount"] == res["votes"] - res["flagged_votes"]).all()
    assert sample.rounds["votes_recount"].sum() == 1968 - sample.votes["excluded"].sum()
    # the round-2 burst made R2-04 first in its category; the recount puts it behind
    r24 = res.filter(pl.col("entry_id") == "R2-04").row(0, named=True)
    assert r24["rank_in_category"] == 1 and r24["rank_recount"] > 1
    assert winners(res, recount=True).filter(pl.col("round") == 2, pl.col("category") == "最美庭院")[
        "entry_id"].to_list() != ["R2-04"]


def test_flag_rows_point_at_the_right_lines_of_votes_csv(sample):
    from evaltools.datasets import SAMPLE_DIR

    raw = pl.read_csv(SAMPLE_DIR / "votes.csv", infer_schema=False)
    burst = sample.flags.filter(pl.col("flag") == "burst", pl.col("entry_id") == "R5-02")
    rows = burst["rows"].item().to_list()
    lines = raw.with_row_index("i").filter(pl.col("i").is_in([r - 2 for r in rows]))
    assert set(lines["entry_id"]) == {"R5-02"}
    assert (lines["device"] == "dev-9e02d5").sum() == 30


def test_votes_by_hour_adds_up(sample):
    h = votes_by_hour(sample.votes)
    assert h["votes"].sum() == 1968
    assert h["burst_votes"].sum() == sample.votes["burst"].sum()
    assert h["hour"].is_between(0, 23).all()


# --------------------------------------------------------------------------------------------
# into the scores


def test_unit_values_measures():
    e = ENTRIES
    v = simple_log()
    out = unit_values(e, v, 2, {"n": "votes", "s": "vote_share", "r": "rank",
                                "c": "recount_share"})
    got = {(u, c): x for u, c, x in out.select("unit_id", "criterion", "value").iter_rows()}
    assert got[("A", "n")] == 1 and got[("B", "n")] == 6 and got[("C", "n")] == 3
    assert got[("B", "s")] == pytest.approx(0.6)
    assert (got[("B", "r")], got[("C", "r")], got[("A", "r")]) == (1, 2, 3)
    assert got[("B", "c")] == pytest.approx(0.6)
    assert out.filter(pl.col("criterion") == "n")["raw"].to_list() == [[1.0], [6.0], [3.0]]
    assert unit_values(e, v, None, {"n": "votes"}).height == 3  # latest round
    with pytest.raises(UsageError):
        unit_values(e, v, 1, {"x": "likes"})


def test_campaign_criterion_in_a_mixed_rubric():
    """评委 50% + 网络投票 20% (+ the rest): the vote share earns points like any criterion."""
    from types import SimpleNamespace

    from evaltools.rubric import Criterion, Rubric
    from evaltools.scoring import score_round

    rubric = Rubric(name="混合", criteria=(
        Criterion("judge", "评委打分", max_points=50, scale=(0, 10)),
        Criterion("web", "网络投票", source="campaign", measure="vote_share", max_points=20),
        Criterion("place", "投票名次", source="campaign", measure="rank", weight=1,
                  direction="min"),
    ), judge_aggregate="mean", min_judges=1, total_points=70, method="weighted_sum")
    scores = pl.DataFrame({"round": 2, "unit_id": ["A", "B", "C"], "judge_id": "J1",
                           "criterion": "judge", "score": [9.0, 7.0, 8.0]})
    ds = SimpleNamespace(scores=scores, units=None, ratings=None, deductions=None,
                         entries=ENTRIES, votes=simple_log(), tickets=None)
    res = score_round(ds, rubric, 2)
    vals = res.values.filter(pl.col("criterion") == "web").sort("unit_id")
    assert vals["value"].to_list() == pytest.approx([0.1, 0.6, 0.3])
    assert vals["rule"].to_list() == ["vote_share"] * 3
    place = res.values.filter(pl.col("criterion") == "place").sort("unit_id")
    assert place["value"].to_list() == [3.0, 1.0, 2.0]
    points = Rubric(name="计分", criteria=rubric.criteria[:2], judge_aggregate="mean",
                    min_judges=1, total_points=70)
    pts = score_round(ds, points, 2).units.sort("unit_id")
    assert pts["web"].to_list() == pytest.approx([2.0, 12.0, 6.0])  # share × 20 points


# --------------------------------------------------------------------------------------------
# properties


@st.composite
def vote_logs(draw):
    n = draw(st.integers(1, 60))
    entries = draw(st.lists(st.sampled_from(["A", "B", "C"]), min_size=n, max_size=n))
    rounds = draw(st.lists(st.integers(1, 3), min_size=n, max_size=n))
    voters = draw(st.lists(st.sampled_from([f"v{i}" for i in range(12)]), min_size=n, max_size=n))
    secs = draw(st.lists(st.floats(0, 3 * 86400, allow_nan=False), min_size=n, max_size=n))
    ips = draw(st.lists(st.sampled_from(["1.1.1.1", "2.2.2.2", None]), min_size=n, max_size=n))
    return pl.DataFrame({
        "round": rounds, "entry_id": entries, "voter_id": voters,
        "voted_at": [T0 + dt.timedelta(seconds=round(s, 3)) for s in secs], "ip": ips,
    }, schema_overrides={"voted_at": pl.Datetime("us"), "ip": pl.String})


@settings(max_examples=60, deadline=None)
@given(vote_logs(), st.randoms(use_true_random=False))
def test_flags_do_not_depend_on_row_order(log, rnd):
    log = log.with_columns(_row=pl.int_range(2, pl.len() + 2))
    perm = list(range(log.height))
    rnd.shuffle(perm)
    a = flag_votes(log)
    b = flag_votes(log[perm])
    # ties in time are broken by the Excel row, so even "which copy came first" is stable
    assert a.select("_row", *FLAGS).equals(b.select("_row", *FLAGS))


@settings(max_examples=60, deadline=None)
@given(vote_logs())
def test_counts_add_up(log):
    a = analyze_campaign(None, log)
    res = a.results
    assert res["votes"].sum() == log.height
    assert (res.group_by("round").agg(pl.col("share").sum())["share"] - 1).abs().max() < 1e-9
    assert (res["votes_recount"] == res["votes"] - res["flagged_votes"]).all()
    assert a.rounds["votes"].sum() == log.height
    # duplicates: a reference count with a plain group-by
    ref = log.group_by("round", "entry_id", "voter_id").len()["len"].sum() - \
        log.select("round", "entry_id", "voter_id").unique().height
    assert a.votes["duplicate"].sum() == ref
    assert (a.rounds["new_voters"].sum()) == log["voter_id"].n_unique()
