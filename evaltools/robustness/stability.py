"""Weight stability (:func:`weight_stability`).

For each criterion the weight interval keeping rank 1 and the top N unchanged, and for each
adjacent pair the smallest single-weight change that swaps them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from evaltools.errors import Problem, UsageError
from evaltools.robustness._model import DIGITS, board_model, note

if TYPE_CHECKING:
    from evaltools.leaderboard import Leaderboard

__all__ = ["WeightStability", "weight_stability"]

FRAGILE = 0.05


# --------------------------------------------------------------------------------------------
# Weight stability
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class WeightStability:
    """How far each weight can move before the leaderboard changes (see :func:`weight_stability`).

    criteria : per criterion: ``criterion``, ``name``, ``weight`` (now, normalised to sum 1),
        ``first_low`` / ``first_high`` (the weight interval keeping rank 1), ``top_low`` /
        ``top_high`` (keeping the top-``top_n`` order), each with the other weights rescaled in
        proportion.
    pairs : per adjacent pair of the leaderboard: ``position`` (upper unit's rank), ``upper``,
        ``lower``, ``gap`` (total difference), ``criterion`` (whose weight swaps them with the
        smallest change), ``new_weight``, ``change`` (signed), ``fragile`` (|change| ≤ 0.05);
        nulls when no single weight can swap them.
    method : ``closed_form`` or ``grid``. notes : how it was computed.
    """

    criteria: pl.DataFrame
    pairs: pl.DataFrame
    method: str
    top_n: int
    notes: tuple[str, ...] = field(default=())


def _others_scaled(w: np.ndarray, j: int, t: np.ndarray) -> np.ndarray:
    """Weight vectors with w_j = t and the others rescaled in proportion: (len(t), n)."""
    rest = 1.0 - w[j]
    W = np.outer((1.0 - t) / rest if rest > 0 else np.zeros_like(t), w)
    if rest <= 0:  # a single weighted criterion: spread the rest evenly
        W = np.outer(1.0 - t, np.full(w.size, 1.0 / max(w.size - 1, 1)))
    W[:, j] = t
    return W


def weight_stability(
    lb: Leaderboard,
    *,
    top_n: int = 3,
    fragile: float = FRAGILE,
    grid: int = 201,
) -> WeightStability:
    """Weight intervals that keep rank 1 and the top-N order, and the smallest single-weight
    change that swaps each adjacent pair of the leaderboard.

    Changing criterion j's weight to t rescales the others in proportion,
    w_k(t) = w_k (1 − t)/(1 − w_j). For **weighted sum** and **points** every total is then linear
    in t: total_i(t) = e_i + t a_ij + (1 − t) r_ij, with a_ij unit i's total per unit weight of
    criterion j and r_ij the same for the other criteria together. Two units p above q swap at
    t* = w_j − D/(Δa − Δr) (D the current gap), the closed form used here, vectorised over all
    pairs and criteria. (Points: the floors at 0 of deductions are treated as fixed, exact unless a
    deduction would exhaust a criterion.) For **weighted product, TOPSIS and VIKOR** the totals are
    computed on a grid of ``grid`` weights in [0, 1] per criterion and the crossing points are
    interpolated linearly between neighbouring grid points (precision about 1/(grid − 1)).

    Examples
    --------
    Weighted sum, two criteria at 0.5/0.5; after min-max B = (0.270, 1) and A = (1, 0.255), so
    B leads by 63.51 − 62.73 points. With clean at weight t (tidy 1 − t) they tie where
    0.270 t + (1 − t) = t + 0.255 (1 − t), t = 0.5053: a change of 0.0053, fragile. C is 0 on both
    criteria and can never pass A (null: no single weight swaps them).

    >>> from evaltools.examples import three_buildings
    >>> ws = weight_stability(three_buildings(), top_n=2)
    >>> ws.pairs.select("upper", "lower", "criterion", pl.col("new_weight", "change").round(4),
    ...                 "fragile")
    shape: (2, 6)
    ┌───────┬───────┬───────────┬────────────┬────────┬─────────┐
    │ upper ┆ lower ┆ criterion ┆ new_weight ┆ change ┆ fragile │
    │ ---   ┆ ---   ┆ ---       ┆ ---        ┆ ---    ┆ ---     │
    │ str   ┆ str   ┆ str       ┆ f64        ┆ f64    ┆ bool    │
    ╞═══════╪═══════╪═══════════╪════════════╪════════╪═════════╡
    │ B     ┆ A     ┆ clean     ┆ 0.5053     ┆ 0.0053 ┆ true    │
    │ A     ┆ C     ┆ null      ┆ null       ┆ null   ┆ null    │
    └───────┴───────┴───────────┴────────────┴────────┴─────────┘
    """
    if not isinstance(top_n, int) or top_n < 1:
        raise UsageError(Problem(None, None, "top_n", top_n, "bad_top_n",
                                 "top_n 必须是正整数", "top_n must be a positive integer"))
    board = board_model(lb)
    w = board.w0
    n = w.size
    elig = board.eligible
    idx = np.flatnonzero(elig)
    ranked = idx  # lb.table is in rank order
    T0 = lb.table["total_unrounded"].to_numpy().astype(float)
    method = board.rounds[0].method
    linear = method in ("points", "weighted_sum")
    notes = []
    m = ranked.size
    N = min(top_n, m)
    # pairs that must keep their order: adjacent pairs of the whole table, the top-N chain,
    # the Nth against everyone below, the leader against everyone
    adj_up, adj_lo = ranked[:-1], ranked[1:]
    if linear:
        A = board.combine([r.contributions().T for r in board.rounds]).T  # (M, n)
        e = T0 - A @ w
        # total_i(t) for criterion j: e_i + t·A_ij + (1−t)·r_ij
        with np.errstate(invalid="ignore", divide="ignore"):
            Rr = ((A @ w)[:, None] - A * w) / (1.0 - w)  # (M, n)
        slope = A - Rr  # d total / dt (M, n)
        T_now = e + A @ w

        def crossing(p: np.ndarray, q: np.ndarray) -> np.ndarray:
            """t* per (pair, criterion) where p and q swap (NaN when never in [0, 1])."""
            D = (T_now[p] - T_now[q])[:, None]
            k = slope[p] - slope[q]
            with np.errstate(invalid="ignore", divide="ignore"):
                t = w - D / k
            return np.where((k != 0) & (t >= 0) & (t <= 1), t, np.nan)

        def interval(p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            """Per criterion, the t-interval around w keeping every p above q."""
            if p.size == 0:
                return np.zeros(n), np.ones(n)
            t = crossing(p, q)
            below = np.where(t <= w, t, -np.inf)
            above = np.where(t >= w, t, np.inf)
            lo = np.nanmax(np.where(np.isnan(t), -np.inf, below), axis=0)
            hi = np.nanmin(np.where(np.isnan(t), np.inf, above), axis=0)
            return np.clip(lo, 0.0, 1.0), np.clip(hi, 0.0, 1.0)

        notes.append(note("加权求和/百分制的总分是权重的线性函数：区间和交换点按解析式计算",
                           "weighted sum / points totals are linear in the weights: intervals "
                           "and swap points in closed form"))
        kind = "closed_form"
    else:
        ts = np.linspace(0.0, 1.0, grid)
        TT = np.stack([board.totals_w(_others_scaled(w, j, ts)) for j in range(n)])  # (n, G, M)

        def crossing(p: np.ndarray, q: np.ndarray) -> np.ndarray:
            D = TT[:, :, p] - TT[:, :, q]  # (n, G, P)
            sgn = D > 0
            out = np.full((p.size, n), np.nan)
            for j in range(n):  # criteria only
                cur = np.searchsorted(ts, w[j])
                d = D[j]
                flip = sgn[j, 1:] != sgn[j, :-1]  # (G-1, P)
                gidx = np.arange(grid - 1)[:, None]
                dist = np.where(flip, np.abs(gidx + 0.5 - cur), np.inf)
                best = np.argmin(dist, axis=0)
                has = np.isfinite(dist[best, np.arange(p.size)])
                d0, d1 = d[best, np.arange(p.size)], d[best + 1, np.arange(p.size)]
                with np.errstate(invalid="ignore", divide="ignore"):
                    t = ts[best] + (ts[1] - ts[0]) * d0 / (d0 - d1)
                out[:, j] = np.where(has, t, np.nan)
            return out

        def interval(p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            if p.size == 0:
                return np.zeros(n), np.ones(n)
            ok = np.all(np.round(TT[:, :, p] - TT[:, :, q], DIGITS) > 0, axis=2)  # (n, G)
            lo, hi = np.zeros(n), np.ones(n)
            for j in range(n):
                cur = int(np.argmin(np.abs(ts - w[j])))
                bad = np.flatnonzero(~ok[j])
                left, right = bad[bad < cur], bad[bad > cur]
                if not ok[j, cur]:
                    lo[j] = hi[j] = w[j]
                    continue
                lo[j] = ts[left.max() + 1] if left.size else 0.0
                hi[j] = ts[right.min() - 1] if right.size else 1.0
            return lo, hi

        notes.append(note(f"{method} 的总分不是权重的线性函数：在 [0, 1] 上取 {grid} 个权重网格点计算，"
                           "交换点在相邻网格点之间线性插值",
                           f"{method} totals are not linear in the weights: a grid of {grid} "
                           "weights in [0, 1], swap points interpolated between grid points"))
        kind = "grid"
    leader = ranked[:1]
    others = ranked[1:]
    f_lo, f_hi = interval(np.repeat(leader, others.size), others)
    chain_p, chain_q = ranked[:max(N - 1, 0)], ranked[1:N]
    below_p = np.repeat(ranked[N - 1:N], max(m - N, 0))
    t_lo, t_hi = interval(np.concatenate([chain_p, below_p]),
                          np.concatenate([chain_q, ranked[N:]]))
    if m >= 1 and np.round(T0[leader] - T0[others], DIGITS).min(initial=np.inf) <= 0:
        f_lo, f_hi = w.copy(), w.copy()  # tied for first: any change can reorder
        notes.append(note("第一名并列，任何权重变化都可能改变第一名",
                           "rank 1 is tied: any weight change may change it"))
    crit = pl.DataFrame({
        "criterion": board.criteria, "name": board.names, "weight": w,
        "first_low": f_lo, "first_high": f_hi, "top_low": t_lo, "top_high": t_hi,
    })
    tstar = crossing(adj_up, adj_lo) if adj_up.size else np.zeros((0, n))
    change = tstar - w
    gap = T0[adj_up] - T0[adj_lo]
    tied = np.round(gap, DIGITS) <= 0
    absd = np.where(np.isnan(change), np.inf, np.round(np.abs(change), 12))  # ties: first
    best = np.argmin(absd, axis=1) if adj_up.size else np.zeros(0, int)
    bestd = absd[np.arange(adj_up.size), best] if adj_up.size else np.zeros(0)
    has = np.isfinite(bestd) | tied
    units = np.array(board.units, dtype=object)
    ranks = lb.table["rank"].to_numpy()
    crit_ids = np.array(board.criteria, dtype=object)
    ch = np.where(tied, 0.0, change[np.arange(adj_up.size), best] if adj_up.size else np.zeros(0))
    pairs = pl.DataFrame({
        "position": ranks[adj_up].astype(np.int64) if adj_up.size else np.zeros(0, np.int64),
        "upper": units[adj_up].tolist(), "lower": units[adj_lo].tolist(),
        "gap": gap,
        "criterion": np.where(has & ~tied, crit_ids[best] if adj_up.size else [],
                              None).tolist(),  # type: ignore[attr-defined]  # numpy stubs: None is no ArrayLike
        "new_weight": np.where(has, w[best] + ch, np.nan),
        "change": np.where(has, ch, np.nan),
    }, schema={"position": pl.Int64, "upper": pl.String, "lower": pl.String, "gap": pl.Float64,
               "criterion": pl.String, "new_weight": pl.Float64, "change": pl.Float64})
    pairs = pairs.with_columns(pl.col("new_weight", "change").fill_nan(None)).with_columns(
        fragile=pl.when(pl.col("change").is_not_null())
        .then(pl.col("change").abs() <= fragile + 1e-12))
    notes.append(note(f"相邻名次的交换点离现在的权重不超过 {fragile} 即标为“不稳”",
                       f"pairs that swap within {fragile} of a weight are flagged fragile"))
    return WeightStability(crit, pairs, kind, N, tuple(notes))
