"""晒最美 campaigns: per-round statistics, rankings, integrity flags and a recount (issue 7).

A campaign has ``entries`` (one row per entry and round: ``round, entry_id, unit_id, category,
title`` and optionally ``photo``) and ``votes`` (one row per vote: ``round, entry_id, voter_id,
voted_at`` and optionally ``ip``, ``device``), as described in :data:`evaltools.schema.TABLES`.

What this module computes (everything vectorised polars and numpy; loops run over flags,
rounds and, for sub-second votes, over how many votes back still lie inside the window):

* :func:`round_summary` — per round: entries, votes (= participations, 人次), unique voters, new
  and returning voters, votes per voter, growth on the previous round, concentration (HHI and
  top-3 share).
* :func:`entry_results` — per entry and round: votes, vote share of the round and of its category,
  rank in the round and in the category (ties by the rubric's rule: ``min`` 1224 by default),
  winners, a shrunk share and the gains on the unit's previous entry in the same category (for
  "most improved"), and the recount beside the raw count.
* :func:`flag_votes` / :func:`integrity_flags` — evidence for a person to review, never deletion:

  ========================  ======================================================================
  flag                      rule (defaults in :class:`IntegrityRules`)
  ========================  ======================================================================
  ``duplicate``             the same (round, entry, voter) again; the first vote is kept, the
                            repeats are flagged
  ``burst``                 the entry's votes in a 10-minute bin exceed the robust threshold
                            ``median + k · max(1.4826 · MAD, 1)`` of that entry's non-empty bins in
                            the round (k = 5), and number at least ``burst_min_votes`` (10)
  ``regular_gaps``          at least ``regular_min_votes`` (10) consecutive votes for one entry
                            whose gaps differ from the previous gap by ≤ ``regular_tolerance_s``
                            (0.5 s): a machine's rhythm, not people's
  ``ip_share``              one IP gives more than ``share_cap`` (30%) of an entry's votes in a
                            round (only entries with ≥ ``share_min_votes`` = 20 votes)
  ``device_share``          the same for one device
  ``off_hours``             voted outside ``hours`` (default 6:00–24:00)
  ``subsecond``             less than ``subsecond_s`` (1 s) after the previous vote from the same
                            device (the IP when no device is recorded)
  ========================  ======================================================================

  Each flag lists its rows: Excel row numbers of ``votes.csv`` (the ``_row`` column when the
  frame carries it, else the vote's position + 2, i.e. the header is row 1).
* The **recount** leaves out the votes flagged by ``exclude`` (default :data:`DEFAULT_EXCLUDE`:
  duplicates, bursts, machine-regular gaps, device share and sub-second submissions). ``ip_share``
  and ``off_hours`` are shown but not excluded by default: neighbours share one broadband IP and
  night owls vote at night.
* :func:`campaign_statistics` — the per-round statistics with the recount and the flag table in
  one pass over the votes (flags found once); :func:`analyze_campaign` adds the per-entry table
  and the per-vote frame.

Speed (10M votes in ~3–4 s on 2 cores): strings are never sorted. Rounds and entries get dense
integer codes, votes are ordered by packed uint64 sorts (:func:`_sort_order`), voters, IPs and
devices are hashed once; duplicates, IP/device shares and sub-second votes are found from the
hashes as candidates and confirmed on the ids themselves, so a hash collision cannot change a
flag. Unique and new voters per round count 64-bit hashes with the low bits holding the round
(two ids agreeing on the rest, odds ≈ n² / 2^(65 − round bits), would count as one).

Why median + MAD: a burst inflates the mean and the standard deviation of the very bins it is
compared with; the median and the median absolute deviation ignore it. ``1.4826 · MAD`` estimates
the standard deviation for normal data; the floor of 1 vote keeps sparse logs (median 1, MAD 0)
from flagging every bin with two votes. A courtyard of 40 households voting from one shared IP
over a day puts a few votes in each bin and is not a burst (it may still show as ``ip_share``).

Examples
--------
>>> import datetime as dt
>>> import polars as pl
>>> entries = pl.DataFrame({"round": [1, 1, 2, 2], "entry_id": ["E1", "E2", "E3", "E4"],
...     "unit_id": ["A", "B", "A", "B"], "category": ["最美楼栋"] * 4,
...     "title": ["甲", "乙", "甲2", "乙2"]})
>>> t0 = dt.datetime(2024, 5, 1, 9)
>>> votes = pl.DataFrame({"round": [1, 1, 1, 2, 2, 2, 2],
...     "entry_id": ["E1", "E1", "E2", "E3", "E4", "E4", "E4"],
...     "voter_id": ["v1", "v2", "v3", "v1", "v4", "v5", "v5"],
...     "voted_at": [t0 + dt.timedelta(minutes=m) for m in range(7)]})
>>> round_summary(entries, votes).select("round", "votes", "voters", "new_voters",
...                                      "returning_voters", pl.col("growth").round(3))
shape: (2, 6)
┌───────┬───────┬────────┬────────────┬──────────────────┬────────┐
│ round ┆ votes ┆ voters ┆ new_voters ┆ returning_voters ┆ growth │
│ ---   ┆ ---   ┆ ---    ┆ ---        ┆ ---              ┆ ---    │
│ i64   ┆ i64   ┆ i64    ┆ i64        ┆ i64              ┆ f64    │
╞═══════╪═══════╪════════╪════════════╪══════════════════╪════════╡
│ 1     ┆ 3     ┆ 3      ┆ 3          ┆ 0                ┆ null   │
│ 2     ┆ 4     ┆ 3      ┆ 2          ┆ 1                ┆ 0.333  │
└───────┴───────┴────────┴────────────┴──────────────────┴────────┘

Voter v5 voted twice for E4: the repeat is flagged, and the recount keeps one vote.

>>> res = entry_results(entries, votes)
>>> res.select("round", "entry_id", "votes", "votes_recount", "rank", "rank_recount")
shape: (4, 6)
┌───────┬──────────┬───────┬───────────────┬──────┬──────────────┐
│ round ┆ entry_id ┆ votes ┆ votes_recount ┆ rank ┆ rank_recount │
│ ---   ┆ ---      ┆ ---   ┆ ---           ┆ ---  ┆ ---          │
│ i64   ┆ str      ┆ i64   ┆ i64           ┆ u32  ┆ u32          │
╞═══════╪══════════╪═══════╪═══════════════╪══════╪══════════════╡
│ 1     ┆ E1       ┆ 2     ┆ 2             ┆ 1    ┆ 1            │
│ 1     ┆ E2       ┆ 1     ┆ 1             ┆ 2    ┆ 2            │
│ 2     ┆ E4       ┆ 3     ┆ 2             ┆ 1    ┆ 1            │
│ 2     ┆ E3       ┆ 1     ┆ 1             ┆ 2    ┆ 2            │
└───────┴──────────┴───────┴───────────────┴──────┴──────────────┘
>>> integrity_flags(votes).select("flag", "round", "entry_id", "key", "n_votes", "rows")
shape: (1, 6)
┌───────────┬───────┬──────────┬─────┬─────────┬───────────┐
│ flag      ┆ round ┆ entry_id ┆ key ┆ n_votes ┆ rows      │
│ ---       ┆ ---   ┆ ---      ┆ --- ┆ ---     ┆ ---       │
│ str       ┆ i64   ┆ str      ┆ str ┆ i64     ┆ list[i64] │
╞═══════════╪═══════╪══════════╪═════╪═════════╪═══════════╡
│ duplicate ┆ 2     ┆ E4       ┆ v5  ┆ 1       ┆ [7, 8]    │
└───────────┴───────┴──────────┴─────┴─────────┴───────────┘
"""

from __future__ import annotations

from evaltools.campaign._inputs import Ties as Ties
from evaltools.campaign.analysis import CampaignAnalysis, analyze_campaign, campaign_statistics
from evaltools.campaign.flags import (
    DEFAULT_EXCLUDE,
    FLAG_ZH,
    FLAGS,
    IntegrityRules,
    flag_votes,
    integrity_flags,
)
from evaltools.campaign.photos import photo_data_uris
from evaltools.campaign.results import (
    CAMPAIGN_MEASURES,
    ENTRY_LABELS,
    ROUND_LABELS,
    entry_results,
    most_improved,
    round_summary,
    unit_values,
    votes_by_hour,
    winners,
)
from evaltools.campaign.results import Measure as Measure

__all__ = [
    "CAMPAIGN_MEASURES",
    "DEFAULT_EXCLUDE",
    "ENTRY_LABELS",
    "FLAGS",
    "FLAG_ZH",
    "ROUND_LABELS",
    "CampaignAnalysis",
    "IntegrityRules",
    "analyze_campaign",
    "campaign_statistics",
    "entry_results",
    "flag_votes",
    "integrity_flags",
    "most_improved",
    "photo_data_uris",
    "round_summary",
    "unit_values",
    "votes_by_hour",
    "winners",
]
