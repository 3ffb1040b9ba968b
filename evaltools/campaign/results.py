"""Campaign statistics per round and entry: summaries, results, winners, most improved.

:func:`round_summary`, :func:`entry_results`, :func:`winners`, :func:`most_improved`,
:func:`votes_by_hour`, and :func:`unit_values` (vote measures as criterion values for scoring).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import polars as pl

from evaltools.campaign._inputs import VOTE_COLUMNS, Ties, check_columns, check_ties
from evaltools.campaign.flags import (
    DEFAULT_EXCLUDE,
    Flags,
    IntegrityRules,
    check_exclude,
    count_voters,
    dense_codes,
    flag_frame,
)
from evaltools.errors import Problem, UsageError

__all__ = ["CAMPAIGN_MEASURES", "ENTRY_LABELS", "ROUND_LABELS", "entry_results", "most_improved", "round_summary", "unit_values", "votes_by_hour", "winners"]


Measure = Literal["vote_share", "votes", "rank", "recount_share"]
#: the vote measures a ``source = "campaign"`` criterion may take (as ``rubric.CAMPAIGN_MEASURES``)
CAMPAIGN_MEASURES: tuple[str, ...] = ("vote_share", "votes", "rank", "recount_share")

#: Chinese headers of :func:`round_summary`'s columns
ROUND_LABELS: dict[str, str] = {
    "round": "轮次", "entries": "作品数", "votes": "投票人次", "voters": "投票人数",
    "new_voters": "新投票人", "returning_voters": "回头投票人", "votes_per_voter": "人均投票",
    "growth": "人次环比增长", "voters_growth": "人数环比增长", "hhi": "集中度HHI",
    "top3_share": "前三名票数占比", "flagged_votes": "存疑票数", "votes_recount": "复核后人次",
}
#: Chinese headers of :func:`entry_results`'s columns
ENTRY_LABELS: dict[str, str] = {
    "round": "轮次", "entry_id": "作品编号", "unit_id": "楼栋编号", "category": "类别",
    "title": "作品名称", "votes": "票数", "share": "得票率", "share_in_category": "类别内得票率",
    "rank": "本轮名次", "rank_in_category": "类别名次", "rank_label": "名次", "winner": "获胜",
    "shrunk_share": "收缩得票率", "previous_rank": "上期类别名次", "rank_gain": "名次提升",
    "share_gain": "收缩得票率提升", "flagged_votes": "存疑票数", "votes_recount": "复核票数",
    "share_recount": "复核得票率", "rank_recount": "复核类别名次",
}


# --------------------------------------------------------------------------------------------
# statistics


def _entry_votes(entries: pl.DataFrame | None, votes: pl.DataFrame,
                 counts: pl.DataFrame | None = None) -> pl.DataFrame:
    """Votes per (round, entry) including entries without votes.

    ``counts``: the ``round, entry_id, votes[, votes_recount]`` already counted (from the flags'
    entry codes); else the votes are counted here.
    """
    v = counts if counts is not None else votes.group_by(
        pl.col("round").cast(pl.Int64), pl.col("entry_id").cast(pl.String)).agg(
        votes=pl.len().cast(pl.Int64))
    if entries is not None:
        check_columns(entries, "entries", ("round", "entry_id", "unit_id", "category"))
        meta = entries.select(
            pl.col("round").cast(pl.Int64), pl.col("entry_id").cast(pl.String),
            pl.col("unit_id").cast(pl.String), pl.col("category").cast(pl.String),
            (pl.col("title").cast(pl.String) if "title" in entries.columns
             else pl.col("entry_id").cast(pl.String)).alias("title"),
            *([pl.col("photo").cast(pl.String)] if "photo" in entries.columns else []),
        )
        v = meta.join(v, on=["round", "entry_id"], how="full", coalesce=True)
    else:
        v = v.with_columns(unit_id=pl.col("entry_id"), category=pl.lit("全部"),
                           title=pl.col("entry_id"))
    v = v.with_columns(pl.col("votes").fill_null(0),
                       pl.col("category").fill_null("未登记"), pl.col("unit_id").fill_null(
                           pl.col("entry_id")), pl.col("title").fill_null(pl.col("entry_id")))
    if "votes_recount" in v.columns:
        v = v.with_columns(pl.col("votes_recount").fill_null(0))
    return v


def round_summary(entries: pl.DataFrame | None, votes: pl.DataFrame, *,
                  flagged: pl.DataFrame | None = None,
                  _flags: tuple[Flags, np.ndarray] | None = None) -> pl.DataFrame:
    """Per-round participation and concentration.

    Columns: ``round, entries, votes`` (participations, 人次), ``voters`` (unique), ``new_voters``
    (first vote in this round), ``returning_voters`` (voted in an earlier round), ``votes_per_voter``,
    ``growth`` and ``voters_growth`` (on the previous round present; null for the first),
    ``hhi`` (Σ share² over the round's entries: 1/n when even, 1 when one entry takes all),
    ``top3_share`` (share of the three entries with most votes). With ``flagged`` (a
    :func:`flag_votes` frame with an ``excluded`` column, as :func:`analyze_campaign` makes it):
    ``flagged_votes`` and ``votes_recount`` too. Labels: :data:`ROUND_LABELS`.
    """
    check_columns(votes, "votes", VOTE_COLUMNS)
    # voters by a 64-bit hash of the id and numpy's sorts (fast on few cores; see _voter_counts)
    if _flags is not None:
        fl, excluded = _flags
        rounds, r_idx = fl.rounds, fl.r
        voters, new_voters = fl.voter_counts
        counts: pl.DataFrame | None = fl.entry_counts()
    else:
        rounds, r_idx = dense_codes(votes["round"].cast(pl.Int64).to_numpy())
        voter = votes.select(pl.col("voter_id").cast(pl.String).hash())["voter_id"].to_numpy()
        counts = None
        voters, new_voters = count_voters(r_idx, rounds.size, voter)
    per = pl.DataFrame({
        "round": rounds.astype(np.int64),
        "votes": np.bincount(r_idx, minlength=rounds.size).astype(np.int64),
        "voters": voters, "new_voters": new_voters,
    })
    ev = _entry_votes(entries, votes, counts)
    conc = (ev.with_columns(_s=pl.col("votes") / pl.col("votes").sum().over("round"))
            .group_by("round").agg(
                entries=pl.len().cast(pl.Int64), hhi=(pl.col("_s") ** 2).sum(),
                top3_share=pl.col("_s").top_k(3).sum()))
    out = (conc.join(per, on="round", how="left")
           .with_columns(pl.col("votes", "voters", "new_voters").fill_null(0))
           .sort("round")
           .with_columns(
               returning_voters=pl.col("voters") - pl.col("new_voters"),
               votes_per_voter=pl.col("votes") / pl.col("voters"),
               growth=pl.col("votes") / pl.col("votes").shift(1) - 1,
               voters_growth=pl.col("voters") / pl.col("voters").shift(1) - 1,
           ))
    cols = ["round", "entries", "votes", "voters", "new_voters", "returning_voters",
            "votes_per_voter", "growth", "voters_growth", "hhi", "top3_share"]
    if _flags is not None or (flagged is not None and "excluded" in flagged.columns):
        if _flags is not None:
            fl_votes = pl.DataFrame({"round": rounds.astype(np.int64), "flagged_votes": np.bincount(
                r_idx[excluded], minlength=rounds.size).astype(np.int64)})
        else:
            assert flagged is not None
            fl_votes = flagged.group_by("round").agg(
                flagged_votes=pl.col("excluded").sum().cast(pl.Int64))
        out = out.join(fl_votes, on="round", how="left").with_columns(
            pl.col("flagged_votes").fill_null(0)).with_columns(
            votes_recount=pl.col("votes") - pl.col("flagged_votes"))
        cols += ["flagged_votes", "votes_recount"]
    return out.select(cols)


def _rank(col: str, by: Sequence[str], ties: Ties) -> pl.Expr:
    return pl.col(col).rank(ties, descending=True).over(by)


def entry_results(entries: pl.DataFrame | None, votes: pl.DataFrame, *, ties: Ties = "min",
                  prior_votes: float = 20.0, rules: IntegrityRules | None = None,
                  exclude: Sequence[str] = DEFAULT_EXCLUDE,
                  _flags: tuple[Flags, np.ndarray] | None = None) -> pl.DataFrame:
    """Per entry and round: votes, shares, ranks, winners, gains, and the recount beside them.

    Parameters
    ----------
    entries : the ``entries`` table (None: every voted entry is its own unit, category 全部).
    votes : the ``votes`` table.
    ties : ``min`` (1224, 并列), ``dense``, ``ordinal`` or ``average`` — the rubric's rule.
    prior_votes : m of the shrunk share ``(votes + m / n_entries) / (round votes + m)``: the share
        pulled towards an even split by m imaginary votes, so that the gain of an entry with a
        handful of votes in a small round is not taken at face value.
    rules, exclude : integrity thresholds and the flags the recount leaves out.

    Returns
    -------
    polars.DataFrame
        ``round, entry_id, unit_id, category, title, [photo], votes, share, share_in_category,
        rank`` (in the round), ``rank_in_category, rank_label`` (第1名 / 并列第2名, in the
        category), ``winner``, ``shrunk_share, previous_rank`` (the unit's rank in the category
        in the previous round it took part in), ``rank_gain`` (places gained), ``share_gain``
        (gain in shrunk share), ``flagged_votes, votes_recount, share_recount, rank_recount``.
        Sorted by round, category, rank.
    """
    check_ties(ties)
    exclude = check_exclude(exclude)
    if prior_votes < 0:
        raise UsageError(Problem(None, None, None, prior_votes, "bad_range",
                                 "参数 prior_votes 不能为负数", "prior_votes must be >= 0"))
    if _flags is None:
        fl = flag_frame(votes, rules or IntegrityRules())
        _flags = (fl, fl.excluded(exclude))
    ev = _entry_votes(entries, votes, _flags[0].entry_counts(_flags[1]))
    n_round = pl.col("votes").sum().over("round")
    out = ev.with_columns(
        share=pl.col("votes") / n_round,
        share_in_category=pl.col("votes") / pl.col("votes").sum().over("round", "category"),
        rank=_rank("votes", ["round"], ties),
        rank_in_category=_rank("votes", ["round", "category"], ties),
        shrunk_share=(pl.col("votes") + prior_votes / pl.len().over("round"))
        / (n_round + prior_votes),
        flagged_votes=pl.col("votes") - pl.col("votes_recount"),
        share_recount=pl.col("votes_recount") / pl.col("votes_recount").sum().over("round"),
        rank_recount=_rank("votes_recount", ["round", "category"], ties),
    ).with_columns(
        winner=pl.col("rank_in_category") == pl.col("rank_in_category").min().over(
            "round", "category"),
        rank_label=pl.when(pl.len().over("round", "category", "rank_in_category") > 1)
        .then(pl.format("并列第{}名", "rank_in_category"))
        .otherwise(pl.format("第{}名", "rank_in_category")),
    )
    # the unit's previous entry in the same category (one entry per unit, category and round;
    # a unit with two entries there keeps its best)
    best = (out.group_by("unit_id", "category", "round")
            .agg(pl.col("rank_in_category").min().alias("_r"), pl.col("shrunk_share").max()
                 .alias("_s"))
            .sort("round")
            .with_columns(previous_rank=pl.col("_r").shift(1).over("unit_id", "category"),
                          _prev_s=pl.col("_s").shift(1).over("unit_id", "category"))
            .select("unit_id", "category", "round", "previous_rank", "_prev_s"))
    out = out.join(best, on=["unit_id", "category", "round"], how="left").with_columns(
        rank_gain=pl.col("previous_rank").cast(pl.Int64) - pl.col("rank_in_category")
        .cast(pl.Int64),
        share_gain=pl.col("shrunk_share") - pl.col("_prev_s"),
    )
    cols = ["round", "entry_id", "unit_id", "category", "title",
            *(["photo"] if "photo" in out.columns else []),
            "votes", "share", "share_in_category", "rank", "rank_in_category", "rank_label",
            "winner", "shrunk_share", "previous_rank", "rank_gain", "share_gain",
            "flagged_votes", "votes_recount", "share_recount", "rank_recount"]
    return out.select(cols).sort("round", "category", "rank_in_category", "entry_id")


def winners(results: pl.DataFrame, *, recount: bool = False) -> pl.DataFrame:
    """The entries ranked first in their category in each round (ties all kept).

    ``recount=True`` uses the recount's ranks instead of the raw count.
    """
    col = "rank_recount" if recount else "rank_in_category"
    return results.filter(pl.col(col) == pl.col(col).min().over("round", "category"))


def most_improved(results: pl.DataFrame, *,
                  by: Literal["rank", "share"] = "rank") -> pl.DataFrame:
    """Per round and category, the entries whose unit improved most on its previous entry.

    ``by="rank"``: most places gained (``rank_gain``), ties broken by ``share_gain``;
    ``by="share"``: largest gain in the *shrunk* share (a tiny entry gaining two votes cannot win
    by luck). Entries with nothing to compare (first participation) and no gain (≤ 0) are left
    out; ties are all kept.
    """
    if by not in ("rank", "share"):
        raise UsageError.choice("by", by, ("rank", "share"))
    cand = results.filter(pl.col("rank_gain").is_not_null())
    if by == "rank":
        cand = cand.filter(pl.col("rank_gain") > 0)
        best = (pl.col("rank_gain") == pl.col("rank_gain").max().over("round", "category"))
        cand = cand.filter(best)
        best = pl.col("share_gain") == pl.col("share_gain").max().over("round", "category")
    else:
        cand = cand.filter(pl.col("share_gain") > 0)
        best = pl.col("share_gain") == pl.col("share_gain").max().over("round", "category")
    return cand.filter(best).sort("round", "category", "entry_id")


def votes_by_hour(flagged: pl.DataFrame) -> pl.DataFrame:
    """Votes per round, day and hour of the day, with the burst and flagged counts (heatmap data).

    ``flagged`` is a :func:`flag_votes` frame. Columns: ``round, day`` (date), ``hour`` (0–23),
    ``votes``, ``burst_votes``, ``flagged_votes``.
    """
    return (flagged.group_by("round", day=pl.col("voted_at").dt.date(),
                             hour=pl.col("voted_at").dt.hour().cast(pl.Int64))
            .agg(votes=pl.len().cast(pl.Int64), burst_votes=pl.col("burst").sum().cast(pl.Int64),
                 flagged_votes=pl.col("flagged").sum().cast(pl.Int64))
            .sort("round", "day", "hour"))


# --------------------------------------------------------------------------------------------
# into the scores


def unit_values(entries: pl.DataFrame | None, votes: pl.DataFrame | None, rnd: int | None,
                measures: dict[str, str], *, ties: Ties = "min",
                rules: IntegrityRules | None = None,
                exclude: Sequence[str] = DEFAULT_EXCLUDE) -> pl.DataFrame:
    """Values of ``source = "campaign"`` criteria per unit for round ``rnd`` (the scoring input).

    A unit's value in round ``r`` comes from its entries in round ``r`` (all categories added):

    * ``votes`` — its votes; ``vote_share`` — its votes / all votes of the round;
    * ``recount_share`` — the same after leaving out the votes flagged by ``exclude``;
    * ``rank`` — its rank among the round's units by votes (ties by ``ties``; 1 = most votes;
      give the criterion ``direction = "min"``).

    ``rnd=None`` (a rubric without judges' rounds) means the latest round. Units without an entry
    in the round get no row (the rubric's missing-value policy decides).

    Returns
    -------
    polars.DataFrame
        ``unit_id, criterion, rule, raw, n, value`` like the other sources: ``rule`` is the
        measure, ``raw`` the unit's [votes], ``n`` its number of votes.

    Examples
    --------
    >>> import datetime as dt
    >>> e = pl.DataFrame({"round": 1, "entry_id": ["E1", "E2", "E3"], "unit_id": ["A", "A", "B"],
    ...                   "category": ["最美楼栋", "最美楼道", "最美楼栋"], "title": "x"})
    >>> v = pl.DataFrame({"round": 1, "entry_id": ["E1", "E2", "E3", "E3"],
    ...     "voter_id": ["a", "b", "c", "d"], "voted_at": dt.datetime(2024, 5, 1, 12)})
    >>> unit_values(e, v, 1, {"share": "vote_share", "place": "rank"}).select(
    ...     "unit_id", "criterion", "value")
    shape: (4, 3)
    ┌─────────┬───────────┬───────┐
    │ unit_id ┆ criterion ┆ value │
    │ ---     ┆ ---       ┆ ---   │
    │ str     ┆ str       ┆ f64   │
    ╞═════════╪═══════════╪═══════╡
    │ A       ┆ share     ┆ 0.5   │
    │ B       ┆ share     ┆ 0.5   │
    │ A       ┆ place     ┆ 1.0   │
    │ B       ┆ place     ┆ 1.0   │
    └─────────┴───────────┴───────┘
    """
    schema = pl.Schema({"unit_id": pl.String(), "criterion": pl.String(), "rule": pl.String(),
                        "raw": pl.List(pl.Float64), "n": pl.Int64(), "value": pl.Float64()})
    for cid, m in measures.items():
        if m not in CAMPAIGN_MEASURES:
            raise UsageError.choice(f"measure of {cid}", m, CAMPAIGN_MEASURES)
    if not measures or votes is None or votes.height == 0:
        return pl.DataFrame(schema=schema)
    check_ties(ties)
    if rnd is None:
        rnd = int(votes.select(pl.col("round").max()).item())
    need_recount = "recount_share" in measures.values()
    v = votes.filter(pl.col("round") == rnd)
    ev = entry_results(entries, v, ties=ties, rules=rules, exclude=exclude) if need_recount \
        else _entry_votes(entries, v).with_columns(votes_recount=pl.col("votes"))
    ev = ev.filter(pl.col("round") == rnd)
    per_unit = (ev.group_by("unit_id").agg(pl.col("votes").sum(), pl.col("votes_recount").sum())
                .with_columns(
                    vote_share=pl.col("votes") / pl.col("votes").sum(),
                    recount_share=pl.col("votes_recount") / pl.col("votes_recount").sum(),
                    rank=pl.col("votes").rank(ties, descending=True),
                ))
    parts = [per_unit.select(
        pl.col("unit_id").cast(pl.String), pl.lit(cid).alias("criterion"), pl.lit(m).alias("rule"),
        pl.concat_list(pl.col("votes").cast(pl.Float64)).alias("raw"),
        pl.col("votes").cast(pl.Int64).alias("n"),
        pl.col(m).cast(pl.Float64).alias("value")).sort("unit_id")
        for cid, m in measures.items()]
    return pl.concat(parts).cast(schema)
