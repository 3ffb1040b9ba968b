"""SMAA-2 rank acceptability (:func:`smaa`).

Weights are drawn from the simplex, within bounds around the rubric's weights, or under an
ordering; rank acceptability indices, central weights, confidence factors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from evaltools.errors import EvalToolsError, Problem, UsageError
from evaltools.robustness._model import (
    DIGITS,
    Board,
    Cancel,
    board_model,
    chunks,
    group_bounds,
    interrupted,
    note,
    sort_totals,
)

if TYPE_CHECKING:
    from evaltools.leaderboard import Leaderboard

__all__ = ["Acceptability", "smaa"]


# --------------------------------------------------------------------------------------------
# SMAA-2
# --------------------------------------------------------------------------------------------

_ORDER_RE = re.compile(r"^\s*(.+?)\s*(≥|>=|>|≤|<=|<)\s*(.+?)\s*$")


def _criterion_index(board: Board, name: str, what: str) -> int:
    for j, (cid, cname) in enumerate(zip(board.criteria, board.names, strict=True)):
        if name in (cid, cname):
            return j
    raise UsageError.choice(what, name, board.criteria)


def _parse_order(board: Board, order: Sequence[str | tuple[str, str]]) -> list[tuple[int, int]]:
    """"环境卫生 ≥ 居民参与" / ("clean", "tidy") → [(i, j)] meaning w_i ≥ w_j."""
    pairs = []
    for item in order:
        if isinstance(item, str):
            m = _ORDER_RE.match(item)
            if not m:
                raise UsageError(Problem(
                    None, None, "order", item, "bad_order",
                    "权重顺序应写成“指标A ≥ 指标B”", "an ordering must read 'A >= B'"))
            a, op, b = m.groups()
            if op in ("≤", "<=", "<"):
                a, b = b, a
        else:
            a, b = item
        pairs.append((_criterion_index(board, a, "order"), _criterion_index(board, b, "order")))
    return pairs


def _weight_sampler(board: Board, bounds: float | Mapping[str, tuple[float, float]] | None,
                    order: Sequence[str | tuple[str, str]] | None,
                    rng: np.random.Generator) -> tuple[Callable[[int], np.ndarray], str]:
    n = len(board.criteria)
    w0 = board.w0
    lo = np.zeros(n)
    hi = np.ones(n)
    how_zh, how_en = "权重在单纯形上均匀抽取（Dirichlet(1)）", "weights uniform on the simplex (Dirichlet(1))"
    if bounds is not None:
        if isinstance(bounds, Mapping):
            for k, (a, b) in bounds.items():
                j = _criterion_index(board, k, "bounds")
                lo[j], hi[j] = float(a), float(b)
            how_zh, how_en = "权重在给定上下限内抽取", "weights within the given bounds"
        else:
            x = float(bounds)
            if not 0.0 <= x < 1.0:
                raise UsageError(Problem(None, None, "bounds", bounds, "bad_bounds",
                                         "上下浮动比例应在 0 和 1 之间（如 0.2 表示 ±20%）",
                                         "a relative bound must be in [0, 1) (0.2 = ±20%)"))
            lo, hi = w0 * (1 - x), w0 * (1 + x)
            how_zh = f"各权重在评分细则权重的 ±{x:.0%} 内抽取，再按比例归一"
            how_en = f"each weight within ±{x:.0%} of the rubric's, then rescaled to sum 1"
        if lo.sum() > 1 + 1e-12 or hi.sum() < 1 - 1e-12 or np.any(lo > hi):
            raise UsageError(Problem(None, None, "bounds", str(bounds), "infeasible_bounds",
                                     "权重上下限无法同时满足且总和为 1",
                                     "no weights within these bounds sum to 1"))
    pairs = _parse_order(board, order) if order else []
    if pairs:
        how_zh += "，并满足顺序 " + "、".join(f"{board.names[a]} ≥ {board.names[b]}"
                                           for a, b in pairs)
        how_en += ", with " + ", ".join(f"{board.criteria[a]} >= {board.criteria[b]}"
                                      for a, b in pairs)
    chain: list[int] | None = None
    if pairs and bounds is None:
        # a complete chain w_a ≥ w_b ≥ … over all criteria: sorted uniform samples, no rejection
        succ = dict(pairs)
        heads = set(succ) - set(succ.values())
        if len(pairs) == n - 1 and len(heads) == 1 and len(set(succ)) == n - 1:
            chain = []
            cur: int | None = heads.pop()
            while cur is not None:
                chain.append(cur)
                cur = succ.get(cur)
            if len(chain) != n:
                chain = None

    def draw(k: int) -> np.ndarray:
        if bounds is None:
            W = rng.dirichlet(np.ones(n), size=k)
            if chain is not None:
                W = -np.sort(-W, axis=1)
                out = np.empty_like(W)
                out[:, chain] = W
                return out
        else:
            W = lo + rng.random((k, n)) * (hi - lo)
            W = W / W.sum(axis=1, keepdims=True)
        return W

    def sample(k: int) -> np.ndarray:
        if bounds is None and (chain is not None or not pairs):
            return draw(k)
        got: list[np.ndarray] = []
        have, tries = 0, 0
        while have < k:
            W = draw(max(k, 1000))
            ok = np.ones(W.shape[0], bool)
            if bounds is not None:
                ok &= np.all((W >= lo - 1e-12) & (W <= hi + 1e-12), axis=1)
            for a, b in pairs:
                ok &= W[:, a] >= W[:, b]
            got.append(W[ok])
            have += int(ok.sum())
            tries += W.shape[0]
            if tries > 200 * k + 100_000 and have < k:
                raise UsageError(Problem(None, None, "bounds", str(bounds), "weights_too_tight",
                                         "权重约束太紧，抽不到满足条件的权重",
                                         "the weight constraints are too tight to sample"))
        return np.concatenate(got)[:k]

    return sample, note(how_zh, how_en)


@dataclass(frozen=True, eq=False)
class Acceptability:
    """SMAA-2 results (see :func:`smaa`).

    indices : (units, ranks) b(i, r) = share of weight samples giving unit i rank r (rows and
        columns sum to 1 over the ranked units; ties share their ranks evenly).
    table : per unit in leaderboard order: ``unit_id``, ``name``, ``rank`` (published),
        ``b1`` (first-rank acceptability), ``holistic`` (Σ_r α_r b(i, r), α_r = (m − r)/(m − 1),
        over the kept ranks r ≤ max_rank),
        ``confidence`` (confidence factor p_c: P(rank 1) at the unit's central weights),
        one ``w_<criterion>`` column per criterion (central weight vector; null when b1 = 0).
    samples : weight samples drawn. criteria : criterion ids. notes : how weights were drawn.
    """

    indices: np.ndarray
    table: pl.DataFrame
    samples: int
    criteria: tuple[str, ...]
    unit_ids: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())

    def long(self, max_rank: int | None = None) -> pl.DataFrame:
        """b(i, r) in long form: ``unit_id``, ``rank``, ``acceptability`` (ranks ≤ max_rank)."""
        R = self.indices.shape[1] if max_rank is None else min(max_rank, self.indices.shape[1])
        m = len(self.unit_ids)
        return pl.DataFrame({
            "unit_id": np.repeat(np.array(self.unit_ids, dtype=object), R).tolist(),
            "rank": np.tile(np.arange(1, R + 1), m),
            "acceptability": self.indices[:, :R].ravel(),
        }).with_columns(pl.col("rank").cast(pl.Int64))


def smaa(
    lb: Leaderboard,
    *,
    samples: int = 10_000,
    seed: int | None = None,
    bounds: float | Mapping[str, tuple[float, float]] | None = None,
    order: Sequence[str | tuple[str, str]] | None = None,
    max_rank: int | None = None,
    chunk: int | None = None,
    progress: bool | None = None,
    cancel: Cancel = None,
) -> Acceptability:
    """SMAA-2: which ranks can each unit reach when the weights are not known exactly?

    Weights are drawn uniformly from the simplex (Dirichlet(1)), or, with ``bounds``, within
    ±x of the rubric's weights (a float such as 0.2) or within explicit per-criterion
    ``{criterion: (low, high)}`` bounds (drawn uniformly in the box, rescaled to sum 1 and kept
    when still in bounds), and/or with an ``order`` such as ``["环境卫生 ≥ 居民参与"]`` (criterion
    names or ids; a complete chain is sampled exactly by sorting, other orders by rejection). For
    the points method the weights re-divide the same total of full marks among the criteria.
    ``max_rank`` keeps b(i, r) for ranks 1..max_rank only (default: every rank up to 2000 ranked
    units, else the first 100, which bounds memory at units × max_rank).

    Each chunk of weight samples is scored with one matrix product (weighted sum, points without
    per-criterion deductions, weighted product on logs, TOPSIS on squared distances; VIKOR needs a
    units × samples × criteria array) and ranked by a vectorised argsort. Tied units split their
    ranks evenly, so identical units get identical indices and every row and column sums to 1.

    Examples
    --------
    >>> from evaltools.examples import three_buildings
    >>> acc = smaa(three_buildings(), samples=2000, seed=3, progress=False)
    >>> acc.table.select("unit_id", "b1", "confidence").with_columns(pl.col("b1").round(2))
    shape: (3, 3)
    ┌─────────┬──────┬────────────┐
    │ unit_id ┆ b1   ┆ confidence │
    │ ---     ┆ ---  ┆ ---        │
    │ str     ┆ f64  ┆ f64        │
    ╞═════════╪══════╪════════════╡
    │ B       ┆ 0.49 ┆ 1.0        │
    │ A       ┆ 0.51 ┆ 1.0        │
    │ C       ┆ 0.0  ┆ null       │
    └─────────┴──────┴────────────┘

    C is dominated (worse than B on both criteria): it can never be first, b(C, 1) = 0;
    A and B each come first under about half of all weightings.
    """
    if not isinstance(samples, int) or isinstance(samples, bool) or samples < 1:
        raise UsageError(Problem(None, None, "samples", samples, "bad_samples",
                                 "抽样次数必须是正整数", "samples must be a positive integer"))
    board = board_model(lb)
    rng = np.random.default_rng(seed)
    sample, how = _weight_sampler(board, bounds, order, rng)
    notes = [how]
    elig = board.eligible
    idx = np.flatnonzero(elig)
    m = idx.size
    n = len(board.criteria)
    M = len(board.units)
    if max_rank is None:
        max_rank = m if m <= 2000 else 100
    R = int(max(1, min(max_rank, m)))
    if R < m:
        notes.append(note(f"只统计前 {R} 个名次的可接受度", f"acceptability kept for ranks 1–{R}"))
    direct = np.zeros(m * R)
    diff = np.zeros(m * (R + 1))
    cw = np.zeros((m, n))
    first = np.zeros(m)
    if chunk is None:
        per = 8 * M * (4 + (n if board.rounds[0].method == "vikor" else 0))
        chunk = int(max(1, min(samples, (64 * 2**20) // per)))
    neg_totals = board.neg_totals_w(idx)
    done = 0
    try:
        for start, stop in chunks(samples, chunk, progress=progress, desc="SMAA",
                                   cancel=cancel, notes=notes):
            W = sample(stop - start)
            d_direct, d_diff, d_cw, d_first = _accumulate(neg_totals(W), R, W)  # (k, m)
            direct += d_direct
            if d_diff is not None:
                diff += d_diff
            cw += d_cw
            first += d_first
            done = stop
    except KeyboardInterrupt:
        notes.append(interrupted(done, samples))
    if done == 0:
        raise EvalToolsError("计算在第一批完成前被取消", "cancelled before the first chunk finished")
    b = (direct.reshape(m, R) + np.cumsum(diff.reshape(m, R + 1), axis=1)[:, :R]) / done
    with np.errstate(invalid="ignore", divide="ignore"):
        central = np.full((M, n), np.nan)
        central[idx] = cw / first[:, None]
    first_all = np.zeros(M)
    first_all[idx] = first
    conf = np.full(M, np.nan)
    has = np.flatnonzero(elig & (first_all > 0))
    if has.size:
        Tc = board.totals_w(central[has])  # (q, M)
        _, s = sort_totals(Tc, elig)
        start_, end_ = group_bounds(s)
        g = (end_[:, 0] - start_[:, 0]).astype(float)
        in_first = np.take_along_axis(np.round(np.where(elig, Tc, -np.inf), DIGITS),
                                      has[:, None], axis=1)[:, 0] == s[:, 0]
        conf[has] = np.where(in_first, 1.0 / g, 0.0)
    alpha = (m - np.arange(1, m + 1)) / (m - 1) if m > 1 else np.ones(1)
    hol = np.full(M, np.nan)
    b1 = np.full(M, np.nan)
    if m:
        hol[idx] = b @ alpha[:R]  # with max_rank < m: over the kept ranks only
        b1[idx] = b[:, 0]
    table = lb.table.select("unit_id", "name", pl.col("rank").cast(pl.Int64)).with_columns(
        pl.Series("b1", b1).fill_nan(None), pl.Series("holistic", hol).fill_nan(None),
        pl.Series("confidence", conf).fill_nan(None),
        *(pl.Series(f"w_{c}", central[:, j]).fill_nan(None)
          for j, c in enumerate(board.criteria)))
    notes.append(note(f"{done} 组权重样本，随机种子 {seed}；并列的单位平分其名次",
                       f"{done} weight samples, seed {seed}; tied units share their ranks evenly"))
    return Acceptability(b, table, done, tuple(board.criteria),
                         tuple(np.array(board.units, dtype=object)[idx].tolist()), tuple(notes))


def _accumulate(N: np.ndarray, R: int, W: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]:
    """One chunk of *negated* totals of the ranked units ``N`` (k, m), C-contiguous: counts of
    (unit, rank < R) of the untied entries, the tied entries' shares in difference form (None
    without ties), first-rank weight sums and first-rank counts. Sorting ``−totals`` ascending
    is sorting the totals descending; only tied entries need their group's bounds."""
    k, m = N.shape
    n = W.shape[1]
    order = np.argsort(N, axis=1)
    # the sorted rows by one flat gather (faster than take_along_axis)
    s = np.take(N.ravel(), order + (np.arange(k) * m)[:, None])
    # equal up to 12 significant digits (as evaltools.ranking) = tied
    tol = 1e-12 * max(1.0, float(np.abs(s[:, :1]).max(initial=0.0)),
                      float(np.abs(s[:, -1:]).max(initial=0.0)))  # rows are sorted
    tie = (s[:, 1:] - s[:, :-1]) <= tol  # (k, m − 1), neighbours in sorted order
    pos = np.arange(R)
    top = order[:, 0]
    if not tie.any():
        direct = np.bincount((order[:, :R] * R + pos).ravel(), minlength=m * R).astype(float)
        first = np.bincount(top, minlength=m).astype(float)
        cw = np.stack([np.bincount(top, weights=W[:, j], minlength=m) for j in range(n)], axis=1)
        return direct, None, cw, first
    # entries tied with a neighbour; the others take their position as rank, as above
    tied = np.zeros((k, m), bool)
    tied[:, 1:] = tie
    tied[:, :-1] |= tie
    lone = ~tied[:, :R]
    direct = np.bincount((order[:, :R] * R + pos)[lone], minlength=m * R).astype(float)
    # tie groups numbered over the flattened rows (every row starts a group): the bounds of
    # the group of each tied entry, as positions in its row
    new = np.ones(k * m, bool)
    new.reshape(k, m)[:, 1:] = ~tie
    starts = np.flatnonzero(new)
    size = np.diff(starts, append=k * m)  # groups never span rows
    e = np.flatnonzero(tied)
    grp = np.cumsum(new, dtype=np.int64)[e] - 1
    start = (starts % m)[grp]
    g = size[grp]
    end = start + g
    unit = order.ravel()[e]
    share = 1.0 / g
    if R < m:
        keep = start < R
        e, unit, start, end, share = e[keep], unit[keep], start[keep], end[keep], share[keep]
    # a unit tied over positions start..end−1 takes each of those ranks with probability 1/g
    base = unit * (R + 1)
    diff = np.bincount(np.concatenate([base + start, base + np.minimum(end, R)]),
                       weights=np.concatenate([share, -share]), minlength=m * (R + 1))
    # first rank: the top unit of rows without a tie at the top, else the first group's members
    # with 1/g each
    at_top = np.flatnonzero(start == 0)
    lone_top = np.flatnonzero(~tied[:, 0])
    fu = np.concatenate([top[lone_top], unit[at_top]])
    fw = np.concatenate([np.ones(lone_top.size), share[at_top]])
    fr = np.concatenate([lone_top, e[at_top] // m])
    first = np.bincount(fu, weights=fw, minlength=m)
    cw = np.stack([np.bincount(fu, weights=fw * W[fr, j], minlength=m) for j in range(n)],
                  axis=1)
    return direct, diff, cw, first
