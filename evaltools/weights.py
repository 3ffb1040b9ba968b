"""Criterion weights: equal, entropy, CRITIC (objective, from the data) and AHP (from judgements).

Each function returns ``dict[str, float]`` in criterion order, summing to 1 (AHP returns an
:class:`AHPResult` whose ``.weights`` is such a dict). Variants follow
``tests/reference/mcda_cases.json`` ``conventions.formula_variants``; see ``docs/methods.md``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import numpy as np
import polars as pl

from evaltools.errors import EvalToolsError, EvalToolsWarning, Problem, UsageError
from evaltools.mcda import criteria_matrix, normalize_array, parse_criteria, require_usable

__all__ = ["RI_SAATY", "RI_TUMMALA_LING", "AHPResult", "ahp", "critic", "entropy", "equal"]

#: Saaty (1980) random consistency index, as widely tabulated (index = n − 1).
RI_SAATY: tuple[float, ...] = (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49)
#: Tummala & Ling (1998) mean random consistency index, n = 1..15 (used by pymcdm).
RI_TUMMALA_LING: tuple[float, ...] = (
    0.0, 0.0, 0.5799, 0.8921, 1.1159, 1.2358, 1.3322, 1.3952, 1.4537, 1.4882, 1.5117, 1.5356,
    1.5571, 1.5714, 1.5831,
)
_RI = {"saaty": RI_SAATY, "tummala_ling": RI_TUMMALA_LING}
#: Tolerance of the AHP reciprocity check on a log scale, |ln(a_ij · a_ji)| ≤ 0.05: admits the
#: two-decimal reciprocals people type (1/8 as 0.12 is the worst case, |ln 0.96| = 0.041).
RECIPROCAL_LOG_TOL: float = 0.05


def _warn(zh: str, en: str) -> None:
    warnings.warn(f"{zh} | {en}", EvalToolsWarning, stacklevel=3)


def equal(criteria: Mapping[str, str] | Sequence[str]) -> dict[str, float]:
    """Equal weights 1/n.

    Examples
    --------
    >>> equal(["卫生", "绿化", "设施", "安全"])
    {'卫生': 0.25, '绿化': 0.25, '设施': 0.25, '安全': 0.25}
    """
    names = list(parse_criteria(criteria))
    return {c: 1.0 / len(names) for c in names}


def _entropy(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kernel: (weights, E) for a non-negative (m, n) matrix with m ≥ 2 and no all-zero column."""
    m = X.shape[0]
    P = X / X.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(P > 0, P * np.log(P), 0.0)
    E = -plogp.sum(axis=0) / np.log(m)
    E = np.where(X.max(axis=0) == X.min(axis=0), 1.0, E)  # uniform p: E = 1 exactly
    d = 1.0 - E
    return d / d.sum(), E


def entropy(
    df: pl.DataFrame,
    criteria: Mapping[str, str] | Sequence[str],
    *,
    id_col: str | None = None,
) -> dict[str, float]:
    """Entropy weights: criteria whose values differ more between units weigh more.

    Variant: p_ij = x_ij / Σ_i x_ij; E_j = −(1/ln m) Σ_i p_ij ln p_ij with 0·ln 0 = 0;
    w_j = (1 − E_j) / Σ_k (1 − E_k). Directions are ignored (entropy measures dispersion only),
    as in scikit-criteria and pyDecision.

    Degenerate inputs: negative values → error (p must be a distribution); fewer than 2 units →
    error (k = 1/ln m undefined); an all-zero column carries no information → E = 1, weight 0,
    with a warning; every column constant → error (no criterion separates units).

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"a": [1, 4], "b": [2, 16]})
    >>> {k: round(v, 6) for k, v in entropy(df, {"a": "min", "b": "max"}).items()}
    {'a': 0.358889, 'b': 0.641111}
    """
    crit = parse_criteria(criteria)
    names = list(crit)
    X = criteria_matrix(df, names, id_col)
    require_usable(X, names, df, id_col, np.ones(len(names), bool), strict=False,
             why_zh="熵权法", why_en="entropy weights")
    if X.shape[0] < 2:
        raise EvalToolsError("熵权法至少需要 2 个参评单位", "entropy weights need at least 2 units")
    zero = X.sum(axis=0) == 0
    if zero.any():
        _warn(f"指标 {'、'.join(np.array(names)[zero])} 全为 0，熵权为 0",
              f"criteria {list(np.array(names)[zero])} are all zero; entropy weight 0")
        X = np.where(zero, 1.0, X)  # uniform distribution -> E = 1 -> weight 0
    if np.all(X.max(axis=0) == X.min(axis=0)):
        raise EvalToolsError("所有指标在各单位间都相同，熵权无法确定",
                             "every criterion is constant across units; entropy weights undefined")
    w, _ = _entropy(X)
    return {c: float(x) for c, x in zip(names, w, strict=True)}


def _critic(R: np.ndarray) -> np.ndarray:
    """Kernel: CRITIC weights of a benefit-oriented min-max matrix (constant columns get 0)."""
    sd = R.std(axis=0, ddof=1)
    live = sd > 0
    C = np.zeros(R.shape[1])
    Rl = R[:, live]
    rho = np.atleast_2d(np.corrcoef(Rl, rowvar=False))
    C[live] = sd[live] * (1.0 - rho).sum(axis=1)
    return C / C.sum()


def critic(
    df: pl.DataFrame,
    criteria: Mapping[str, str] | Sequence[str],
    *,
    id_col: str | None = None,
) -> dict[str, float]:
    """CRITIC weights (Diakoulaki et al. 1995): contrast × conflict.

    Variant: direction-aware min-max r_ij = (x_ij − worst_j)/(best_j − worst_j); σ_j the standard
    deviation of column j (ddof = 1; the choice cancels in w); ρ the Pearson correlation of the r
    columns; C_j = σ_j Σ_k (1 − ρ_jk); w_j = C_j / Σ C.

    Degenerate inputs: fewer than 3 units → error (correlations of 2 points are always ±1); a
    constant criterion has σ = 0 → weight 0 and is left out of the correlations (warning); every
    criterion constant, or a single non-constant one with no conflict → error / weight 1.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"x": [61.0, 20.7, 16.3, 9.0, 5.4, 4.0, -6.1, -34.6],
    ...                    "y": [1.08, 0.26, 1.98, 3.29, 2.77, 4.12, 3.52, 3.31],
    ...                    "z": [4.33, 4.34, 2.53, 1.65, 2.33, 1.21, 2.1, 0.98]})
    >>> {k: round(v, 6) for k, v in critic(df, ["x", "y", "z"]).items()}
    {'x': 0.202226, 'y': 0.480902, 'z': 0.316873}
    """
    crit = parse_criteria(criteria)
    names = list(crit)
    X = criteria_matrix(df, names, id_col)
    if X.shape[0] < 3:
        raise EvalToolsError("CRITIC 权重至少需要 3 个参评单位", "CRITIC weights need at least 3 units")
    const = X.max(axis=0) == X.min(axis=0)
    if const.all():
        raise EvalToolsError("所有指标在各单位间都相同，CRITIC 权重无法确定",
                             "every criterion is constant; CRITIC weights undefined")
    if const.any():
        _warn(f"指标 {'、'.join(np.array(names)[const])} 各单位相同，CRITIC 权重为 0",
              f"criteria {list(np.array(names)[const])} are constant; CRITIC weight 0")
    is_cost = np.array([crit[c] == "min" for c in names])
    R = normalize_array(X, is_cost, "minmax")
    R = np.where(const, 0.0, R)
    if const.sum() == len(names) - 1:
        w = (~const).astype(float)
    else:
        w = _critic(R)
    return {c: float(x) for c, x in zip(names, w, strict=True)}


@dataclass(frozen=True)
class AHPResult:
    """Result of :func:`ahp`.

    weights : label → priority (principal eigenvector, sums to 1).
    lambda_max : principal eigenvalue λmax.
    ci : consistency index (λmax − n)/(n − 1).
    cr : consistency ratio CI/RI(n); 0 for n ≤ 2.
    ri : the random index used; ri_table names the table ("saaty" or "tummala_ling").
    consistent : CR < 0.1 (Saaty's rule).
    matrix : the reciprocal matrix used (after parsing "3/4"-style entries).
    """

    weights: dict[str, float]
    lambda_max: float
    ci: float
    cr: float
    ri: float
    ri_table: str
    consistent: bool
    matrix: np.ndarray

    def __repr__(self) -> str:  # keep the matrix out of the short form
        w = {k: round(v, 4) for k, v in self.weights.items()}
        return (f"AHPResult(weights={w}, lambda_max={self.lambda_max:.4f}, ci={self.ci:.4f}, "
                f"cr={self.cr:.4f}, consistent={self.consistent})")


def _parse_entry(v: object, i: int, j: int) -> float:
    if v is None or (isinstance(v, str) and v.strip() == ""):
        return np.nan
    if isinstance(v, str):
        try:
            return float(Fraction(v.strip().replace("／", "/")))
        except (ValueError, ZeroDivisionError) as exc:
            raise EvalToolsError(Problem(
                None, i + 1, f"第{j + 1}列 (column {j + 1})", v, "ahp_bad_entry",
                "判断矩阵的值应是数字或分数（如 3、1/3、3/4）",
                "pairwise values must be numbers or fractions such as 3, 1/3, 3/4")) from exc
    try:
        return float(v)  # type: ignore[arg-type]  # any other cell is tried: TypeError caught
    except (TypeError, ValueError) as exc:
        raise EvalToolsError(Problem(
            None, i + 1, f"第{j + 1}列 (column {j + 1})", v, "ahp_bad_entry",
            "判断矩阵的值应是数字或分数", "pairwise values must be numbers or fractions")) from exc


def _ahp_kernel(A: np.ndarray) -> tuple[np.ndarray, float]:
    vals, vecs = np.linalg.eig(A)
    k = int(np.argmax(vals.real))
    w = np.abs(vecs[:, k].real)
    w = w / w.sum()
    lam = float(np.mean((A @ w) / w))
    return w, lam


def ahp(
    matrix: Sequence[Sequence[object]] | np.ndarray,
    *,
    labels: Sequence[str] | None = None,
    ri: Literal["saaty", "tummala_ling"] = "saaty",
    tol: float = RECIPROCAL_LOG_TOL,
) -> AHPResult:
    """AHP priorities and consistency from a pairwise comparison matrix (Saaty).

    Variant: principal right eigenvector of the reciprocal matrix, normalised to sum 1;
    λmax = mean((A w)_i / w_i); CI = (λmax − n)/(n − 1); CR = CI / RI(n) with Saaty's (1980)
    table (n ≤ 10) or Tummala & Ling's (1998, n ≤ 15); consistent when CR < 0.1.

    Entries may be numbers or strings such as ``"3"``, ``"1/3"``, ``"3/4"``. The lower triangle
    may be left empty (None or ""), in which case it is filled with reciprocals. The matrix must
    be square, positive, have 1 on the diagonal (within 0.01) and be reciprocal.

    Reciprocity is compared on a log scale: |ln(a_ij · a_ji)| ≤ ``tol`` (default 0.05, i.e. the
    product within about ±5 % of 1). That admits every reciprocal of 2 … 9 as people type it with
    two decimals — 0.5, 0.33, 0.25, 0.2, 0.17, 0.14, 0.13 or 0.12 (for 1/8, the worst case:
    8 × 0.12 = 0.96, |ln| = 0.041), 0.11 — and rejects real mistakes such as 3 against 0.3
    (|ln 0.9| = 0.105) or 3 against 0.5. Each non-reciprocal pair is reported with its cell
    (i, j), both values and this rule.

    Examples
    --------
    >>> res = ahp([[1, 2, 6], ["1/2", 1, 3], ["1/6", "1/3", 1]], labels=["卫生", "绿化", "设施"])
    >>> res
    AHPResult(weights={'卫生': 0.6, '绿化': 0.3, '设施': 0.1}, lambda_max=3.0000, ci=0.0000, cr=0.0000, consistent=True)
    >>> ahp([[1, 3, None], [None, 1, 2], ["5", None, 1]]).consistent  # c1 > c2 > c3 yet c3 > c1
    False
    >>> ahp([[1, 8, 3], [0.12, 1, 0.33], [0.33, 3, 1]]).consistent  # two-decimal reciprocals
    True
    """
    if ri not in _RI:
        raise UsageError.choice("ri", ri, list(_RI))
    rows = [list(r) for r in (matrix.tolist() if isinstance(matrix, np.ndarray) else matrix)]
    n = len(rows)
    if n == 0 or any(len(r) != n for r in rows):
        raise EvalToolsError(Problem(
            None, None, None, f"{n} 行 / rows", "ahp_not_square",
            "判断矩阵必须是方阵（行数 = 列数）", "the pairwise matrix must be square"))
    A = np.array([[_parse_entry(v, i, j) for j, v in enumerate(r)] for i, r in enumerate(rows)])
    filled = np.where(np.isnan(A), 1.0 / A.T, A)
    problems = []
    for i, j in np.argwhere(~np.isfinite(filled) | (filled <= 0)):
        problems.append(Problem(
            None, int(i) + 1, f"第{j + 1}列 (column {j + 1})", rows[i][j], "ahp_bad_entry",
            "判断矩阵的值必须为正数（且 a_ij 与 a_ji 至少填一个）",
            "pairwise values must be positive (fill a_ij or a_ji)"))
    if problems:
        raise EvalToolsError(problems)
    A = filled
    diag = np.flatnonzero(np.abs(np.diag(A) - 1.0) > 0.01)
    recip = np.argwhere(np.triu(np.abs(np.log(A) + np.log(A.T)) > tol, 1))
    for i in diag:
        problems.append(Problem(None, int(i) + 1, f"第{i + 1}列 (column {i + 1})", rows[i][i],
                                "ahp_diagonal", "对角线必须为 1", "the diagonal must be 1"))
    for i, j in recip:
        prod = float(A[i, j] * A[j, i])
        pct = f"{(np.exp(tol) - 1) * 100:.0f}%"
        problems.append(Problem(
            None, int(j) + 1, f"第{i + 1}列 (column {i + 1})", rows[j][i], "ahp_not_reciprocal",
            f"（单元格 ({j + 1}, {i + 1})）与单元格 ({i + 1}, {j + 1}) 的 {rows[i][j]} 不互为倒数："
            f"两者乘积为 {prod:.4g}，规则是 |ln(a_ij·a_ji)| ≤ {tol:g}（乘积约在 1 的 ±{pct} 以内，"
            "两位小数的倒数如 0.33、0.13 可以）",
            f"(cell ({j + 1}, {i + 1})) is not the reciprocal of cell ({i + 1}, {j + 1}) = "
            f"{rows[i][j]}: their product is {prod:.4g}; the rule is |ln(a_ij·a_ji)| ≤ {tol:g} "
            f"(product within about ±{pct} of 1; two-decimal reciprocals such as 0.33 or 0.13 pass)",
            f"a_ji 应等于 1/a_ij（如 1/{rows[i][j]}）", f"a_ji must equal 1/a_ij (e.g. 1/{rows[i][j]})"))
    if problems:
        raise EvalToolsError(problems)
    table = _RI[ri]
    if n > len(table):
        raise UsageError(
            f"{ri} 随机一致性指标表只到 n = {len(table)}，此矩阵 n = {n}"
            "（可改用 ri=\"tummala_ling\"，到 n = 15）",
            f"the {ri} RI table stops at n = {len(table)}; this matrix has n = {n} "
            "(ri=\"tummala_ling\" goes to n = 15)")
    names = list(labels) if labels is not None else [f"c{i + 1}" for i in range(n)]
    if len(names) != n:
        raise UsageError(f"labels 有 {len(names)} 个，矩阵是 {n} 阶",
                         f"{len(names)} labels for a {n}×{n} matrix")
    w, lam = _ahp_kernel(A)
    if n <= 2:
        ci = cr = 0.0
        lam = float(n)
    else:
        ci = (lam - n) / (n - 1)
        cr = ci / table[n - 1]
    ci, cr = max(ci, 0.0) if abs(ci) < 1e-12 else ci, max(cr, 0.0) if abs(cr) < 1e-12 else cr
    return AHPResult(
        weights={c: float(x) for c, x in zip(names, w, strict=True)},
        lambda_max=lam, ci=float(ci), cr=float(cr), ri=float(table[n - 1]), ri_table=ri,
        consistent=bool(cr < 0.1), matrix=A,
    )
