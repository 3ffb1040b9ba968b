"""Integrity flags on 晒最美 votes: evidence for a person to review, never deletion.

:class:`IntegrityRules`, :func:`flag_votes` (one row per vote with its flags) and
:func:`integrity_flags` (one row per flag finding), with their numpy helpers.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from evaltools import labels
from evaltools.campaign._inputs import VOTE_COLUMNS, check_columns, with_rows
from evaltools.errors import Problem, UsageError

__all__ = ["DEFAULT_EXCLUDE", "FLAGS", "FLAG_ZH", "IntegrityRules", "flag_votes", "integrity_flags"]

FLAGS: tuple[str, ...] = ("duplicate", "burst", "regular_gaps", "ip_share", "device_share",
                          "off_hours", "subsecond")
FLAG_ZH: dict[str, str] = labels.FLAG_ZH  # the label layer's table
#: flags whose votes the recount leaves out by default (ip_share and off_hours are weak evidence)
DEFAULT_EXCLUDE: tuple[str, ...] = ("duplicate", "burst", "regular_gaps", "device_share",
                                    "subsecond")

_BIN = "10m"
_MIX = 0x9E3779B97F4A7C15  # odd 64-bit constants mixing the entry code into a hash (buckets)
_MIX2 = 0xD6E8FEB86659FD93
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


def check_exclude(exclude: Sequence[str]) -> tuple[str, ...]:
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


def dense_codes(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
class Flags:
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


def flag_frame(votes: pl.DataFrame, rules: IntegrityRules) -> Flags:
    """Every vote's flags (see :class:`_Flags`).

    Speed: strings are never sorted. Rounds and entries get integer codes (categorical codes made
    dense by a lookup table); the votes are ordered by (entry code, time, row) with packed-key
    sorts (:func:`_sort_order`); bursts, machine-regular runs and sub-second candidates come from
    cumulative sums and ``bincount`` in that order; duplicates and shares are found with hashes
    as candidates and confirmed on the ids themselves, so hash collisions cannot change a flag.
    Flags go back to input order by scattering the (few) flagged positions.
    """
    check_columns(votes, "votes", VOTE_COLUMNS)
    has_ip, has_dev = "ip" in votes.columns, "device" in votes.columns
    base = with_rows(votes).select(
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
        return Flags(
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
        g_vals, g = dense_codes(code)
        del code
        rounds, g_round = dense_codes(g_vals // width + r_lo)
        r = g_round[g]
    else:
        rounds, r = dense_codes(rnd)
        _, e = dense_codes(e)
        _, g = dense_codes(r * (int(e.max()) + 1) + e)
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

    voter_counts = count_voters(r, rounds.size, voter)
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
    return Flags(frame=frame, evidence=evidence, r=r, rounds=rounds, g=g, entries=ents,
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
    f = flag_frame(votes, rules)
    out = f.frame.with_columns(flagged=pl.any_horizontal(*FLAGS))
    return out if f.rows_sorted else out.sort("_row")


def _fmt_time(col: str) -> pl.Expr:
    return pl.col(col).dt.strftime("%Y-%m-%d %H:%M:%S")


def integrity_flags(votes: pl.DataFrame, *, rules: IntegrityRules | None = None,
                    _frame: Flags | None = None) -> pl.DataFrame:
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
    f = (_frame if _frame is not None else flag_frame(votes, rules)).evidence
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


def count_voters(r: np.ndarray, n_rounds: int, voter: np.ndarray) -> tuple[np.ndarray, ...]:
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
