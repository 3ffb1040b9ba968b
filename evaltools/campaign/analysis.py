"""Everything at once: :func:`campaign_statistics` and :func:`analyze_campaign`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, cast

import polars as pl

from evaltools.campaign._inputs import VOTE_COLUMNS, Ties, check_columns, check_ties
from evaltools.campaign.flags import (
    DEFAULT_EXCLUDE,
    FLAGS,
    IntegrityRules,
    check_exclude,
    flag_frame,
    integrity_flags,
)
from evaltools.campaign.results import entry_results, most_improved, round_summary, winners
from evaltools.ranking import TIES

if TYPE_CHECKING:
    from evaltools.dataset import Dataset

__all__ = ["CampaignAnalysis", "analyze_campaign", "campaign_statistics"]


# --------------------------------------------------------------------------------------------
# everything at once


def _inputs(entries: pl.DataFrame | Dataset | None, votes: pl.DataFrame | None,
            ties: str) -> tuple[pl.DataFrame | None, pl.DataFrame, Ties]:
    """(entries, votes, ties) from two tables or a Dataset (its rubric's ties unless given)."""
    if votes is None and hasattr(entries, "votes"):
        ds = cast("Dataset", entries)  # a Dataset (or a stand-in with its tables)
        table, votes = ds.entries, ds.votes
        rubric = getattr(ds, "rubric", None)
        if rubric is not None and ties == "min" and rubric.ties in TIES:
            ties = rubric.ties
    else:
        table = cast("pl.DataFrame | None", entries)  # the two tables
    check_columns(votes, "votes", VOTE_COLUMNS)
    assert votes is not None
    check_ties(ties)
    return table, votes, cast("Ties", ties)  # one of TIES: checked just above


def campaign_statistics(entries: pl.DataFrame | Dataset | None, votes: pl.DataFrame | None = None, *,
                        rules: IntegrityRules | None = None,
                        exclude: Sequence[str] = DEFAULT_EXCLUDE,
                        ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per-round statistics with the recount, and every integrity flag, in one pass.

    The flags are computed once and both tables reuse them (and their integer codes): the part
    of :func:`analyze_campaign` that reads every vote, without the per-entry table or the
    per-vote frame. Issue 7's speed target (10M votes in under 5 s) is measured on this call.

    Parameters
    ----------
    entries : the ``entries`` table (or None), or a :class:`~evaltools.dataset.Dataset`.
    votes : the ``votes`` table.
    rules, exclude : integrity thresholds and the flags the recount leaves out.

    Returns
    -------
    (rounds, flags)
        :func:`round_summary` with ``flagged_votes`` and ``votes_recount``, and
        :func:`integrity_flags`.

    Examples
    --------
    >>> from evaltools.datasets import load_sample
    >>> rounds, flags = campaign_statistics(load_sample())
    >>> rounds.select("round", "votes", "voters", "flagged_votes", "votes_recount").head(2)
    shape: (2, 5)
    ┌───────┬───────┬────────┬───────────────┬───────────────┐
    │ round ┆ votes ┆ voters ┆ flagged_votes ┆ votes_recount │
    │ ---   ┆ ---   ┆ ---    ┆ ---           ┆ ---           │
    │ i64   ┆ i64   ┆ i64    ┆ i64           ┆ i64           │
    ╞═══════╪═══════╪════════╪═══════════════╪═══════════════╡
    │ 1     ┆ 180   ┆ 121    ┆ 1             ┆ 179           │
    │ 2     ┆ 240   ┆ 191    ┆ 45            ┆ 195           │
    └───────┴───────┴────────┴───────────────┴───────────────┘
    >>> sorted(set(flags["flag"]))
    ['burst', 'device_share', 'duplicate', 'ip_share', 'off_hours', 'regular_gaps', 'subsecond']
    """
    entries, votes, _ = _inputs(entries, votes, "min")
    exclude = check_exclude(exclude)
    rules = rules or IntegrityRules()
    fl = flag_frame(votes, rules)
    rounds = round_summary(entries, votes, _flags=(fl, fl.excluded(exclude)))
    return rounds, integrity_flags(votes, rules=rules, _frame=fl)


@dataclass(frozen=True, eq=False)
class CampaignAnalysis:
    """What :func:`analyze_campaign` finds.

    rounds : :func:`round_summary` with ``flagged_votes`` and ``votes_recount``.
    results : :func:`entry_results` (raw count and recount side by side).
    flags : :func:`integrity_flags`, one row per flagged group with its Excel rows.
    votes : every vote with its flags, ``flagged`` (any flag) and ``excluded`` (left out of the
        recount), sorted by Excel row.
    rules, exclude, ties : the settings used.
    """

    rounds: pl.DataFrame
    results: pl.DataFrame
    flags: pl.DataFrame
    votes: pl.DataFrame
    rules: IntegrityRules = field(default_factory=IntegrityRules)
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    ties: str = "min"

    def round(self, rnd: int) -> pl.DataFrame:
        """The results of one round, by category and rank."""
        return self.results.filter(pl.col("round") == rnd)

    def winners(self, *, recount: bool = False) -> pl.DataFrame:
        return winners(self.results, recount=recount)

    def most_improved(self, *, by: Literal["rank", "share"] = "rank") -> pl.DataFrame:
        return most_improved(self.results, by=by)

    def flag_counts(self) -> pl.DataFrame:
        """Per round and flag: votes flagged (a vote may carry several flags)."""
        return (self.votes.unpivot(index="round", on=list(FLAGS), variable_name="flag")
                .group_by("round", "flag").agg(votes=pl.col("value").sum().cast(pl.Int64))
                .pivot(on="flag", index="round", values="votes").sort("round")
                .select("round", *FLAGS))


def analyze_campaign(entries: pl.DataFrame | Dataset | None, votes: pl.DataFrame | None = None, *, ties: Ties = "min",
                     rules: IntegrityRules | None = None,
                     exclude: Sequence[str] = DEFAULT_EXCLUDE,
                     prior_votes: float = 20.0) -> CampaignAnalysis:
    """Statistics, rankings, flags and recount of a 晒最美 campaign in one call.

    Parameters
    ----------
    entries : the ``entries`` table, or a :class:`~evaltools.dataset.Dataset` (then ``votes`` is
        taken from it and ``ties`` from its rubric unless given).
    votes : the ``votes`` table.
    ties, rules, exclude, prior_votes : see :func:`entry_results`.

    Examples
    --------
    >>> from evaltools.datasets import load_sample
    >>> a = analyze_campaign(load_sample())
    >>> int(a.rounds["votes"].sum()), a.rounds.height
    (1968, 6)
    >>> sorted(set(a.flags.filter(pl.col("flag") == "burst")["entry_id"]))
    ['R2-04', 'R4-07', 'R5-02']
    """
    entries, votes, ties = _inputs(entries, votes, ties)
    exclude = check_exclude(exclude)
    rules = rules or IntegrityRules()
    fl = flag_frame(votes, rules)
    excluded = fl.excluded(exclude)
    flags = integrity_flags(votes, rules=rules, _frame=fl)
    results = entry_results(entries, votes, ties=ties, prior_votes=prior_votes, rules=rules,
                            exclude=exclude, _flags=(fl, excluded))
    rounds = round_summary(entries, votes, _flags=(fl, excluded))
    per_vote = fl.frame.with_columns(flagged=pl.any_horizontal(*FLAGS),
                                     excluded=pl.Series(excluded))
    if not fl.rows_sorted:
        per_vote = per_vote.sort("_row")
    return CampaignAnalysis(rounds=rounds, results=results, flags=flags, votes=per_vote,
                            rules=rules, exclude=exclude, ties=ties)
