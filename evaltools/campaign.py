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

import base64
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from evaltools.errors import EvalToolsError, Problem, UsageError, require_columns
from evaltools.ranking import TIES

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

Ties = Literal["min", "dense", "ordinal", "average"]
Measure = Literal["vote_share", "votes", "rank", "recount_share"]
#: the vote measures a ``source = "campaign"`` criterion may take (as ``rubric.CAMPAIGN_MEASURES``)
CAMPAIGN_MEASURES: tuple[str, ...] = ("vote_share", "votes", "rank", "recount_share")

FLAGS: tuple[str, ...] = ("duplicate", "burst", "regular_gaps", "ip_share", "device_share",
                          "off_hours", "subsecond")
FLAG_ZH: dict[str, str] = {
    "duplicate": "重复投票",
    "burst": "短时集中投票",
    "regular_gaps": "投票间隔过于规律",
    "ip_share": "同一IP占比过高",
    "device_share": "同一设备占比过高",
    "off_hours": "非正常时段投票",
    "subsecond": "亚秒级连续提交",
}
#: flags whose votes the recount leaves out by default (ip_share and off_hours are weak evidence)
DEFAULT_EXCLUDE: tuple[str, ...] = ("duplicate", "burst", "regular_gaps", "device_share",
                                    "subsecond")

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

_BIN = "10m"
_MIX = 0x9E3779B97F4A7C15  # odd 64-bit constants mixing the entry code into a hash (buckets)
_MIX2 = 0xD6E8FEB86659FD93
_VOTE_COLUMNS = ("round", "entry_id", "voter_id", "voted_at")
_FRAME_COLUMNS = ("_row", "round", "entry_id", "voter_id", "voted_at", "ip", "device")


@dataclass(frozen=True)
class IntegrityRules:
    """Thresholds of the integrity flags (see the module docstring for each rule).

    burst_k : k of ``median + k · max(1.4826 · MAD, 1)`` (default 5).
    burst_min_votes : a burst bin holds at least this many votes (default 10).
    regular_min_votes : votes in a machine-regular run (default 10).
    regular_tolerance_s : how much consecutive gaps may differ and still count as equal (0.5 s).
    share_cap : the largest share of an entry's round votes one IP / device may give (0.3).
    share_min_votes : entries with fewer votes in the round are not checked for shares (20).
    hours : (start, end) hours of the day when voting is normal, end exclusive (6, 24).
    subsecond_s : a vote this soon after the previous one from the same device is flagged (1 s).
    """

    burst_k: float = 5.0
    burst_min_votes: int = 10
    regular_min_votes: int = 10
    regular_tolerance_s: float = 0.5
    share_cap: float = 0.3
    share_min_votes: int = 20
    hours: tuple[int, int] = (6, 24)
    subsecond_s: float = 1.0

    def __post_init__(self) -> None:
        lo, hi = self.hours
        bad = []
        if not (0 <= lo < hi <= 24):
            bad.append(("hours", self.hours, "0 ≤ 开始 < 结束 ≤ 24", "0 <= start < end <= 24"))
        if not 0 < self.share_cap <= 1:
            bad.append(("share_cap", self.share_cap, "0 < 比例 ≤ 1", "0 < cap <= 1"))
        for name in ("burst_k", "regular_tolerance_s", "subsecond_s"):
            if getattr(self, name) < 0:
                bad.append((name, getattr(self, name), "不能为负数", "must not be negative"))
        for name in ("burst_min_votes", "share_min_votes"):
            if getattr(self, name) < 1:
                bad.append((name, getattr(self, name), "至少为 1", "must be at least 1"))
        if self.regular_min_votes < 3:
            bad.append(("regular_min_votes", self.regular_min_votes, "至少为 3",
                        "must be at least 3"))
        if bad:
            raise UsageError([Problem(None, None, None, v, "bad_range",
                                      f"参数 {n} 取值不当（{zh}）", f"argument {n}: {en}")
                              for n, v, zh, en in bad])


# --------------------------------------------------------------------------------------------
# inputs


def _check_columns(frame: pl.DataFrame | None, table: str, need: Sequence[str]) -> None:
    if frame is None:
        raise EvalToolsError(Problem(
            None, None, None, None, "missing_table", f"缺少{'投票' if table == 'votes' else '作品'}"
            f"表（{table}）", f"the {table} table is missing",
            f"请提供 {table}.csv", f"add {table}.csv"))
    require_columns(frame, need, what_zh=f"{'投票' if table == 'votes' else '作品'}表",
                    what_en=f"the {table} table", file=f"{table}.csv",
                    fix_zh="请检查表头（见 docs/data-format.md）",
                    fix_en="check the headers (docs/data-format.md)")


def _with_rows(votes: pl.DataFrame) -> pl.DataFrame:
    """``votes`` with ``_row``: the Excel row (kept from reading, else position + 2)."""
    if "_row" in votes.columns:
        return votes.with_columns(pl.col("_row").cast(pl.Int64))
    return votes.with_columns(_row=pl.int_range(2, pl.len() + 2, dtype=pl.Int64))


def _check_ties(ties: str) -> None:
    if ties not in TIES:
        raise UsageError.choice("ties", ties, TIES)


def _check_exclude(exclude: Sequence[str]) -> tuple[str, ...]:
    for f in exclude:
        if f not in FLAGS:
            raise UsageError.choice("exclude", f, FLAGS)
    return tuple(exclude)


# --------------------------------------------------------------------------------------------
# integrity flags


_U64 = np.uint64


def _bits(x: int) -> int:
    """Bits needed to hold 0..x (at least 1)."""
    return max(int(x).bit_length(), 1)


def _dense(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct values, dense index 0..k−1 of each element) of integer codes.

    A lookup table when the codes span a small range (linear time), ``np.unique`` otherwise.
    """
    if codes.size == 0:
        return codes[:0], np.zeros(0, np.intp)
    lo, hi = int(codes.min()), int(codes.max())
    if hi - lo <= 4 * codes.size + 1024:
        idx = codes if lo == 0 and codes.dtype == np.intp else (codes - lo).astype(np.intp)
        present = np.bincount(idx) > 0
        return np.flatnonzero(present) + lo, (np.cumsum(present) - 1)[idx]
    values, inverse = np.unique(codes, return_inverse=True)
    return values, inverse.astype(np.intp)


def _sort_order(g: np.ndarray, dt: np.ndarray,
                pre: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The permutation ordering the votes by (entry code ``g``, time ``dt`` ≥ 0, Excel row), and
    ``g`` in that order.

    ``pre`` orders the votes by Excel row (None: they already are). Speed: instead of an argsort,
    the key is packed with the vote's row rank in its low bits into one uint64 and *sorted*
    (numpy's vectorised sort of 64-bit integers is several times faster than its argsort; the
    rank in the low bits makes the order unique, i.e. stable). When (g, dt, rank) need more than
    64 bits, the lowest time bits are left out of the key and only the votes that then tie are
    sorted again on the full time.
    """
    n = g.size
    ib = _bits(n - 1)
    gb, tb = _bits(int(g.max())), _bits(int(dt.max()))
    low = _U64((1 << ib) - 1)
    if pre is None:
        pos = np.arange(n, dtype=_U64)
    else:
        pos = np.empty(n, _U64)
        pos[pre] = np.arange(n, dtype=_U64)

    def positions(key: np.ndarray) -> np.ndarray:
        p = (key & low).view(np.int64)
        return p if pre is None else pre[p]

    if gb + tb + ib <= 64:
        key = g.astype(_U64)
        key <<= _U64(tb)
        key |= dt.view(_U64)
        key <<= _U64(ib)
        key |= pos
        key.sort()
        order = positions(key)
        key >>= _U64(tb + ib)
        return order, key.view(np.int64)
    # too many bits: sort by (g, time with its `drop` lowest bits dropped, rank), then re-sort
    # exactly only the few stretches that tie on the coarse key (votes of one entry within
    # 2^drop µs of each other)
    drop = gb + tb + ib - 64
    if drop >= tb:  # very many entries and votes: a plain three-key sort
        order = np.lexsort((pos, dt, g))
        return order, g[order]
    key = g.astype(_U64)
    key <<= _U64(tb - drop)
    key |= dt.view(_U64) >> _U64(drop)
    key <<= _U64(ib)
    key |= pos
    key.sort()
    order = positions(key)
    key >>= _U64(ib)
    tie = key[1:] == key[:-1]
    if tie.any():
        in_tie = np.zeros(n, bool)
        in_tie[1:] = tie
        in_tie[:-1] |= tie
        at = np.flatnonzero(in_tie)
        sub = order[at]
        order[at] = sub[np.lexsort((pos[sub], dt[sub], key[at]))]
    key >>= _U64(tb - drop)
    return order, key.view(np.int64)


def _pair_candidates(g: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Positions whose (``g``, ``h``) pair may occur more than once (ascending).

    ``g`` holds dense codes, ``h`` a 64-bit hash. One packed sort of (g, top bits of h,
    position): equal (g, bits) neighbours are candidates. Every repeated pair is among them (a
    superset: a hash collision only adds candidates, which the caller checks on the ids).
    """
    n = g.size
    ib = _bits(n - 1)
    hb = 64 - _bits(int(g.max())) - ib
    if hb < 16:  # too few hash bits left: check every vote exactly
        return np.arange(n)
    key = g.astype(_U64)
    key <<= _U64(hb)
    key |= h >> _U64(64 - hb)
    key <<= _U64(ib)
    key |= np.arange(n, dtype=_U64)
    key.sort()
    hi = key >> _U64(ib)
    same = hi[1:] == hi[:-1]
    in_run = np.zeros(n, bool)
    in_run[1:] = same
    in_run[:-1] |= same
    return np.sort((key[in_run] & _U64((1 << ib) - 1)).view(np.int64))


def _ranges(starts: np.ndarray, lens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the ranges [start, start + len) one after another, and the range index
    of each position."""
    which = np.repeat(np.arange(starts.size), lens)
    offset = np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens)
    return starts[which] + offset, which


def _share_flag(base: pl.DataFrame, col: str, h: np.ndarray, g: np.ndarray, g_mix: np.ndarray,
                per_g: np.ndarray, rules: IntegrityRules) -> np.ndarray:
    """Votes (input order) whose ``col`` (IP or device) gives more than the cap of its entry's
    round votes (``h``: hashes of ``col``).

    Speed: the (entry, value) pairs are counted into hashed buckets with one ``bincount`` (a
    bucket's count is at least the count of each pair in it; ``g_mix`` spreads the entries'
    codes over the hash bits), only votes in buckets above the smallest cap are candidates, and
    their pairs are then counted exactly on the strings.
    """
    n = g.size
    out = np.zeros(n, bool)
    ser = base[col]
    eligible = per_g >= rules.share_min_votes
    nulls = ser.null_count()
    if nulls == n or not eligible.any():
        return out
    floor = rules.share_cap * int(per_g[eligible].min())
    # buckets: ~8 n / floor of them (a random bucket then holds ~floor / 8 votes and is hot only
    # when one pair in it is heavy; a small table also keeps bincount in cache), 2^10..2^24
    mb = min(max(_bits(int(8 * n / max(floor, 1))), 10), 24)
    bucket = h ^ g_mix
    bucket >>= _U64(64 - mb)
    bucket = bucket.view(np.int64)
    sel = None if nulls == 0 and eligible.all() else (
        eligible[g] & ser.is_not_null().to_numpy())
    hot = np.bincount(bucket if sel is None else bucket[sel], minlength=1 << mb) > floor
    if not hot.any():
        return out
    hit = hot[bucket]
    cand = np.flatnonzero(hit if sel is None else hit & sel)
    c = (base.select(col)[cand]
         .with_columns(_i=pl.Series(cand), _g=pl.Series(g[cand]), _t=pl.Series(per_g[g[cand]]))
         .filter(pl.len().over("_g", col) > rules.share_cap * pl.col("_t")))
    out[c["_i"].to_numpy()] = True
    return out


def _by_voter_and_source(base: pl.DataFrame, hashed: pl.DataFrame, voter: np.ndarray,
                         g: np.ndarray, rules: IntegrityRules) -> tuple:
    """The flags found from the (entry, voter / IP / device) pairs.

    Returns input positions of the duplicates and of every vote in a repeated (round, entry,
    voter) group, the ``ip_share`` and ``device_share`` flags and the votes per entry code.
    """
    # duplicates: (entry, voter) pairs seen more than once; the later copies (in time, ties by
    # Excel row) are flagged. The hash finds candidates; the voter ids themselves decide.
    dup_in = group_in = np.zeros(0, np.intp)
    cand = _pair_candidates(g, voter)
    if cand.size:
        key = ("round", "entry_id", "voter_id")
        c = (base.select(*key, "voted_at", "_row")[cand].with_columns(_i=pl.Series(cand))
             .sort("voted_at", "_row", maintain_order=True)
             .with_columns(_k=pl.int_range(pl.len()).over(key), _m=pl.len().over(key))
             .filter(pl.col("_m") > 1))
        group_in = c["_i"].to_numpy()
        dup_in = c.filter(pl.col("_k") > 0)["_i"].to_numpy()
    # shares of one IP / device among an entry's votes in the round
    per_g = np.bincount(g)
    g_mix = g.astype(_U64)
    g_mix *= _U64(_MIX)
    shares = {name: _share_flag(base, col, hashed[col].to_numpy(), g, g_mix, per_g, rules)
              for col, name in (("ip", "ip_share"), ("device", "device_share"))}
    return dup_in, group_in, shares, per_g


def _subsecond(base: pl.DataFrame, hashed: pl.DataFrame, order: np.ndarray, gs: np.ndarray,
               ts: np.ndarray, gap: np.ndarray, window_s: float) -> np.ndarray:
    """Sorted positions of the votes less than ``window_s`` after an earlier vote for the same
    entry from the same source (device, else IP).

    Speed: only votes less than the window after their predecessor can qualify. Lag by lag
    (1, 2, … votes back, while still in the window and the entry) their sources' hashes are
    compared; the votes matched and their partners are then checked on the strings (so a hash
    collision cannot flag a vote).
    """
    i = np.flatnonzero(gap < window_s)  # NaN (an entry's first vote) compares False
    if i.size == 0:
        return i
    mark = np.zeros(gs.size, bool)
    mark[i] = True
    mark[i - 1] = True
    near = np.flatnonzero(mark)
    dev, ip = hashed["device"], hashed["ip"]
    src = dev.to_numpy()[order[near]]
    null = np.zeros(near.size, bool)
    if base["device"].null_count():
        no_dev = base["device"].is_null().to_numpy()[order[near]]
        src = np.where(no_dev, ip.to_numpy()[order[near]], src)
        null = no_dev & base["ip"].is_null().to_numpy()[order[near]]
    # work among the near votes only: a vote's predecessors inside the window are near too and
    # come right before it there
    ok, near_g, near_t = ~null, gs[near], ts[near]
    at = np.searchsorted(near, i)
    hit, lag = [], 1
    while at.size:
        back = at - lag
        same = ok[at] & ok[back] & (src[at] == src[back])
        hit += [near[at[same]], near[back[same]]]
        lag += 1
        at = at[at >= lag]
        at = at[(near_g[at] == near_g[at - lag])
                & ((near_t[at] - near_t[at - lag]) / 1e6 < window_s)]
    cand = np.unique(np.concatenate(hit))
    if cand.size == 0:
        return cand
    c = (base.select(_src=pl.coalesce("device", "ip"))[order[cand]]
         .with_columns(_g=pl.Series(gs[cand]), _t=pl.Series(ts[cand]), _i=pl.Series(cand))
         .filter(pl.col("_src").is_not_null())
         .with_columns(_d=(pl.col("_t") - pl.col("_t").shift(1).over("_g", "_src")) / 1e6)
         .filter(pl.col("_d") < window_s))
    return c["_i"].to_numpy()


@dataclass(frozen=True, eq=False)
class _Flags:
    """Every vote's flags, found once, and the integer codes the statistics reuse.

    frame : the votes (input order) with ``_row`` and the seven flag columns.
    evidence : the votes with a flag or in a repeated (round, entry, voter) group, with the
        internal columns :func:`integrity_flags` groups on.
    r, rounds : each vote's round index into the sorted distinct ``rounds``.
    g, entries : each vote's (round, entry) code; ``entries`` row k is code k's round, entry_id.
    voter_counts : per round index, unique voters and new voters (:func:`_voter_counts`).
    rows_sorted : the Excel rows already increase (no sort needed to put votes in row order).
    """

    frame: pl.DataFrame
    evidence: pl.DataFrame
    r: np.ndarray
    rounds: np.ndarray
    g: np.ndarray
    entries: pl.DataFrame
    voter_counts: tuple[np.ndarray, np.ndarray]
    rows_sorted: bool

    def excluded(self, exclude: Sequence[str]) -> np.ndarray:
        """Per vote: carries one of the ``exclude`` flags."""
        out = np.zeros(self.frame.height, bool)
        for name in exclude:
            out |= self.frame[name].to_numpy()
        return out

    def entry_counts(self, excluded: np.ndarray | None = None) -> pl.DataFrame:
        """``round, entry_id, votes`` (and ``votes_recount`` without the excluded votes)."""
        k = self.entries.height
        per = np.bincount(self.g, minlength=k).astype(np.int64)
        out = self.entries.with_columns(votes=pl.Series(per, dtype=pl.Int64))
        if excluded is not None:
            out = out.with_columns(votes_recount=pl.Series(
                per - np.bincount(self.g[excluded], minlength=k), dtype=pl.Int64))
        return out


def _flag_frame(votes: pl.DataFrame, rules: IntegrityRules) -> _Flags:
    """Every vote's flags (see :class:`_Flags`).

    Speed: strings are never sorted. Rounds and entries get integer codes (categorical codes made
    dense by a lookup table); the votes are ordered by (entry code, time, row) with packed-key
    sorts (:func:`_sort_order`); bursts, machine-regular runs and sub-second candidates come from
    cumulative sums and ``bincount`` in that order; duplicates and shares are found with hashes
    as candidates and confirmed on the ids themselves, so hash collisions cannot change a flag.
    Flags go back to input order by scattering the (few) flagged positions.
    """
    _check_columns(votes, "votes", _VOTE_COLUMNS)
    has_ip, has_dev = "ip" in votes.columns, "device" in votes.columns
    base = _with_rows(votes).select(
        pl.col("round").cast(pl.Int64), pl.col("entry_id").cast(pl.String),
        pl.col("voter_id").cast(pl.String), pl.col("voted_at").cast(pl.Datetime("us")),
        (pl.col("ip").cast(pl.String) if has_ip else pl.lit(None, pl.String)).alias("ip"),
        (pl.col("device").cast(pl.String) if has_dev else pl.lit(None, pl.String))
        .alias("device"), "_row")
    n = base.height
    lo, hi = rules.hours
    hour = pl.col("voted_at").dt.hour()
    off_hours = ((hour < lo) | (hour >= hi)).alias("off_hours")
    internal = {"_bin": pl.Datetime("us"), "_gap": pl.Float64, "_reg": pl.Boolean,
                "_run": pl.Int64, "_med": pl.Float64, "_thr": pl.Float64, "_total": pl.Int64,
                "_src": pl.String, "_dupgrp": pl.Boolean}
    if n == 0:
        frame = base.select(*_FRAME_COLUMNS, *(pl.lit(None, pl.Boolean).alias(c) for c in FLAGS))
        empty = np.zeros(0, np.intp)
        return _Flags(
            frame=frame,
            evidence=frame.with_columns(*(pl.lit(None, t).alias(c) for c, t in internal.items())),
            r=empty, rounds=np.zeros(0, np.int64), g=empty,
            entries=base.select("round", "entry_id"), voter_counts=(empty, empty),
            rows_sorted=True)

    # integer codes: (round, entry) code g, dense, and each vote's round index r. Entries by
    # their categorical codes (made dense first if the string cache holds very many categories)
    rnd = base["round"].to_numpy()
    phys = base["entry_id"].cast(pl.Categorical).to_physical()
    top = phys.max()
    e = phys.fill_null(0 if top is None else int(top) + 1).to_numpy()
    width, r_lo = int(e.max()) + 1, int(rnd.min())
    if (int(rnd.max()) - r_lo + 1) * width <= 4 * n + 1024:  # one lookup table for both
        code = rnd - r_lo
        code *= width
        code += e
        g_vals, g = _dense(code)
        del code
        rounds, g_round = _dense(g_vals // width + r_lo)
        r = g_round[g]
    else:
        rounds, r = _dense(rnd)
        _, e = _dense(e)
        _, g = _dense(r * (int(e.max()) + 1) + e)
    t = base["voted_at"].dt.epoch("us").to_numpy()
    t0 = int(t.min())
    rows = base["_row"].to_numpy()
    # ties in time are broken by the Excel row, so the result never depends on row order
    rows_sorted = n < 2 or bool((rows[1:] >= rows[:-1]).all())
    order, gs = _sort_order(g, t - t0, None if rows_sorted else np.argsort(rows, kind="stable"))
    ts = t[order]
    new_g = np.empty(n, bool)
    new_g[0], new_g[1:] = True, gs[1:] != gs[:-1]
    gap = np.empty(n)
    np.subtract(ts[1:], ts[:-1], out=gap[1:])
    gap /= 1e6
    gap[new_g] = np.nan
    hashed = base.select(pl.col("ip").hash(), pl.col("device").hash())
    # duplicates and IP/device shares need only the codes and hashes: they run in a second
    # thread meanwhile (numpy's sorts and polars release the GIL)
    pool = ThreadPoolExecutor(max_workers=1)
    voter = base["voter_id"].hash().to_numpy()
    side = pool.submit(_by_voter_and_source, base, hashed, voter, g, rules)
    pool.shutdown(wait=False)

    # machine-regular gaps: reg_i = |gap_i − gap_{i−1}| ≤ tol (same entry) involves votes
    # i−2..i, so a stretch of k such i covers k + 2 votes; a vote between two runs belongs to
    # the earlier one
    dgap = np.empty(n)
    dgap[0] = np.nan
    np.subtract(gap[1:], gap[:-1], out=dgap[1:])
    reg = np.abs(dgap, out=dgap) <= rules.regular_tolerance_s  # NaN: False
    del dgap
    edge = np.diff(reg.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    r_start, r_end = np.flatnonzero(edge == 1), np.flatnonzero(edge == -1)
    keep = r_end - r_start + 2 >= rules.regular_min_votes
    r_start, r_end = r_start[keep] - 2, r_end[keep]
    if r_start.size > 1:
        r_start[1:] = np.maximum(r_start[1:], r_end[:-1])
    regular_at, regular_run = _ranges(r_start, r_end - r_start)

    # bursts: 10-minute bins (aligned to the clock) are contiguous runs in this order
    b = ts // 600_000_000
    new_b = new_g.copy()
    new_b[1:] |= b[1:] != b[:-1]
    b_start = np.flatnonzero(new_b)
    b_len = np.diff(b_start, append=n)
    bins = pl.DataFrame({"_g": gs[b_start], "_n": b_len})
    k = rules.burst_k
    bins = (bins.with_columns(_med=pl.col("_n").median().over("_g"))
            .with_columns(_mad=(pl.col("_n") - pl.col("_med")).abs().median().over("_g"))
            .with_columns(_thr=pl.col("_med") + k * pl.max_horizontal(
                1.4826 * pl.col("_mad"), pl.lit(1.0)))
            .with_columns(_burst=(pl.col("_n") > pl.col("_thr"))
                          & (pl.col("_n") >= rules.burst_min_votes)))
    burst_bins = np.flatnonzero(bins["_burst"].to_numpy())
    burst_at, which = _ranges(b_start[burst_bins], b_len[burst_bins])
    burst_bin = burst_bins[which]

    # sub-second: < subsecond_s after the previous vote for the entry from the same device (IP
    # when no device), i.e. an earlier vote from it lies within subsecond_s
    sub_at = _subsecond(base, hashed, order, gs, ts, gap, rules.subsecond_s)

    if base.schema["voted_at"].time_zone is None:  # the clock hour from the epoch
        hour = t // 3_600_000_000
        hour %= 24
        off = (hour < lo) | (hour >= hi)
    else:
        off = base.select(off_hours)["off_hours"].to_numpy()

    voter_counts = _voter_counts(r, rounds.size, voter)
    dup_in, group_in, shares, per_g = side.result()

    def scatter(at: np.ndarray, sorted_order: bool = True) -> np.ndarray:
        out = np.zeros(n, bool)
        out[order[at] if sorted_order else at] = True
        return out

    flags = {"duplicate": scatter(dup_in, False), "burst": scatter(burst_at),
             "regular_gaps": scatter(regular_at), **shares, "off_hours": off,
             "subsecond": scatter(sub_at)}
    frame = base.select(*_FRAME_COLUMNS).with_columns(
        **{f: pl.Series(flags[f], dtype=pl.Boolean) for f in FLAGS})

    # the evidence: flagged votes and every copy of a repeated vote, with the internal columns
    in_group = scatter(group_in, False)
    for f in FLAGS:
        in_group |= flags[f]
    at = np.flatnonzero(in_group)  # input positions, ascending
    m = at.size

    def sparse(sorted_at: np.ndarray, values: np.ndarray, dtype: Any) -> pl.Series:
        col = np.full(m, np.nan)
        col[np.searchsorted(at, order[sorted_at])] = values
        s = pl.Series(col)
        return s.fill_nan(None).cast(dtype) if dtype != pl.Float64 else s.fill_nan(None)

    evidence = frame[at].with_columns(
        _bin=pl.col("voted_at").dt.truncate(_BIN),
        _gap=sparse(regular_at, gap[regular_at], pl.Float64),
        _reg=sparse(regular_at, reg[regular_at].astype(np.float64), pl.Boolean),
        _run=sparse(regular_at, regular_run.astype(np.float64), pl.Int64),
        _med=sparse(burst_at, bins["_med"].to_numpy()[burst_bin], pl.Float64),
        _thr=sparse(burst_at, bins["_thr"].to_numpy()[burst_bin], pl.Float64),
        _total=pl.Series(per_g[g[at]], dtype=pl.Int64),
        _src=pl.coalesce("device", "ip"),
        _dupgrp=pl.Series(np.isin(at, group_in)),
    )
    ents = base.select("round", "entry_id")[order[np.flatnonzero(new_g)]]
    return _Flags(frame=frame, evidence=evidence, r=r, rounds=rounds, g=g, entries=ents,
                  voter_counts=voter_counts, rows_sorted=rows_sorted)


def flag_votes(votes: pl.DataFrame, *, rules: IntegrityRules | None = None) -> pl.DataFrame:
    """Every vote with one boolean column per integrity flag (see the module docstring).

    Parameters
    ----------
    votes : the ``votes`` table (``round, entry_id, voter_id, voted_at``; ``ip``, ``device``
        optional; a ``_row`` column is kept as the Excel row when present).
    rules : thresholds; default :class:`IntegrityRules()`.

    Returns
    -------
    polars.DataFrame
        ``_row, round, entry_id, voter_id, voted_at, ip, device`` and the flags ``duplicate,
        burst, regular_gaps, ip_share, device_share, off_hours, subsecond`` and ``flagged`` (any
        of them), sorted by Excel row. Nothing is deleted.

    Examples
    --------
    Twelve votes for one entry 5 seconds apart, from one phone: a machine's rhythm.

    >>> import datetime as dt
    >>> t0 = dt.datetime(2024, 5, 1, 20)
    >>> votes = pl.DataFrame({"round": 1, "entry_id": "E1",
    ...     "voter_id": [f"v{i}" for i in range(12)],
    ...     "voted_at": [t0 + dt.timedelta(seconds=5 * i) for i in range(12)],
    ...     "device": "dev-1"})
    >>> f = flag_votes(votes)
    >>> f.select(pl.col("regular_gaps", "burst", "device_share", "off_hours").sum())
    shape: (1, 4)
    ┌──────────────┬───────┬──────────────┬───────────┐
    │ regular_gaps ┆ burst ┆ device_share ┆ off_hours │
    │ ---          ┆ ---   ┆ ---          ┆ ---       │
    │ u32          ┆ u32   ┆ u32          ┆ u32       │
    ╞══════════════╪═══════╪══════════════╪═══════════╡
    │ 12           ┆ 0     ┆ 0            ┆ 0         │
    └──────────────┴───────┴──────────────┴───────────┘

    (No burst: the entry has one non-empty bin, so nothing to compare with; no device share:
    fewer than 20 votes.)
    """
    rules = rules or IntegrityRules()
    f = _flag_frame(votes, rules)
    out = f.frame.with_columns(flagged=pl.any_horizontal(*FLAGS))
    return out if f.rows_sorted else out.sort("_row")


def _fmt_time(col: str) -> pl.Expr:
    return pl.col(col).dt.strftime("%Y-%m-%d %H:%M:%S")


def integrity_flags(votes: pl.DataFrame, *, rules: IntegrityRules | None = None,
                    _frame: _Flags | None = None) -> pl.DataFrame:
    """The flags as evidence: one row per flagged group, listing its Excel rows.

    Returns
    -------
    polars.DataFrame
        ``flag`` (code), ``flag_zh``, ``round``, ``entry_id``, ``key`` (the voter, 10-minute bin,
        IP, device or run it concerns), ``n_votes`` (votes flagged), ``first_at``, ``last_at``,
        ``rows`` (Excel rows of ``votes.csv``; for duplicates every copy including the kept first
        one), ``detail_zh``, ``detail_en``. Sorted by round, entry, flag. Machine-regular runs
        are keyed ``run-1``, ``run-2``, … in time order within their entry.

    Examples
    --------
    >>> import datetime as dt
    >>> t0 = dt.datetime(2024, 5, 1, 3, 15)
    >>> v = pl.DataFrame({"round": 1, "entry_id": "E1", "voter_id": ["a", "b"],
    ...                   "voted_at": [t0, t0 + dt.timedelta(hours=5)]})
    >>> integrity_flags(v).select("flag", "flag_zh", "rows", "detail_en").to_dicts()
    [{'flag': 'off_hours', 'flag_zh': '非正常时段投票', 'rows': [2], 'detail_en': '1 vote(s) outside 6:00-24:00'}]
    """
    rules = rules or IntegrityRules()
    f = (_frame if _frame is not None else _flag_frame(votes, rules)).evidence
    grp = ["round", "entry_id"]
    lo, hi = rules.hours
    parts = []

    def add(flag: str, frame: pl.DataFrame, key: pl.Expr, dzh: pl.Expr, den: pl.Expr) -> None:
        parts.append(frame.select(
            pl.lit(flag).alias("flag"), pl.lit(FLAG_ZH[flag]).alias("flag_zh"), *grp,
            key.cast(pl.String).alias("key"), pl.col("n_votes").cast(pl.Int64),
            "first_at", "last_at", "rows", dzh.alias("detail_zh"), den.alias("detail_en")))

    common = (pl.col("voted_at").min().alias("first_at"), pl.col("voted_at").max().alias("last_at"),
              pl.col("_row").sort().alias("rows"))
    # duplicates: every copy is listed, the repeats are flagged
    dups = (f.filter("_dupgrp")
            .group_by(*grp, "voter_id").agg(*common, n_votes=pl.col("duplicate").sum()))
    add("duplicate", dups, pl.col("voter_id"),
        pl.format("投票人 {} 对同一作品投了 {} 次，保留第一票", "voter_id", pl.col("rows").list.len()),
        pl.format("voter {} voted {} times for this entry; the first vote is kept", "voter_id",
                  pl.col("rows").list.len()))
    b = (f.filter("burst").group_by(*grp, "_bin").agg(
        *common, n_votes=pl.len(), med=pl.col("_med").first(), thr=pl.col("_thr").first()))
    add("burst", b, pl.col("_bin").dt.strftime("%Y-%m-%d %H:%M"),
        pl.format("10分钟内 {} 票，该作品本轮每10分钟票数中位数 {}，阈值 {}", "n_votes", "med",
                  pl.col("thr").round(1)),
        pl.format("{} votes in 10 minutes; the entry's median per 10 minutes in the round is {}, "
                  "threshold {}", "n_votes", "med", pl.col("thr").round(1)))
    r = f.filter("regular_gaps").group_by(*grp, "_run").agg(
        *common, n_votes=pl.len(), gap=pl.col("_gap").filter(pl.col("_reg")).median())
    # runs numbered 1, 2, … in time order within the entry (not by internal codes)
    add("regular_gaps", r, pl.format("run-{}", pl.col("_run").rank("dense").over(*grp)),
        pl.format("连续 {} 票，间隔均约 {} 秒", "n_votes", pl.col("gap").round(2)),
        pl.format("{} consecutive votes about {} s apart", "n_votes", pl.col("gap").round(2)))
    for col, flag, what_zh in (("ip", "ip_share", "IP"), ("device", "device_share", "设备")):
        s = f.filter(flag).group_by(*grp, col).agg(*common, n_votes=pl.len(),
                                                    total=pl.col("_total").first())
        share = (pl.col("n_votes") / pl.col("total") * 100).round(1)
        add(flag, s, pl.col(col),
            pl.format(f"同一{what_zh} {{}} 投了 {{}} / {{}} 票（{{}}%），上限 {rules.share_cap:.0%}",
                      col, "n_votes", "total", share),
            pl.format(f"one {col} {{}} gave {{}} of {{}} votes ({{}}%), cap "
                      f"{rules.share_cap:.0%}", col, "n_votes", "total", share))
    o = f.filter("off_hours").group_by(*grp).agg(*common, n_votes=pl.len())
    add("off_hours", o, pl.col("entry_id"),
        pl.format(f"{{}} 票在 {lo}:00–{hi}:00 之外", "n_votes"),
        pl.format(f"{{}} vote(s) outside {lo}:00-{hi}:00", "n_votes"))
    s = f.filter("subsecond").group_by(*grp, "_src").agg(*common, n_votes=pl.len())
    add("subsecond", s, pl.col("_src"),
        pl.format(f"同一设备/IP {{}} 有 {{}} 票距上一票不到 {rules.subsecond_s:g} 秒", "_src",
                  "n_votes"),
        pl.format(f"{{}} vote(s) from device/IP {{}} less than {rules.subsecond_s:g} s after "
                  "the previous one", "n_votes", "_src"))
    order = {name: i for i, name in enumerate(FLAGS)}
    out = pl.concat(parts)
    return (out.with_columns(_o=pl.col("flag").replace_strict(order, return_dtype=pl.Int64))
            .sort("round", "entry_id", "_o", "first_at", "key").drop("_o"))


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
        _check_columns(entries, "entries", ("round", "entry_id", "unit_id", "category"))
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


def _voter_counts(r: np.ndarray, n_rounds: int, voter: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per round index: unique voters and new voters (first vote in that round).

    ``voter`` holds 64-bit hashes of the ids. One sort of (hash, round) packed into a uint64 (the
    hash's low bits give way to the round index): distinct pairs are where the key changes, and
    a voter's first pair is its earliest round. Two different ids agreeing on the kept hash bits
    (odds about n² / 2^(65 − round bits), ~1e-6 for 2.5M voters in 6 rounds) would count as one.
    """
    if r.size == 0:
        return np.zeros(n_rounds, np.int64), np.zeros(n_rounds, np.int64)
    rb = _bits(n_rounds - 1)
    key = voter >> _U64(rb)
    key <<= _U64(rb)
    key |= r.astype(np.int64, copy=False).view(_U64)
    key.sort()
    new = np.empty(key.size, bool)
    new[0] = True
    np.not_equal(key[1:], key[:-1], out=new[1:])
    pairs = key[new]
    pair_round = (pairs & _U64((1 << rb) - 1)).astype(np.intp)
    first = np.empty(pairs.size, bool)
    first[0] = True
    np.not_equal(pairs[1:] >> _U64(rb), pairs[:-1] >> _U64(rb), out=first[1:])
    return (np.bincount(pair_round, minlength=n_rounds).astype(np.int64),
            np.bincount(pair_round[first], minlength=n_rounds).astype(np.int64))


def round_summary(entries: pl.DataFrame | None, votes: pl.DataFrame, *,
                  flagged: pl.DataFrame | None = None,
                  _flags: tuple[_Flags, np.ndarray] | None = None) -> pl.DataFrame:
    """Per-round participation and concentration.

    Columns: ``round, entries, votes`` (participations, 人次), ``voters`` (unique), ``new_voters``
    (first vote in this round), ``returning_voters`` (voted in an earlier round), ``votes_per_voter``,
    ``growth`` and ``voters_growth`` (on the previous round present; null for the first),
    ``hhi`` (Σ share² over the round's entries: 1/n when even, 1 when one entry takes all),
    ``top3_share`` (share of the three entries with most votes). With ``flagged`` (a
    :func:`flag_votes` frame with an ``excluded`` column, as :func:`analyze_campaign` makes it):
    ``flagged_votes`` and ``votes_recount`` too. Labels: :data:`ROUND_LABELS`.
    """
    _check_columns(votes, "votes", _VOTE_COLUMNS)
    # voters by a 64-bit hash of the id and numpy's sorts (fast on few cores; see _voter_counts)
    if _flags is not None:
        fl, excluded = _flags
        rounds, r_idx = fl.rounds, fl.r
        voters, new_voters = fl.voter_counts
        counts: pl.DataFrame | None = fl.entry_counts()
    else:
        rounds, r_idx = _dense(votes["round"].cast(pl.Int64).to_numpy())
        voter = votes.select(pl.col("voter_id").cast(pl.String).hash())["voter_id"].to_numpy()
        counts = None
        voters, new_voters = _voter_counts(r_idx, rounds.size, voter)
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


def _rank(col: str, by: Sequence[str], ties: str) -> pl.Expr:
    return pl.col(col).rank(ties, descending=True).over(by)  # type: ignore[arg-type]


def entry_results(entries: pl.DataFrame | None, votes: pl.DataFrame, *, ties: Ties = "min",
                  prior_votes: float = 20.0, rules: IntegrityRules | None = None,
                  exclude: Sequence[str] = DEFAULT_EXCLUDE,
                  _flags: tuple[_Flags, np.ndarray] | None = None) -> pl.DataFrame:
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
    _check_ties(ties)
    exclude = _check_exclude(exclude)
    if prior_votes < 0:
        raise UsageError(Problem(None, None, None, prior_votes, "bad_range",
                                 "参数 prior_votes 不能为负数", "prior_votes must be >= 0"))
    if _flags is None:
        fl = _flag_frame(votes, rules or IntegrityRules())
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


def photo_data_uris(entries: pl.DataFrame, folder: str | Path, *,
                    column: str = "photo") -> pl.DataFrame:
    """``entries`` with the photos (paths relative to ``folder``) replaced by ``data:`` URIs.

    Charts then embed the pictures and render offline (a notebook or a PNG export needs no file
    server). A photo that cannot be read becomes null. Loops over the few photos, not over votes.
    """
    if column not in entries.columns:
        return entries
    base = Path(folder)
    mime = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg",
            ".jpeg": "image/jpeg", ".webp": "image/webp"}
    cache: dict[str, str | None] = {}
    for rel in entries[column].drop_nulls().unique().to_list():  # one read per distinct photo
        p = base / rel
        kind = mime.get(p.suffix.lower())
        try:
            cache[rel] = (f"data:{kind};base64,{base64.b64encode(p.read_bytes()).decode()}"
                          if kind else None)
        except OSError:
            cache[rel] = None
    return entries.with_columns(
        pl.col(column).replace_strict(cache, default=None, return_dtype=pl.String))


# --------------------------------------------------------------------------------------------
# everything at once


def _inputs(entries: Any, votes: pl.DataFrame | None,
            ties: str) -> tuple[pl.DataFrame | None, pl.DataFrame, str]:
    """(entries, votes, ties) from two tables or a Dataset (its rubric's ties unless given)."""
    if votes is None and hasattr(entries, "votes"):
        ds = entries
        entries, votes = ds.entries, ds.votes
        rubric = getattr(ds, "rubric", None)
        if rubric is not None and ties == "min" and rubric.ties in TIES:
            ties = rubric.ties
    _check_columns(votes, "votes", _VOTE_COLUMNS)
    assert votes is not None
    _check_ties(ties)
    return entries, votes, ties


def campaign_statistics(entries: Any, votes: pl.DataFrame | None = None, *,
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
    exclude = _check_exclude(exclude)
    rules = rules or IntegrityRules()
    fl = _flag_frame(votes, rules)
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


def analyze_campaign(entries: Any, votes: pl.DataFrame | None = None, *, ties: Ties = "min",
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
    entries, votes, ties = _inputs(entries, votes, ties)  # type: ignore[assignment]
    exclude = _check_exclude(exclude)
    rules = rules or IntegrityRules()
    fl = _flag_frame(votes, rules)
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
    schema = {"unit_id": pl.String, "criterion": pl.String, "rule": pl.String,
              "raw": pl.List(pl.Float64), "n": pl.Int64, "value": pl.Float64}
    for cid, m in measures.items():
        if m not in CAMPAIGN_MEASURES:
            raise UsageError.choice(f"measure of {cid}", m, CAMPAIGN_MEASURES)
    if not measures or votes is None or votes.height == 0:
        return pl.DataFrame(schema=schema)
    _check_ties(ties)
    if rnd is None:
        rnd = int(votes["round"].max())  # type: ignore[arg-type]
    need_recount = "recount_share" in measures.values()
    v = votes.filter(pl.col("round") == rnd)
    ev = entry_results(entries, v, ties=ties, rules=rules, exclude=exclude) if need_recount \
        else _entry_votes(entries, v).with_columns(votes_recount=pl.col("votes"))
    ev = ev.filter(pl.col("round") == rnd)
    per_unit = (ev.group_by("unit_id").agg(pl.col("votes").sum(), pl.col("votes_recount").sum())
                .with_columns(
                    vote_share=pl.col("votes") / pl.col("votes").sum(),
                    recount_share=pl.col("votes_recount") / pl.col("votes_recount").sum(),
                    rank=pl.col("votes").rank(ties, descending=True),  # type: ignore[arg-type]
                ))
    parts = [per_unit.select(
        pl.col("unit_id").cast(pl.String), pl.lit(cid).alias("criterion"), pl.lit(m).alias("rule"),
        pl.concat_list(pl.col("votes").cast(pl.Float64)).alias("raw"),
        pl.col("votes").cast(pl.Int64).alias("n"),
        pl.col(m).cast(pl.Float64).alias("value")).sort("unit_id")
        for cid, m in measures.items()]
    return pl.concat(parts).cast(schema)  # type: ignore[arg-type]
