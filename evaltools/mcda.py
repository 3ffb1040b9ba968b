"""Multi-criteria decision methods on a polars decision matrix.
One job: the multi-criteria formulas (~780 lines: four methods, six normalisations, the
checks on their input and the one-pass affine fast path).

A decision matrix is a DataFrame with one row per unit (楼栋/庭院) and one column per criterion;
other columns (ids, names) pass through untouched and the row order is kept. ``criteria`` maps
column → direction; ``weights`` maps column → non-negative weight.

Every public function validates its input and then calls a pure numpy kernel (``_wsm`` …) that
works on a 2-D float array without any validation, in the style of scikit-criteria. The variant each
function computes is named in its docstring and in ``docs/methods.md``; all of them are checked
against the published cases in ``tests/reference/mcda_cases.json``.

Decisions on degenerate input (never silent):

* a missing value (null/NaN) → :class:`~evaltools.errors.EvalToolsError` naming unit and criterion;
* a constant criterion → min-max gives every unit 1 for it (it cannot separate units, so nobody
  loses points on it) and an :class:`~evaltools.errors.EvalToolsWarning` is issued;
* weights that do not sum to 1 → normalised, with a warning; negative / NaN / all-zero → error;
* negative values where the method needs non-negative ones (``max`` and ``sum`` normalisation,
  weighted product) → error naming the criterion and the units;
* a single unit → every method still returns a score (1.0 for weighted sum with min-max and for
  TOPSIS, see each function), with the constant-criterion warning.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, cast

import numpy as np
import polars as pl

from evaltools.errors import (
    EvalToolsError,
    EvalToolsWarning,
    Problem,
    UsageError,
    require_columns,
)

if TYPE_CHECKING:  # numba is imported on first use of the compiled kernels, not with mcda
    from evaltools import _kernels

__all__ = [
    "DIRECTION_ALIASES",
    "NORMALIZATIONS",
    "VikorCompromise",
    "as_normalization",
    "criteria_matrix",
    "normalize",
    "normalize_array",
    "parse_criteria",
    "parse_weights",
    "require_usable",
    "topsis",
    "vikor",
    "vikor_compromise",
    "weighted_product",
    "weighted_sum",
]

Direction = Literal["max", "min"]
Normalization = Literal["minmax", "max", "sum", "vector", "zscore", "target"]
NORMALIZATIONS: tuple[str, ...] = ("minmax", "max", "sum", "vector", "zscore", "target")


def as_normalization(name: str) -> Normalization:
    """``name`` checked against :data:`NORMALIZATIONS`: the same error as the methods raise.

    Examples
    --------
    >>> as_normalization("vector")
    'vector'
    """
    if name not in NORMALIZATIONS:
        raise UsageError.choice("normalization", name, NORMALIZATIONS)
    return cast(Normalization, name)


DIRECTION_ALIASES: dict[str, Direction] = {
    "max": "max", "benefit": "max", "+": "max", "越大越好": "max",
    "min": "min", "cost": "min", "-": "min", "越小越好": "min",
}


def _warn(zh: str, en: str) -> None:
    warnings.warn(f"{zh} | {en}", EvalToolsWarning, stacklevel=3)


# --------------------------------------------------------------------------------------------
# Parsing: directions and weights are normalised once, here.
# --------------------------------------------------------------------------------------------


def parse_criteria(criteria: Mapping[str, str] | Sequence[str]) -> dict[str, Direction]:
    """Normalise criterion directions to ``"max"`` / ``"min"`` (the only place aliases are read).

    Accepted: ``"max"``, ``"benefit"``, ``"+"``, ``"越大越好"`` (larger is better) and ``"min"``,
    ``"cost"``, ``"-"``, ``"越小越好"`` (smaller is better), case-insensitive for the English words.
    A plain sequence of names means all ``"max"``.

    Examples
    --------
    >>> parse_criteria({"卫生": "越大越好", "投诉数": "cost", "绿化": "+"})
    {'卫生': 'max', '投诉数': 'min', '绿化': 'max'}
    >>> parse_criteria(["a", "b"])
    {'a': 'max', 'b': 'max'}
    """
    if isinstance(criteria, str):
        raise UsageError(
            "criteria 应是 {列名: 方向} 的字典或列名列表，而不是单个字符串",
            "criteria must be a mapping {column: direction} or a list of columns, not a string",
        )
    if not isinstance(criteria, Mapping):
        criteria = dict.fromkeys(criteria, "max")
    if not criteria:
        raise UsageError("至少需要一个指标", "at least one criterion is required")
    out: dict[str, Direction] = {}
    for name, direction in criteria.items():
        key = direction.strip().lower() if isinstance(direction, str) else direction
        if key not in DIRECTION_ALIASES:
            raise UsageError.choice(f"criteria[{name!r}]", direction, DIRECTION_ALIASES)
        out[str(name)] = DIRECTION_ALIASES[key]
    return out


def parse_weights(
    weights: Mapping[str, float] | None, criteria: Mapping[str, str] | Sequence[str]
) -> dict[str, float]:
    """Check weights and normalise them to sum 1, in criterion order.

    ``None`` means equal weights. Weights must be finite and non-negative with a positive sum;
    every criterion needs one and no weight may name an unknown criterion. When the weights did not
    already sum to 1 they are rescaled and an :class:`~evaltools.errors.EvalToolsWarning` says so.
    A zero weight is allowed: that criterion is shown but does not count.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     parse_weights({"a": 2, "b": 1, "c": 1}, ["a", "b", "c"])
    {'a': 0.5, 'b': 0.25, 'c': 0.25}
    """
    crit = parse_criteria(criteria)
    names = list(crit)
    if weights is None:
        return {c: 1.0 / len(names) for c in names}
    unknown = [k for k in weights if k not in crit]
    missing = [c for c in names if c not in weights]
    problems = []
    if unknown:
        problems.append(Problem(
            None, None, None, ", ".join(map(str, unknown)), "unknown_weight",
            f"权重中有不存在的指标（指标为：{', '.join(names)}）",
            f"weights name criteria that do not exist (criteria: {names})",
            "删除这些权重或检查指标名", "remove them or fix the criterion names"))
    if missing:
        problems.append(Problem(
            None, None, None, ", ".join(missing), "missing_weight",
            "这些指标没有权重", "these criteria have no weight",
            "为每个指标给出权重（可以为 0）", "give every criterion a weight (0 is allowed)"))
    if problems:
        raise EvalToolsError(problems)
    try:
        w = np.array([float(weights[c]) for c in names], dtype=float)
    except (TypeError, ValueError) as exc:
        raise EvalToolsError(Problem(
            None, None, None, str(dict(weights)), "weight_not_numeric",
            "权重必须是数字", "weights must be numbers")) from exc
    bad = [f"{c}={weights[c]}" for c, x in zip(names, w, strict=True)
           if not np.isfinite(x) or x < 0]
    if bad:
        raise EvalToolsError(Problem(
            None, None, None, ", ".join(bad), "weight_negative_or_nan",
            "权重必须是非负的有限数字", "weights must be finite and non-negative",
            "改正这些权重", "correct these weights"))
    total = w.sum()
    if total <= 0:
        raise EvalToolsError(Problem(
            None, None, None, str(dict(weights)), "weights_all_zero",
            "所有权重都为 0，无法计算", "all weights are zero, nothing can be scored",
            "至少给一个指标正的权重", "give at least one criterion a positive weight"))
    if abs(total - 1.0) > 1e-9:
        _warn(f"权重之和为 {total:g}，已按比例换算为和为 1",
              f"weights summed to {total:g}; they were rescaled to sum to 1")
    return {c: float(x) for c, x in zip(names, w / total, strict=True)}


def _unit_names(df: pl.DataFrame, id_col: str | None) -> list[str]:
    if id_col is None and "unit_id" in df.columns:
        id_col = "unit_id"
    if id_col is None:
        return [f"第{i + 1}个单位 (unit #{i + 1})" for i in range(df.height)]
    return [str(v) for v in df[id_col].to_list()]


def criteria_matrix(df: pl.DataFrame, names: Sequence[str], id_col: str | None) -> np.ndarray:
    """The criteria columns as an (m, n) float array; every missing cell is an error."""
    require_columns(df, names, what_zh="决策矩阵", what_en="the decision matrix",
                    kind_zh="指标列", kind_en="criterion column",
                    fix_zh="检查指标名", fix_en="check the criterion names")
    if df.height == 0:
        raise EvalToolsError("没有任何参评单位，无法计算", "there are no units to score")
    problems = []
    for c in names:
        if not (df.schema[c].is_numeric() or df.schema[c] == pl.Null):
            raise EvalToolsError(Problem(
                None, None, c, str(df.schema[c]), "not_numeric",
                "指标列必须是数字", "a criterion column must be numeric",
                "先把该列转换为数字", "convert the column to numbers first"))
    X = np.asarray(df.select([pl.col(c).cast(pl.Float64) for c in names]).to_numpy(),
                   dtype=float)  # one copy out of polars, no second one
    # a NaN / inf anywhere makes its column sum non-finite: one pass, no boolean matrix
    miss = (np.argwhere(~np.isfinite(X)) if not np.isfinite(X.sum(axis=0)).all()
            else np.empty((0, 2), np.intp))
    if len(miss):
        units = _unit_names(df, id_col)
        for i, j in miss:  # one problem per missing cell (error path only)
            problems.append(Problem(
                None, None, names[j], None, "missing_value",
                f"单位 “{units[i]}” 缺少该指标的数值",
                f"unit '{units[i]}' has no value for this criterion",
                "补齐数据，或在评分细则中声明缺失值规则（missing = \"zero\" / \"mean\"）",
                "fill it in, or declare a missing-value policy in the rubric"))
        raise EvalToolsError(problems)
    return X


#: Units × criteria from which the affine fast path (weighted sum, TOPSIS; min-max / vector) runs
#: the compiled kernels of :mod:`evaltools._kernels`. Below it the same arithmetic runs in numpy,
#: one criterion at a time: importing numba and loading the cached kernels costs ≈ 0.5 s of CPU
#: per process, and compiling them into an empty cache several seconds, while numpy scores
#: 10k × 20 in about a millisecond (measured in docs/performance.md, "compiled kernels"). Both
#: paths give bit-identical rows from the same column statistics (same operations in criterion
#: order, no fused multiply-add); only the sum of squares behind vector normalisation is summed
#: in another order (last-bit differences).
COMPILED_MIN_CELLS = 500_000

_KEY_MASK = np.int64(0x7FFFFFFFFFFFFFFF)


def _uses_kernels(n: int, k: int) -> bool:
    return n * k >= COMPILED_MIN_CELLS


def _numpy_stats(cols: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Minimum, maximum and sum of squares per column, in numpy (minimum and maximum exactly as
    the kernels give them: on integer keys that order −0.0 below +0.0)."""
    k = len(cols)
    lo, hi, ss = np.empty(k), np.empty(k), np.empty(k)
    for j, x in enumerate(cols):
        b = x.view(np.int64)
        key = b ^ ((b >> 63) & _KEY_MASK)
        lo[j] = x[np.argmin(key)]
        hi[j] = x[np.argmax(key)]
        ss[j] = np.dot(x, x)
    return lo, hi, ss


def _columns(df: pl.DataFrame, names: Sequence[str], id_col: str | None
             ) -> tuple[_kernels.Columns | tuple[np.ndarray, ...], np.ndarray, np.ndarray,
                        np.ndarray]:
    """The criteria columns (zero-copy from polars where possible, as the compiled kernels take
    them) and their minimum, maximum and sum of squares, from one pass over the data.

    A NaN or ±inf anywhere makes a minimum, maximum or sum of squares non-finite, so the check
    costs nothing extra; the error itself comes from :func:`criteria_matrix`, which names every missing
    cell. Columns come back as :class:`evaltools._kernels.Columns` from
    :data:`COMPILED_MIN_CELLS` on, else as a tuple of numpy arrays (numba not imported).
    """
    absent = [c for c in names if c not in df.columns]
    if absent or df.height == 0 or not all(df.schema[c].is_numeric() for c in names):
        criteria_matrix(df, names, id_col)  # raises the documented error
    arrays = [df.get_column(c).cast(pl.Float64).to_numpy() for c in names]
    cols: _kernels.Columns | tuple[np.ndarray, ...]
    if _uses_kernels(df.height, len(names)):
        from evaltools import _kernels

        compiled = _kernels.as_columns(arrays)
        lo, hi, ss = _kernels.column_stats(compiled)
        cols = compiled
    else:
        plain = tuple(np.ascontiguousarray(x, dtype=np.float64) for x in arrays)
        lo, hi, ss = _numpy_stats(plain)
        cols = plain
    if not (np.isfinite(lo).all() and np.isfinite(hi).all() and np.isfinite(ss).all()):
        criteria_matrix(df, names, id_col)  # raises, naming the cells
    return cols, lo, hi, ss


def _affine(is_cost: np.ndarray, method: str, lo: np.ndarray, hi: np.ndarray, ss: np.ndarray,
            m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Min-max and vector normalisation are affine per column: r = s·(x − off) + c.

    minmax: benefit (x − lo)/rng, cost −(x − hi)/rng, constant column 0·x + 1;
    vector: benefit x/‖x‖, cost 1 − x/‖x‖ = −(x − ‖x‖)/‖x‖, all-zero column 0·x + 1/√m (cost
    1 − 1/√m). Returns (s, off, c).
    """
    sign = np.where(is_cost, -1.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "minmax":
            rng = hi - lo
            flat = rng == 0
            s = np.where(flat, 0.0, sign / rng)
            off = np.where(flat, 0.0, np.where(is_cost, hi, lo))
            c = np.where(flat, 1.0, 0.0)
        else:  # vector
            norm = np.sqrt(ss)
            flat = norm == 0
            s = np.where(flat, 0.0, sign / norm)
            off = np.where(flat | ~is_cost, 0.0, norm)
            v0 = 1.0 / np.sqrt(m)
            c = np.where(flat, np.where(is_cost, 1.0 - v0, v0), 0.0)
    return s, off, c


def _wsm_columns(cols: _kernels.Columns | tuple[np.ndarray, ...], a: np.ndarray,
                 off: np.ndarray, const: float) -> np.ndarray:
    """Σ_j a_j (x_ij − off_j) + const (each term is a weighted normalised value, so no
    cancellation: the same rounding as normalising first), compiled, one pass; in numpy one
    criterion at a time for small matrices (the same operations in the same order)."""
    if isinstance(cols, tuple):
        out = np.full(cols[0].size, float(const))
        for j, x in enumerate(cols):
            out += a[j] * (x - off[j])
        return out
    from evaltools import _kernels

    return _kernels.weighted_rows(cols, a, off, const)


def _topsis_columns(cols: _kernels.Columns | tuple[np.ndarray, ...], a: np.ndarray,
                    p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """TOPSIS on an affine weighted matrix v_ij = a_j x_ij + b_j without forming it.

    v_ij − PIS_j = a_j (x_ij − p_j) with p_j the column maximum of x when a_j ≥ 0, else its
    minimum (q_j the opposite for NIS): the distances are computed directly (no expansion of the
    squares, so no cancellation), compiled, one pass; in numpy one criterion at a time for small
    matrices (the same operations in the same order as the kernel).
    """
    shift = a * (p - q)
    if isinstance(cols, tuple):
        n = cols[0].size
        dp, dm = np.zeros(n), np.zeros(n)
        for j, x in enumerate(cols):
            d = a[j] * (x - p[j])
            dp += d * d
            d += shift[j]
            dm += d * d
        dp = np.sqrt(dp)
        dm = np.sqrt(dm)
        den = dp + dm
        zero = den == 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            c = np.where(zero, 1.0, dm / np.where(zero, 1.0, den))
        return c, dp, dm
    from evaltools import _kernels

    return _kernels.topsis_closeness(cols, a, p, shift)


def _warn_constant(names: Sequence[str], constant: np.ndarray, method: str, m: int, *,
                   vikor: bool = False) -> None:
    if not constant.size or method == "target":
        return
    cols = "、".join(names[j] for j in constant)
    what = {"minmax": ("每个单位记 1", "every unit gets 1"),
            "max": ("每个单位记 1", "every unit gets 1"),
            "sum": ("每个单位记 1/m", "every unit gets 1/m"),
            "vector": ("每个单位得分相同", "every unit gets the same value"),
            "zscore": ("每个单位记 0", "every unit gets 0"),
            }[method]
    if vikor:
        what = ("该指标不产生遗憾值（记 0）", "it adds no regret (0)")
    if m == 1:
        _warn(f"只有一个参评单位，指标 {cols} 无法区分，{what[0]}",
              f"only one unit: criteria {list(names[j] for j in constant)} cannot separate "
              f"units; {what[1]}")
    else:
        _warn(f"指标 {cols} 所有单位数值相同，无法区分，{what[0]}",
              f"criteria {list(names[j] for j in constant)} are constant and cannot "
              f"separate units; {what[1]}")


def _fast_prepare(df, criteria, weights, id_col, method):
    """Validation and column statistics for the affine fast path (min-max / vector)."""
    if method not in NORMALIZATIONS:
        raise UsageError.choice("normalization", method, NORMALIZATIONS)
    crit = parse_criteria(criteria)
    names = list(crit)
    cols, lo, hi, ss = _columns(df, names, id_col)
    w = np.array(list(parse_weights(weights, criteria).values()))
    is_cost = np.array([crit[c] == "min" for c in names])
    _warn_constant(names, np.flatnonzero(hi == lo), method, df.height)
    s, off, c = _affine(is_cost, method, lo, hi, ss, df.height)
    return cols, lo, hi, w, s, off, c


def require_usable(X: np.ndarray, names: Sequence[str], df: pl.DataFrame, id_col: str | None,
                   cols: np.ndarray, *, strict: bool, why_zh: str, why_en: str) -> None:
    """Raise when a column in ``cols`` has negative (strict: non-positive) values."""
    bad = (X <= 0) if strict else (X < 0)
    bad = bad & cols[None, :]
    if not bad.any():
        return
    units = _unit_names(df, id_col)
    problems = []
    for j in np.flatnonzero(bad.any(axis=0)):
        rows = np.flatnonzero(bad[:, j])
        who = ", ".join(units[i] for i in rows[:5]) + ("…" if rows.size > 5 else "")
        need_zh = "必须大于 0" if strict else "不能为负数"
        need_en = "must be > 0" if strict else "must not be negative"
        problems.append(Problem(
            None, None, names[int(j)], X[rows[0], j], "value_out_of_domain",
            f"{why_zh}：该指标的值{need_zh}（单位：{who}）",
            f"{why_en}: values of this criterion {need_en} (units: {who})",
            "换用 minmax 或 vector 归一化，或先平移数据", "use minmax or vector normalisation"))
    raise EvalToolsError(problems)


# --------------------------------------------------------------------------------------------
# Kernels: plain numpy, no validation.
# --------------------------------------------------------------------------------------------


def normalize_array(X: np.ndarray, is_cost: np.ndarray, method: str,
                    target: np.ndarray | None = None) -> np.ndarray:
    """Benefit-oriented normalised matrix (larger is better in every column)."""
    m = X.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "minmax":
            lo, hi = X.min(axis=0), X.max(axis=0)
            rng = hi - lo
            # benefit (x − lo)/rng, cost (hi − x)/rng = (x − hi)·(−1/rng): two in-place passes
            R = X - np.where(is_cost, hi, lo)
            R *= np.where(is_cost, -1.0, 1.0) / rng
            if (rng == 0).any():
                R[:, rng == 0] = 1.0
            return R
        if method == "max":
            hi, lo = X.max(axis=0), X.min(axis=0)
            R = np.where(is_cost, lo / X, X / hi)
            return np.where(hi == lo, 1.0, R)
        if method == "sum":
            inv = 1.0 / X
            R = np.where(is_cost, inv / inv.sum(axis=0), X / X.sum(axis=0))
            return np.where(X.max(axis=0) == X.min(axis=0), 1.0 / m, R)
        if method == "vector":
            norm = np.sqrt((X**2).sum(axis=0))
            V = np.where(norm == 0, 1.0 / np.sqrt(m), X / norm)
            return np.where(is_cost, 1.0 - V, V)
        if method == "zscore":
            sd = X.std(axis=0, ddof=1) if m > 1 else np.zeros(X.shape[1])
            Z = (X - X.mean(axis=0)) / sd
            Z = np.where(sd == 0, 0.0, Z)
            return np.where(is_cost, -Z, Z)
        if method == "target":
            dev = np.abs(X - target)
            worst = dev.max(axis=0)
            return np.where(worst == 0, 1.0, 1.0 - dev / worst)
    raise ValueError(method)  # pragma: no cover - validated by callers


def _wsm(R: np.ndarray, w: np.ndarray) -> np.ndarray:
    return R @ w


def _wpm(R: np.ndarray, w: np.ndarray) -> np.ndarray:
    return np.prod(R**w, axis=1)


def _topsis(R: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    V = R * w
    pis, nis = V.max(axis=0), V.min(axis=0)
    D = V - pis  # one work array: V − PIS, then V − NIS; row sums of squares without a temp
    d_plus = np.sqrt(np.einsum("ij,ij->i", D, D))
    D += pis - nis
    d_minus = np.sqrt(np.einsum("ij,ij->i", D, D))
    den = d_plus + d_minus
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(den == 0, 1.0, d_minus / den)
    return c, d_plus, d_minus


def _vikor(X: np.ndarray, is_cost: np.ndarray, w: np.ndarray,
           v: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # (f*_j - f_ij)/(f*_j - f-_j) is 1 - minmax; a constant criterion contributes 0 regret
    regret = w * (1.0 - normalize_array(X, is_cost, "minmax"))
    S, R = regret.sum(axis=1), regret.max(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        qs = np.where(S.max() == S.min(), 0.0, (S - S.min()) / (S.max() - S.min()))
        qr = np.where(R.max() == R.min(), 0.0, (R - R.min()) / (R.max() - R.min()))
    return S, R, v * qs + (1.0 - v) * qr


# --------------------------------------------------------------------------------------------
# Public functions.
# --------------------------------------------------------------------------------------------


def _prepare(df, criteria, id_col):
    crit = parse_criteria(criteria)
    names = list(crit)
    X = criteria_matrix(df, names, id_col)
    is_cost = np.array([crit[c] == "min" for c in names])
    return crit, names, X, is_cost


def _check_normalization(X, names, df, id_col, is_cost, method, target, *, vikor=False):
    if method not in NORMALIZATIONS:
        raise UsageError.choice("normalization", method, NORMALIZATIONS)
    t = None
    if method == "target":
        if target is None or any(c not in target for c in names):
            raise UsageError(
                "target 归一化需要为每个指标给出目标值：target={指标: 目标值}",
                "target normalisation needs a target value per criterion: target={column: value}")
        t = np.array([float(target[c]) for c in names])
    if method in ("max", "sum"):
        why = f"{method} 归一化", f"{method} normalisation"
        require_usable(X, names, df, id_col, ~is_cost, strict=False, why_zh=why[0], why_en=why[1])
        require_usable(X, names, df, id_col, is_cost, strict=True,
                 why_zh=why[0] + "（越小越好的指标取倒数）",
                 why_en=why[1] + " (cost criteria are inverted)")
    constant = np.flatnonzero(X.max(axis=0) == X.min(axis=0))
    _warn_constant(names, constant, method, X.shape[0], vikor=vikor)
    return t


def normalize(
    df: pl.DataFrame,
    criteria: Mapping[str, str] | Sequence[str],
    *,
    method: Normalization = "minmax",
    target: Mapping[str, float] | None = None,
    id_col: str | None = None,
) -> pl.DataFrame:
    """Normalise the criteria columns in place (same names); larger is better afterwards.

    Variants (all oriented so that a larger normalised value is better, whatever the direction):

    * ``minmax`` — benefit (x−min)/(max−min), cost (max−x)/(max−min). Constant column: 1 for
      every unit (it cannot separate units; pymcdm's choice) with a warning.
    * ``max`` (linear max) — benefit x/max, cost min/x. Needs x ≥ 0 (cost: x > 0).
    * ``sum`` — benefit x/Σx, cost (1/x)/Σ(1/x) (pymcdm ``sum_normalization``). Needs x ≥ 0
      (cost: x > 0). Constant column: 1/m.
    * ``vector`` — x/√Σx²; cost 1 − x/√Σx² (pymcdm), which gives TOPSIS exactly the classic
      distances with the ideal chosen by direction.
    * ``zscore`` — (x−mean)/sd with sd of ddof = 1, negated for cost; constant column → 0.
    * ``target`` — 1 − |x−t|/max|x−t| for a target value t per criterion (direction ignored: the
      target is the best value); all units on target → 1.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"unit": ["A", "B", "C"], "卫生": [80, 90, 100], "投诉": [4, 2, 0]})
    >>> normalize(df, {"卫生": "max", "投诉": "越小越好"})
    shape: (3, 3)
    ┌──────┬──────┬──────┐
    │ unit ┆ 卫生 ┆ 投诉 │
    │ ---  ┆ ---  ┆ ---  │
    │ str  ┆ f64  ┆ f64  │
    ╞══════╪══════╪══════╡
    │ A    ┆ 0.0  ┆ 0.0  │
    │ B    ┆ 0.5  ┆ 0.5  │
    │ C    ┆ 1.0  ┆ 1.0  │
    └──────┴──────┴──────┘
    """
    _, names, X, is_cost = _prepare(df, criteria, id_col)
    t = _check_normalization(X, names, df, id_col, is_cost, method, target)
    R = normalize_array(X, is_cost, method, t)
    return df.with_columns(
        [pl.Series(c, R[:, j], dtype=pl.Float64) for j, c in enumerate(names)])


def weighted_sum(
    df: pl.DataFrame,
    criteria: Mapping[str, str] | Sequence[str],
    weights: Mapping[str, float] | None = None,
    *,
    normalization: Normalization = "minmax",
    target: Mapping[str, float] | None = None,
    id_col: str | None = None,
) -> pl.DataFrame:
    """Weighted sum model (WSM / SAW): add ``score`` = Σ_j w_j r_ij, higher is better.

    Variant: ``r`` from :func:`normalize` (default min-max with cost reflected, so the score is in
    [0, 1] and the best unit on every criterion scores 1); weights normalised to sum 1. Min-max is
    the default because it is what people expect from a 0–1 scale and it matches pymcdm's WSM with
    ``minmax_normalization`` and scikit-criteria's min-max pipeline.

    Degenerate inputs: a constant criterion gives everyone 1 (warning); a single unit scores 1.0.

    Examples
    --------
    pyDecision's SAW example (third criterion is a cost):

    >>> import polars as pl
    >>> df = pl.DataFrame({"unit": ["a1", "a2", "a3", "a4"], "c1": [25, 21, 19, 22],
    ...                    "c2": [67, 78, 53, 25], "c3": [7, 6, 5, 2], "c4": [20, 24, 33, 31]})
    >>> crit = {"c1": "max", "c2": "max", "c3": "min", "c4": "max"}
    >>> w = {"c1": 0.25, "c2": 0.25, "c3": 0.25, "c4": 0.25}
    >>> weighted_sum(df, crit, w).select("unit", "score")
    shape: (4, 2)
    ┌──────┬──────────┐
    │ unit ┆ score    │
    │ ---  ┆ ---      │
    │ str  ┆ f64      │
    ╞══════╪══════════╡
    │ a1   ┆ 0.448113 │
    │ a2   ┆ 0.460256 │
    │ a3   ┆ 0.482075 │
    │ a4   ┆ 0.586538 │
    └──────┴──────────┘
    """
    if normalization in ("minmax", "vector"):  # affine: no normalised matrix at all
        cols, _, _, w, s, off, c = _fast_prepare(df, criteria, weights, id_col, normalization)
        score = _wsm_columns(cols, w * s, off, float(w @ c))
        return df.with_columns(pl.Series("score", score, dtype=pl.Float64))
    _, names, X, is_cost = _prepare(df, criteria, id_col)
    w = np.array(list(parse_weights(weights, criteria).values()))
    t = _check_normalization(X, names, df, id_col, is_cost, normalization, target)
    R = normalize_array(X, is_cost, normalization, t)
    return df.with_columns(pl.Series("score", _wsm(R, w), dtype=pl.Float64))


def weighted_product(
    df: pl.DataFrame,
    criteria: Mapping[str, str] | Sequence[str],
    weights: Mapping[str, float] | None = None,
    *,
    normalization: Normalization = "max",
    target: Mapping[str, float] | None = None,
    id_col: str | None = None,
) -> pl.DataFrame:
    """Weighted product model (WPM): add ``score`` = Π_j r_ij^w_j, higher is better.

    Variant: ``r`` by linear-max normalisation (benefit x/max, cost min/x, so every r is in
    (0, 1] and the score is 1 for a unit best on every criterion); weights normalised to sum 1.
    Linear max is the default because a product needs positive ratios (min-max would send the
    worst unit on any criterion to 0).

    Degenerate inputs: negative values → error (a power of a negative number is undefined); a
    normalised value of 0 (e.g. a benefit value of 0, or min-max's worst unit) makes the score 0 —
    allowed, but choose ``max`` to avoid it; ``zscore`` is refused (negative ratios).

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"unit": ["A", "B"], "卫生": [90, 60], "投诉": [2, 1]})
    >>> out = weighted_product(df, {"卫生": "max", "投诉": "min"}, {"卫生": 0.5, "投诉": 0.5})
    >>> out["score"].round(6).to_list()  # A: sqrt(1 * 1/2); B: sqrt(2/3 * 1)
    [0.707107, 0.816497]
    """
    _, names, X, is_cost = _prepare(df, criteria, id_col)
    w = np.array(list(parse_weights(weights, criteria).values()))
    if normalization == "zscore":
        raise UsageError.choice("normalization (weighted_product)", normalization,
                                [m for m in NORMALIZATIONS if m != "zscore"])
    require_usable(X, names, df, id_col, np.ones(len(names), bool), strict=False,
             why_zh="加权积法", why_en="the weighted product")
    t = _check_normalization(X, names, df, id_col, is_cost, normalization, target)
    R = normalize_array(X, is_cost, normalization, t)
    return df.with_columns(pl.Series("score", _wpm(R, w), dtype=pl.Float64))


def topsis(
    df: pl.DataFrame,
    criteria: Mapping[str, str] | Sequence[str],
    weights: Mapping[str, float] | None = None,
    *,
    normalization: Normalization = "vector",
    target: Mapping[str, float] | None = None,
    id_col: str | None = None,
) -> pl.DataFrame:
    """TOPSIS: add ``score`` (closeness C = D⁻/(D⁺+D⁻), higher is better), ``d_plus``, ``d_minus``.

    Variant (Hwang & Yoon 1981): vector normalisation r = x/√Σx², weighted v = w·r, ideal PIS =
    best value per criterion (max for benefit, min for cost), anti-ideal NIS the worst, Euclidean
    distances. Internally cost columns are reflected (1 − r, as pymcdm does) and the ideal is the
    column maximum: the distances are identical to the classic rule. Other normalisations can be
    chosen (pymcdm's default is ``minmax``).

    Degenerate inputs: when D⁺ = D⁻ = 0 (all units identical, or a single unit) the closeness is
    undefined; it is set to 1.0 (every unit is at the ideal) and the constant-criterion warning is
    issued.

    Examples
    --------
    Hwang & Yoon's fighter-aircraft example (purchase cost is a cost criterion):

    >>> import polars as pl
    >>> df = pl.DataFrame({"plane": ["A1", "A2", "A3", "A4"],
    ...     "speed": [2.0, 2.5, 1.8, 2.2], "range": [1500, 2700, 2000, 1800],
    ...     "payload": [20000, 18000, 21000, 20000], "cost": [5.5, 6.5, 4.5, 5.0],
    ...     "reliability": [5, 3, 7, 5], "maneuver": [9, 5, 7, 5]})
    >>> crit = {"speed": "max", "range": "max", "payload": "max", "cost": "min",
    ...         "reliability": "max", "maneuver": "max"}
    >>> w = {"speed": .2, "range": .1, "payload": .1, "cost": .1, "reliability": .2, "maneuver": .3}
    >>> topsis(df, crit, w).select("plane", pl.col("score", "d_plus", "d_minus").round(4))
    shape: (4, 4)
    ┌───────┬────────┬────────┬─────────┐
    │ plane ┆ score  ┆ d_plus ┆ d_minus │
    │ ---   ┆ ---    ┆ ---    ┆ ---     │
    │ str   ┆ f64    ┆ f64    ┆ f64     │
    ╞═══════╪════════╪════════╪═════════╡
    │ A1    ┆ 0.6433 ┆ 0.0546 ┆ 0.0984  │
    │ A2    ┆ 0.2684 ┆ 0.1197 ┆ 0.0439  │
    │ A3    ┆ 0.6135 ┆ 0.058  ┆ 0.092   │
    │ A4    ┆ 0.3123 ┆ 0.1009 ┆ 0.0458  │
    └───────┴────────┴────────┴─────────┘
    """
    if normalization in ("minmax", "vector"):  # affine: distances straight from the columns
        cols, lo, hi, w, s, _, _ = _fast_prepare(df, criteria, weights, id_col, normalization)
        a = w * s  # v_ij = a_j x_ij + const_j; PIS at the column max where a_j ≥ 0
        c, dp, dm = _topsis_columns(cols, a, np.where(a >= 0, hi, lo), np.where(a >= 0, lo, hi))
    else:
        _, names, X, is_cost = _prepare(df, criteria, id_col)
        w = np.array(list(parse_weights(weights, criteria).values()))
        t = _check_normalization(X, names, df, id_col, is_cost, normalization, target)
        R = normalize_array(X, is_cost, normalization, t)
        c, dp, dm = _topsis(R, w)
    return df.with_columns(
        pl.Series("score", c, dtype=pl.Float64),
        pl.Series("d_plus", dp, dtype=pl.Float64),
        pl.Series("d_minus", dm, dtype=pl.Float64),
    )


@dataclass(frozen=True)
class VikorCompromise:
    """VIKOR's compromise solution (Opricovic & Tzeng 2004).

    dq : DQ = 1/(m−1), the acceptable advantage threshold (None for a single unit).
    c1 : acceptable advantage, Q(a2) − Q(a1) ≥ DQ (None for a single unit).
    c2 : acceptable stability, a1 is also best (lowest) by S or by R (None for a single unit).
    best : row position of a1 (lowest Q; first in input order when tied).
    compromise : row positions in the compromise set, best first.
    """

    dq: float | None
    c1: bool | None
    c2: bool | None
    best: int
    compromise: tuple[int, ...]


def _vikor_compromise(S: np.ndarray, R: np.ndarray, Q: np.ndarray) -> VikorCompromise:
    m = Q.size
    order = np.argsort(Q, kind="stable")
    a1 = int(order[0])
    if m == 1:
        return VikorCompromise(None, None, None, a1, (a1,))
    dq = 1.0 / (m - 1)
    eps = 1e-12
    c1 = bool(Q[order[1]] - Q[a1] >= dq - eps)
    c2 = bool(S[a1] <= S.min() + eps or R[a1] <= R.min() + eps)
    comp: tuple[int, ...]
    if c1 and c2:
        comp = (a1,)
    elif c1:
        comp = (a1, int(order[1]))
    else:
        comp = tuple(int(i) for i in order if Q[i] - Q[a1] < dq - eps)
    return VikorCompromise(dq, c1, c2, a1, comp)


def vikor_compromise(
    result: pl.DataFrame, *, s: str = "S", r: str = "R", q: str = "Q"
) -> VikorCompromise:
    """Compromise conditions of a :func:`vikor` result.

    Rule (Opricovic & Tzeng 2004): rank by Q (lower is better); a1 the best, a2 the second.
    C1 acceptable advantage: Q(a2) − Q(a1) ≥ DQ = 1/(m−1). C2 acceptable stability: a1 is also
    best by S or by R. Both hold → {a1}; only C2 fails → {a1, a2}; C1 fails → all units with
    Q − Q(a1) < DQ.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"unit": ["A1", "A2", "A3"], "risk": [1, 2, 5],
    ...                    "altitude": [3000, 3750, 4500]})
    >>> res = vikor(df, {"risk": "min", "altitude": "max"}, {"risk": 0.5, "altitude": 0.5})
    >>> vikor_compromise(res)
    VikorCompromise(dq=0.5, c1=True, c2=True, best=1, compromise=(1,))
    """
    arrays = [result[c].cast(pl.Float64).to_numpy() for c in (s, r, q)]
    return _vikor_compromise(*arrays)


def vikor(
    df: pl.DataFrame,
    criteria: Mapping[str, str] | Sequence[str],
    weights: Mapping[str, float] | None = None,
    *,
    v: float = 0.5,
    id_col: str | None = None,
) -> pl.DataFrame:
    """VIKOR: add ``S`` (group utility), ``R`` (individual regret), ``Q`` (lower is better) and
    ``compromise`` (True for units in the compromise set; see :func:`vikor_compromise` for C1/C2).

    Variant (Opricovic & Tzeng 2004): f*_j best and f⁻_j worst raw value of criterion j;
    S_i = Σ_j w_j (f*_j − f_ij)/(f*_j − f⁻_j), R_i = max_j of the same terms,
    Q_i = v (S_i − S*)/(S⁻ − S*) + (1 − v)(R_i − R*)/(R⁻ − R*), with S* = min S, S⁻ = max S (same for
    R), v = 0.5 by default ("consensus"), weights normalised to sum 1.

    Degenerate inputs: a constant criterion contributes no regret (warning); when all S (or all R)
    are equal that part of Q is 0, so Q is 0 for everyone when all units are equal; with a single
    unit Q = 0 and it is the compromise.

    Examples
    --------
    Opricovic & Tzeng (2004): risk is a cost, altitude a benefit.

    >>> import polars as pl
    >>> df = pl.DataFrame({"unit": ["A1", "A2", "A3"], "risk": [1, 2, 5],
    ...                    "altitude": [3000, 3750, 4500]})
    >>> vikor(df, {"risk": "min", "altitude": "max"}, {"risk": 0.5, "altitude": 0.5})
    shape: (3, 7)
    ┌──────┬──────┬──────────┬───────┬──────┬─────┬────────────┐
    │ unit ┆ risk ┆ altitude ┆ S     ┆ R    ┆ Q   ┆ compromise │
    │ ---  ┆ ---  ┆ ---      ┆ ---   ┆ ---  ┆ --- ┆ ---        │
    │ str  ┆ i64  ┆ i64      ┆ f64   ┆ f64  ┆ f64 ┆ bool       │
    ╞══════╪══════╪══════════╪═══════╪══════╪═════╪════════════╡
    │ A1   ┆ 1    ┆ 3000     ┆ 0.5   ┆ 0.5  ┆ 1.0 ┆ false      │
    │ A2   ┆ 2    ┆ 3750     ┆ 0.375 ┆ 0.25 ┆ 0.0 ┆ true       │
    │ A3   ┆ 5    ┆ 4500     ┆ 0.5   ┆ 0.5  ┆ 1.0 ┆ false      │
    └──────┴──────┴──────────┴───────┴──────┴─────┴────────────┘
    """
    if not (isinstance(v, int | float) and 0.0 <= v <= 1.0):
        raise UsageError(f"v 必须在 0 到 1 之间，收到 {v!r}", f"v must be in [0, 1], got {v!r}")
    _, names, X, is_cost = _prepare(df, criteria, id_col)
    w = np.array(list(parse_weights(weights, criteria).values()))
    _check_normalization(X, names, df, id_col, is_cost, "minmax", None, vikor=True)
    S, R, Q = _vikor(X, is_cost, w, float(v))
    comp = np.zeros(Q.size, dtype=bool)
    comp[list(_vikor_compromise(S, R, Q).compromise)] = True
    return df.with_columns(
        pl.Series("S", S, dtype=pl.Float64),
        pl.Series("R", R, dtype=pl.Float64),
        pl.Series("Q", Q, dtype=pl.Float64),
        pl.Series("compromise", comp, dtype=pl.Boolean),
    )
