"""The round as a numpy model: rubric scoring rebuilt as arrays, shared by the analyses.

Values (…, m, n) or weights (k, n) → totals (:class:`RoundModel`, :class:`Board`), ranking stacks
of totals (1224 ranks, tie groups), and chunked loops with a progress bar and cancelling.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from evaltools.errors import UsageError

if TYPE_CHECKING:
    from evaltools.dataset import Dataset
    from evaltools.leaderboard import Leaderboard
    from evaltools.rubric import Rubric

DIGITS = 9  # totals are compared after rounding to this many decimals (ties)


def note(zh: str, en: str) -> str:
    return f"{zh} | {en}"


# --------------------------------------------------------------------------------------------
# The round as a numpy model: values (…, m, n) or weights (k, n) → totals
# --------------------------------------------------------------------------------------------


@dataclass
class RoundModel:
    """One scored round as arrays, in the unit order of ``units`` and criterion order of the rubric.

    ``totals`` reproduces :func:`evaltools.scoring.score_round`'s totals exactly.
    """

    rnd: int | None
    units: list[str]
    V0: np.ndarray  # (m, n) aggregated values (missing already filled)
    filled: np.ndarray  # (m, n) bool
    method: str
    norm: str
    is_cost: np.ndarray  # (n,)
    w0: np.ndarray  # (n,) weights summing to 1 (points: max_points / budget)
    high: np.ndarray  # (n,) value earning full marks (points method)
    budget: float  # points: Σ max_points; MCDA: 100
    ded_crit: np.ndarray  # (m, n) deductions taken from criteria (points)
    ded_total: np.ndarray  # (m,) deductions taken from the total (points)
    bonus: np.ndarray  # (m,)
    base_total: np.ndarray  # (m,) the totals of score_round

    # -- MCDA helpers on (..., m, n) arrays: normalise over the units axis ---------------------
    def normalized(self, V: np.ndarray) -> np.ndarray:
        from evaltools import mcda

        X = np.moveaxis(V, -2, 0)  # units first: mcda.normalize_array reduces over axis 0
        if X.shape[0] == 1 and self.norm == "zscore":
            return np.zeros_like(V)
        R = mcda.normalize_array(X, self.is_cost, self.norm)
        return np.moveaxis(np.broadcast_to(R, X.shape), 0, -2)

    def totals(self, V: np.ndarray | None = None, W: np.ndarray | None = None) -> np.ndarray:
        """Totals for values ``V`` (…, m, n) at the base weights, or for weights ``W`` (k, n) on
        the base values (→ (k, m))."""
        if V is None:
            V = self.V0
        if self.method == "points":
            share = V / self.high
            share = np.where(self.is_cost, 1.0 - share, share)
            if W is None:
                pts = share * (self.w0 * self.budget)
                pts = np.maximum(pts - self.ded_crit, 0.0)
                s = pts.sum(axis=-1)
            elif not self.ded_crit.any():
                s = (share * self.budget) @ W.T  # (m, k)
                s = s.T
            else:
                pts = share[None, :, :] * (W[:, None, :] * self.budget)
                s = np.maximum(pts - self.ded_crit, 0.0).sum(axis=-1)
            return np.maximum(s - self.ded_total, 0.0) + self.bonus
        R = self.normalized(V)
        if W is None:
            return 100.0 * _mcda_score(self.method, R, self.w0[None, :], V, self.is_cost)[..., 0]
        return 100.0 * _mcda_score(self.method, R, W, V, self.is_cost).T

    def contributions(self) -> np.ndarray:
        """(m, n): each unit's total per unit of weight, for the linear methods."""
        if self.method == "points":
            share = self.V0 / self.high
            return np.where(self.is_cost, 1.0 - share, share) * self.budget
        return 100.0 * self.normalized(self.V0)


def _mcda_score(method: str, R: np.ndarray, W: np.ndarray, X: np.ndarray,
                is_cost: np.ndarray) -> np.ndarray:
    """Scores (…, m, k) of the MCDA ``method`` for each weight row of ``W`` (k, n), higher is
    better (VIKOR: 1 − Q). Mirrors the kernels of :mod:`evaltools.mcda`, batched."""
    from evaltools import mcda

    if method == "weighted_sum":
        return R @ W.T
    if method == "weighted_product":
        with np.errstate(divide="ignore"):
            return np.exp(np.log(R) @ W.T)
    if method == "topsis":
        # V = R·w, ideal = w·max R (w ≥ 0): squared distances are matrix products
        hi = R.max(axis=-2, keepdims=True)
        lo = R.min(axis=-2, keepdims=True)
        dp = np.sqrt(np.maximum(((R - hi) ** 2) @ (W**2).T, 0.0))
        dm = np.sqrt(np.maximum(((R - lo) ** 2) @ (W**2).T, 0.0))
        den = dp + dm
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(den == 0, 1.0, dm / den)
    if method == "vikor":
        X0 = np.moveaxis(X, -2, 0)
        N = np.moveaxis(np.broadcast_to(mcda.normalize_array(X0, is_cost, "minmax"), X0.shape), 0, -2)
        regret = (1.0 - N)[..., None, :] * W  # (…, m, k, n)
        S, Rr = regret.sum(axis=-1), regret.max(axis=-1)  # (…, m, k)

        def scaled(a: np.ndarray) -> np.ndarray:
            lo, hi = a.min(axis=-2, keepdims=True), a.max(axis=-2, keepdims=True)
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(hi == lo, 0.0, (a - lo) / (hi - lo))

        return 1.0 - (0.5 * scaled(S) + 0.5 * scaled(Rr))
    raise UsageError.choice("method", method, ("points", "weighted_sum", "weighted_product",
                                               "topsis", "vikor"))


def _round_model(dataset: Dataset, rubric: Rubric, rnd: int | None) -> RoundModel:
    from evaltools import scoring

    # the round's arrays come from scoring's re-weighting model (shared with the weight
    # explorer's fast path); its totals for the rubric's own weights are score_round's
    model = scoring.reweight_model(dataset, rubric, rnd)
    ids = list(rubric.criterion_ids)
    units = model.unit_ids.to_list()
    m, n = model.values.shape
    method = rubric.method
    if method == "points":
        maxp = np.array([float(c.max_points) if c.max_points is not None else np.nan
                         for c in rubric.criteria])
        high = np.where(np.isnan(model.high), maxp, model.high)
        budget = float(maxp.sum())
        w0 = maxp / budget
        ded_crit = np.ascontiguousarray(model.criterion_deductions)
        ded_total, bonus = model.total_deductions, model.bonuses
        norm = "share"
    else:
        raw = scoring.mcda_weights(rubric, [])
        w = np.array([raw[c] for c in ids], dtype=float)
        w0 = w / w.sum()
        high = np.ones(n)
        budget = 100.0
        ded_crit, ded_total, bonus = np.zeros((m, n)), np.zeros(m), np.zeros(m)
        norm = rubric.normalization or scoring.DEFAULT_NORMALIZATION[method]
    base = model.units(rubric)["total"].to_numpy().astype(float)
    return RoundModel(rnd, units, np.ascontiguousarray(model.values), model.filled, method,
                       norm, model.is_min.copy(), w0, high, budget, ded_crit, ded_total, bonus,
                       base)


@dataclass
class Board:
    """A leaderboard as round models plus the mapping of each round's units onto the table."""

    lb: Leaderboard
    units: list[str]  # every unit of lb.table, in table order
    eligible: np.ndarray  # (M,) ranked in the published table
    rounds: list[RoundModel]
    maps: list[np.ndarray]  # per round: index into ``units`` of each round unit
    criteria: list[str]
    names: list[str]

    @property
    def w0(self) -> np.ndarray:
        return self.rounds[0].w0

    def combine(self, per_round: list[np.ndarray]) -> np.ndarray:
        """Mean over the rounds each unit took part in: list of (…, m_r) → (…, M)."""
        if len(per_round) == 1:
            if self.maps[0].size == len(self.units):  # a permutation: one gather
                return np.take(per_round[0], np.argsort(self.maps[0]), axis=-1)
            out = np.full((*per_round[0].shape[:-1], len(self.units)), np.nan)
            out[..., self.maps[0]] = per_round[0]
            return out
        s = np.zeros((*per_round[0].shape[:-1], len(self.units)))
        c = np.zeros(len(self.units))
        for t, idx in zip(per_round, self.maps, strict=True):
            s[..., idx] += t
            c[idx] += 1
        with np.errstate(invalid="ignore", divide="ignore"):
            return s / c

    def totals_w(self, W: np.ndarray) -> np.ndarray:
        return self.combine([r.totals(W=W) for r in self.rounds])

    def neg_totals_w(self, idx: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        """``W`` (k, n) → minus the totals of the table units ``idx`` (k, len(idx)), C-contiguous.

        One round whose totals are linear in the weights (weighted sum; points without
        per-criterion deductions) gets one matrix product ``W @ (−C)ᵀ`` on the contributions of
        just those units, already in table order: no (m, k) transpose, no gather, no negated copy
        (equal to ``−totals_w(W)[:, idx]`` up to the last bit of the sums). Otherwise the general
        model is used.
        """
        if len(self.rounds) == 1:
            r = self.rounds[0]
            inv = np.full(len(self.units), -1, np.int64)
            inv[self.maps[0]] = np.arange(self.maps[0].size)
            sel = inv[idx]
            linear = r.method == "weighted_sum" or (r.method == "points"
                                                    and not r.ded_crit.any())
            if linear and not (sel < 0).any():
                negC = np.ascontiguousarray(-r.contributions()[sel].T)  # (n, m)
                if r.method == "weighted_sum":
                    return lambda W: _small_matmul(W, negC)
                ded, bonus = r.ded_total[sel], r.bonus[sel]

                def points(W: np.ndarray) -> np.ndarray:
                    S = _small_matmul(W, negC)  # −Σ points before deductions and bonus
                    S += ded
                    np.minimum(S, 0.0, out=S)
                    S -= bonus
                    return S

                return points
        return lambda W: np.negative(self.totals_w(W)[:, idx], order="C")


def _small_matmul(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``A @ B`` for a thin inner dimension (criteria) without BLAS threads.

    numpy's own einsum loop, single-threaded. With ``@`` OpenBLAS splits the product over both
    cores and its worker threads keep spinning afterwards, which on a busy 2-core machine slowed
    the argsort after every product: SMAA 10 000 samples × 1 000 units × 10 criteria took
    0.88–1.10 s with ``@`` and 0.37–0.55 s single-threaded (load ≈ 4).
    """
    return np.einsum("kn,nm->km", A, B, optimize=False)


def board_model(lb: Leaderboard) -> Board:
    from evaltools.scoring import round_numbers

    ds, rubric = lb.dataset, lb.rubric
    rounds: Sequence[int | None]
    if lb.round == "all":
        rounds = round_numbers(ds, rubric) or [None]
    else:
        rounds = [lb.round]
    models = [_round_model(ds, rubric, r) for r in rounds]
    units = lb.table["unit_id"].to_list()
    pos = {u: i for i, u in enumerate(units)}
    maps = [np.array([pos[u] for u in m.units], dtype=np.int64) for m in models]
    eligible = (~lb.table["disqualified"] & lb.table["total_unrounded"].is_not_null()).to_numpy()
    return Board(lb, units, eligible, models, maps, list(rubric.criterion_ids),
                  [c.name for c in rubric.criteria])


# --------------------------------------------------------------------------------------------
# Ranking stacks of totals
# --------------------------------------------------------------------------------------------


def sort_totals(T: np.ndarray, eligible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort each row of totals (k, M) descending: (order, sorted keys); ineligible units last."""
    key = np.where(eligible, np.round(T, DIGITS), -np.inf)
    key = np.where(np.isnan(key), -np.inf, key)
    order = np.argsort(-key, axis=1, kind="stable")
    return order, np.take_along_axis(key, order, axis=1)


def group_bounds(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For sorted rows ``s`` (k, M): the first and one-past-last position of each tie group."""
    new = np.ones(s.shape, bool)
    new[:, 1:] = s[:, 1:] != s[:, :-1]
    return _group_bounds_from(new)


def _group_bounds_from(new: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group bounds from the flags "a new tie group starts here" (k, M)."""
    k, M = new.shape
    pos = np.broadcast_to(np.arange(M), (k, M))
    start = np.maximum.accumulate(np.where(new, pos, 0), axis=1)
    end_flag = np.ones((k, M), bool)
    end_flag[:, :-1] = new[:, 1:]
    end = np.minimum.accumulate(np.where(end_flag, pos + 1, M)[:, ::-1], axis=1)[:, ::-1]
    return start, end


def competition_ranks(T: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """1224 ranks (k, M) as int32; 0 for ineligible units."""
    order, s = sort_totals(T, eligible)
    start, _ = group_bounds(s)
    ranks = np.empty(order.shape, np.int32)
    np.put_along_axis(ranks, order, (start + 1).astype(np.int32), axis=1)
    return np.where(eligible & np.isfinite(T), ranks, 0)


# --------------------------------------------------------------------------------------------
# Cancelling and progress
# --------------------------------------------------------------------------------------------

Cancel = Callable[[], bool] | Any | None


def _cancelled(cancel: Cancel) -> bool:
    if cancel is None:
        return False
    if hasattr(cancel, "is_set"):
        return bool(cancel.is_set())
    return bool(cancel())


def chunks(total: int, size: int, *, progress: bool | None, desc: str, cancel: Cancel,
            notes: list[str]):
    """Yield (start, stop) chunks with a tqdm bar; stop early on cancel or Ctrl-C (noted).

    ``progress=False`` makes no bar at all: even a disabled tqdm creates a multiprocessing lock
    (a named semaphore, reported as leaked when a worker process exits)."""
    if progress is False:
        from types import SimpleNamespace

        bar = SimpleNamespace(update=lambda n: None, close=lambda: None)
    else:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc=desc, disable=None if progress is None else not progress,
                   leave=False)
    done = 0
    try:
        while done < total:
            if _cancelled(cancel):
                notes.append(note(f"计算已取消：只完成了 {done}/{total}",
                                   f"cancelled: only {done} of {total} done"))
                return
            stop = min(total, done + size)
            yield done, stop
            bar.update(stop - done)
            done = stop
    finally:
        bar.close()


def interrupted(done: int, total: int) -> str:
    return note(f"计算被中断：只完成了 {done}/{total}", f"interrupted: only {done} of {total} done")


Method = Literal["points", "weighted_sum", "weighted_product", "topsis", "vikor"]
