"""晒最美 at scale: 10M votes → per-round statistics and every integrity flag (issue 7: < 5 s).

Input (built in memory, untimed): 6 rounds × 200 entries in three categories; 10M votes with
voters drawn from a pool of n/4 (so returning voters and some duplicates occur), voting hours
normal around 19:30 (no clipping, so no artificial pile-ups), an IP pool of n/20 and one device
per voter, and one planted burst (300 votes 2 s apart from one phone) per round.

Timed:
- ``evaltools``: :func:`evaltools.campaign.campaign_statistics` (public API): every vote's seven
  flags computed once, the evidence table with Excel rows (``integrity_flags``) and the per-round
  statistics with the recount (``round_summary``);
- ``polars.group_by`` baseline: votes, unique voters and new voters per round written by hand
  with polars (what the statistics part costs without flags); compared on those three columns.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from benchmarks.harness import Case, Impl, Target, register

N_ROUNDS, PER_ROUND = 6, 200


def make_votes(n: int, seed: int = 11) -> dict:
    rng = np.random.default_rng(seed)
    r = rng.integers(1, N_ROUNDS + 1, n)
    e = rng.integers(1, PER_ROUND + 1, n)
    start = np.datetime64("2024-05-01T00:00:00", "us") + (
        (r - 1) * 7 * 86400 * 10**6).astype("timedelta64[us]")
    secs = rng.integers(0, 7, n) * 86400 + np.abs(rng.normal(19.5, 2.0, n) % 24) * 3600
    t = start + (secs * 1e6).astype("int64").astype("timedelta64[us]")
    voters = rng.integers(0, max(n // 4, 1), n)
    k = min(300, max(n // 1000, 12))
    burst_r = np.repeat(np.arange(1, N_ROUNDS + 1), k)
    burst_t = (np.datetime64("2024-05-03T21:00:00", "us")
               + ((burst_r - 1) * 7 * 86400 * 10**6 + np.tile(np.arange(k), N_ROUNDS) * 2 * 10**6)
               .astype("timedelta64[us]"))
    votes = pl.DataFrame({
        "round": np.concatenate([r, burst_r]).astype(np.int64),
        "entry_id": pl.Series(np.concatenate([e, np.full(burst_r.size, 7)])).cast(pl.String),
        "voter_id": pl.Series(np.concatenate([voters, -1 - np.arange(burst_r.size)])).cast(
            pl.String),
        "voted_at": np.concatenate([t, burst_t]),
        "ip": pl.Series(np.concatenate([rng.integers(0, max(n // 20, 1), n),
                                        np.full(burst_r.size, -7)])).cast(pl.String),
        "device": pl.Series(np.concatenate([voters, np.full(burst_r.size, -7)])).cast(pl.String),
    })
    entries = pl.DataFrame({
        "round": np.repeat(np.arange(1, N_ROUNDS + 1), PER_ROUND).astype(np.int64),
        "entry_id": pl.Series(np.tile(np.arange(1, PER_ROUND + 1), N_ROUNDS)).cast(pl.String),
        "unit_id": pl.Series(np.tile(np.arange(PER_ROUND), N_ROUNDS)).cast(pl.String),
        "category": pl.Series(["最美楼栋", "最美庭院", "最美楼道"]).gather(
            np.tile(np.arange(PER_ROUND) % 3, N_ROUNDS)),
        "title": "作品",
    })
    return {"votes": votes, "entries": entries}


def evaltools_campaign(d: dict) -> np.ndarray:
    from evaltools.campaign import campaign_statistics

    # the public single-pass entry: flags once, then the round table (with the recount) and the
    # flag table from them
    rounds, _flags = campaign_statistics(d["entries"], d["votes"])
    return rounds.select("votes", "voters", "new_voters").to_numpy().astype(np.float64)


def polars_group_by(d: dict) -> np.ndarray:
    v = d["votes"]
    first = v.group_by("voter_id").agg(pl.col("round").min().alias("first"))
    out = (v.join(first, on="voter_id").group_by("round").agg(
        pl.len().alias("votes"), pl.col("voter_id").n_unique().alias("voters"),
        (pl.col("first") == pl.col("round")).sum().alias("_x"),
        pl.col("voter_id").filter(pl.col("first") == pl.col("round")).n_unique()
        .alias("new_voters")).sort("round"))
    return out.select("votes", "voters", "new_voters").to_numpy().astype(np.float64)


def max_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)))


register(Case(
    name="campaign", title="晒最美 10M votes: per-round statistics + all integrity flags",
    sizes=(10_000_000,), quick_sizes=(10_000,), setup=make_votes,
    impls=(
        Impl("polars.group_by", polars_group_by, role="baseline"),
        Impl("evaltools", evaltools_campaign, role="subject"),
    ),
    reference="polars.group_by", compare=max_diff,
    targets=(
        Target("< 5 s for 10M votes", "seconds", limit=5.0, size=10_000_000),
        Target("statistics identical to polars", "diff", limit=0.0, size=10_000_000),
    ),
    input_bytes=lambda d: int(d["votes"].estimated_size()), size_label="votes",
    budget_s=60.0,
))
