"""The judges' panels laid out from integer codes, for long score tables (numpy; imported only
when a table is long enough for it to pay, see ``evaltools.scoring.values.CODED_MIN_ROWS``).

A panel is one (unit, criterion) group of scores. Instead of a string group-by, the rows are
coded as integers, placed by a counting sort (or one stable sort) so that each panel is a
contiguous run of scores in judge order, and reduced per panel size as (groups, size) matrices.
The arithmetic is that of :func:`evaltools.judging.panels.aggregate`; the scoring tests check the
two layouts give the same board.
"""

from __future__ import annotations

import sys

import numpy as np
import polars as pl

__all__ = ["PYARROW_LIST_MIN", "coded_panels", "panel_lists", "panel_reduce", "string_codes"]


def string_codes(x: pl.Series) -> tuple[np.ndarray, pl.Series] | None:
    """Integer codes (int32) of a string column in the sorted order of its distinct values, and
    those sorted values; None when ``x`` has nulls.

    Exports list a unit's (or a judge's) rows together, so the column is usually a few long
    runs: then only the first value of each run is hashed and the codes are repeated over the
    runs. Otherwise every value is cast to an Enum of the sorted distinct values.
    """
    x = x.cast(pl.String)
    if x.null_count():
        return None
    n = x.len()
    head = x.head(4096)
    if n >= 64 and head.ne_missing(head.shift(1)).sum() * 4 <= head.len():
        starts = np.flatnonzero(x.ne_missing(x.shift(1)).fill_null(True).to_numpy())
        if starts.size * 4 <= n:
            first = x.gather(starts)
            names = first.unique().sort()
            run_codes = first.cast(pl.Enum(names)).to_physical().to_numpy().astype(np.int32)
            return np.repeat(run_codes, np.diff(np.r_[starts, n])), names
    names = x.unique().sort()
    return x.cast(pl.Enum(names)).to_physical().to_numpy().astype(np.int32), names


def coded_panels(unit: np.ndarray, crit: np.ndarray, judge: np.ndarray, scores: np.ndarray,
                  n_units: int, n_crit: int, n_judges: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Lay out panels from integer codes (:func:`string_codes` of the unit and judge ids, the
    criteria's positions).

    Returns the scores in panel order (each (criterion, unit) panel contiguous, its scores in
    judge order, repeated (unit, criterion, judge) rows in input order), ``starts``, ``lens`` and
    ``gid`` = criterion × n_units + unit of each panel; panels in (criterion, unit) order. When
    every (criterion, unit, judge) key occurs once and the key range is not much larger than the
    data, the scores are placed by a counting sort (a scatter; no sort), else by a stable sort.
    """
    key = crit.astype(np.int64)  # (criterion × n_units + unit) × n_judges + judge, in place
    key *= n_units
    key += unit
    key *= n_judges
    key += judge
    n = key.size
    span = n_units * n_crit * n_judges
    if n and n == span:  # the full grid: every unit × criterion × judge once?
        seen = np.zeros(span, bool)
        seen[key] = True
        if seen.all():
            out = np.empty(n)
            out[key] = scores
            groups = n_units * n_crit
            return (out, np.arange(groups, dtype=np.int64) * n_judges,
                    np.full(groups, n_judges, dtype=np.int64), np.arange(groups, dtype=np.int64))
    if n and span <= 4 * n + 65_536:
        counts = np.bincount(key, minlength=span)
        if counts.max() <= 1:
            out = np.empty(n)
            out[np.cumsum(counts)[key] - 1] = scores
            per_group = counts.reshape(-1, n_judges).sum(axis=1)
            gid = np.flatnonzero(per_group)
            lens = per_group[gid]
            return out, np.cumsum(lens) - lens, lens, gid
    if n < 2 or (key[1:] >= key[:-1]).all():
        order = np.arange(n)
    else:
        order = np.argsort(key, kind="stable")
    gs = key[order] // n_judges
    starts = np.flatnonzero(np.r_[True, gs[1:] != gs[:-1]]) if n else np.zeros(0, np.int64)
    lens = np.diff(np.r_[starts, n])
    return scores[order], starts, lens, gs[starts]


def panel_reduce(sorted_scores: np.ndarray, starts: np.ndarray, lens: np.ndarray,
                  method: str, rows: np.ndarray | None = None) -> np.ndarray:
    """``mean`` / ``median`` / ``trimmed_mean`` of each group of ``sorted_scores`` (groups given by
    ``starts`` and ``lens``; only the groups ``rows`` when given), as an array (NaN where
    undefined). Vectorised per group size: the groups of each size form one (g, size) matrix."""
    rows = np.arange(starts.size) if rows is None else rows
    out = np.full(rows.size, np.nan)
    sub_lens = lens[rows]
    # equal panels tiling the scores (the full grid): rows of one (groups, size) view, no
    # index matrix
    tiled = (lens.size > 0 and sorted_scores.size == lens.size * int(lens[0])
             and lens.min() == lens.max() and (starts == np.arange(lens.size) * lens[0]).all())
    sizes = [int(lens[0])] if tiled else np.unique(sub_lens)
    for size in sizes:  # a handful of panel sizes
        if size == 0 or (method == "trimmed_mean" and size < 3):
            continue
        if tiled:
            at = np.arange(rows.size)
            m = sorted_scores.reshape(-1, size)[rows]
        else:
            at = np.flatnonzero(sub_lens == size)
            m = sorted_scores[starts[rows[at]][:, None] + np.arange(size)]
        if method == "mean":
            out[at] = m.sum(axis=1) / size
            continue
        m.sort(axis=1)
        if method == "median":
            h = size // 2
            out[at] = m[:, h] if size % 2 else (m[:, h - 1] + m[:, h]) / 2.0
        else:  # 去掉一个最高分和一个最低分
            out[at] = m[:, 1:size - 1].sum(axis=1) / (size - 2)
    return out


#: Panels of at least this many scores are turned into lists through pyarrow (see panel_lists).
PYARROW_LIST_MIN = 200_000


def panel_lists(sorted_scores: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> pl.Series:
    """Each group's scores as a ``List(Float64)`` Series, built per group size without a loop
    over groups (groups that tile ``sorted_scores`` in order: one Arrow list array on it)."""
    n = int(lens.sum())
    # One Arrow list array over the scores is ~20x faster than the loop below at 1M groups, but
    # importing pyarrow costs ~60 ms: worth it only for large panels (or when already imported).
    if (starts.size and n == sorted_scores.size and starts[0] == 0
            and (n >= PYARROW_LIST_MIN or "pyarrow" in sys.modules)
            and (starts[1:] == starts[:-1] + lens[:-1]).all()):
        import pyarrow as pa

        offsets = pa.array(np.r_[starts, n].astype(np.int64))
        arr = pa.LargeListArray.from_arrays(offsets, pa.array(sorted_scores, pa.float64()))
        return pl.Series("raw", arr, dtype=pl.List(pl.Float64))
    parts, pos = [], []
    for size in np.unique(lens):
        at = np.flatnonzero(lens == size)
        m = sorted_scores[starts[at][:, None] + np.arange(size)]
        parts.append(pl.Series("raw", m.reshape(at.size, size), dtype=pl.Array(pl.Float64, int(size)))
                     .cast(pl.List(pl.Float64)))
        pos.append(at)
    if not parts:
        return pl.Series("raw", [], dtype=pl.List(pl.Float64))
    if len(parts) == 1:
        return parts[0]
    raw = pl.concat(parts)
    return raw.gather(np.argsort(np.concatenate(pos), kind="stable"))
