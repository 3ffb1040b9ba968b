"""Weighted sum (min-max) and TOPSIS (vector, min-max) on an n × 20 decision matrix.

Implementations, all on the same matrix (uniform 0–100, criteria 15–19 are costs, weights drawn
once and normalised to sum 1):

* ``evaltools`` — :func:`evaltools.mcda.weighted_sum` / :func:`evaltools.mcda.topsis` on a polars
  DataFrame with one Float64 column per criterion (validation included; the input of the API);
* ``numpy`` — the textbook numpy code on a C-contiguous float64 (n, 20) array: normalise, weight,
  sum (TOPSIS: ideal/anti-ideal and Euclidean distances). Also the reference for results;
* ``np.sum`` — one ``np.sum`` over the same array: a one-pass memory-bandwidth floor;
* ``pymcdm`` — ``WSM`` / ``TOPSIS`` with the same normalisation function, ``validation=False``;
* ``scikit-criteria`` — ``mkdm`` + a pipeline (``MinMaxInverter`` or ``VectorScaler``, then
  ``WeightedSumModel`` / ``TOPSIS``); it has no validation switch.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import polars as pl

from benchmarks.harness import Case, Impl, Target, register

K = 20
N_COST = 5
SIZES = (10_000, 100_000, 1_000_000)
QUICK = (500, 2_000)


@dataclass
class Matrix:
    X: np.ndarray  # (n, K) C-contiguous float64
    df: pl.DataFrame
    w: np.ndarray
    cost: np.ndarray
    criteria: dict[str, str]
    weights: dict[str, float]


def make_matrix(n: int, seed: int = 20240501) -> Matrix:
    rng = np.random.default_rng(seed)
    X = np.ascontiguousarray(rng.uniform(0.0, 100.0, (n, K)))
    cost = np.arange(K) >= K - N_COST
    w = rng.uniform(0.5, 1.5, K)
    w = w / w.sum()
    names = [f"c{j:02d}" for j in range(K)]
    df = pl.DataFrame({c: X[:, j] for j, c in enumerate(names)})
    criteria = {c: ("min" if cost[j] else "max") for j, c in enumerate(names)}
    return Matrix(X, df, w, cost, criteria, dict(zip(names, w.tolist(), strict=True)))


def matrix_bytes(m: Matrix) -> int:
    return int(m.df.estimated_size())


def max_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(np.asarray(a, float) - np.asarray(b, float))))


# ---- numpy references -------------------------------------------------------------------------


def numpy_minmax(X: np.ndarray, cost: np.ndarray) -> np.ndarray:
    lo, hi = X.min(axis=0), X.max(axis=0)
    return np.where(cost, hi - X, X - lo) / (hi - lo)


def numpy_wsm(m: Matrix) -> np.ndarray:
    return numpy_minmax(m.X, m.cost) @ m.w


def numpy_topsis(m: Matrix, normalization: str) -> np.ndarray:
    if normalization == "vector":
        R = m.X / np.sqrt((m.X**2).sum(axis=0))
        R = np.where(m.cost, 1.0 - R, R)
    else:
        R = numpy_minmax(m.X, m.cost)
    V = R * m.w
    d_plus = np.sqrt(((V - V.max(axis=0)) ** 2).sum(axis=1))
    d_minus = np.sqrt(((V - V.min(axis=0)) ** 2).sum(axis=1))
    return d_minus / (d_plus + d_minus)


def np_sum(m: Matrix) -> float:
    return float(np.sum(m.X))


# ---- evaltools ----------------------------------------------------------------------------------


def evaltools_wsm(m: Matrix) -> np.ndarray:
    from evaltools import mcda

    return mcda.weighted_sum(m.df, m.criteria, m.weights)["score"].to_numpy()


def evaltools_topsis(m: Matrix, normalization: str) -> np.ndarray:
    from evaltools import mcda

    return mcda.topsis(m.df, m.criteria, m.weights,
                       normalization=normalization)["score"].to_numpy()


# ---- peers --------------------------------------------------------------------------------------


def _types(m: Matrix) -> np.ndarray:
    return np.where(m.cost, -1, 1)


def pymcdm_wsm(m: Matrix) -> np.ndarray:
    from pymcdm import normalizations
    from pymcdm.methods import WSM

    return WSM(normalizations.minmax_normalization)(m.X, m.w, _types(m), validation=False)


def pymcdm_topsis(m: Matrix, normalization: str) -> np.ndarray:
    from pymcdm import normalizations
    from pymcdm.methods import TOPSIS

    fn = (normalizations.vector_normalization if normalization == "vector"
          else normalizations.minmax_normalization)
    return TOPSIS(fn)(m.X, m.w, _types(m), validation=False)


def _skc_pipeline(steps):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from skcriteria.pipelines import mkpipe
        except ImportError:  # pragma: no cover - older scikit-criteria
            from skcriteria.pipeline import mkpipe
    return mkpipe(*steps)


def _skc_dm(m: Matrix):
    import skcriteria as skc

    return skc.mkdm(m.X, np.where(m.cost, min, max), weights=m.w)


def skcriteria_wsm(m: Matrix) -> np.ndarray:
    from skcriteria.agg.simple import WeightedSumModel
    from skcriteria.preprocessing.invert_objectives import MinMaxInverter

    pipe = _skc_pipeline([MinMaxInverter(), WeightedSumModel()])
    return np.asarray(pipe.evaluate(_skc_dm(m)).e_.score)


def skcriteria_topsis(m: Matrix, normalization: str) -> np.ndarray:
    from skcriteria.agg.topsis import TOPSIS
    from skcriteria.preprocessing.invert_objectives import MinMaxInverter
    from skcriteria.preprocessing.scalers import VectorScaler

    pre = VectorScaler(target="matrix") if normalization == "vector" else MinMaxInverter()
    pipe = _skc_pipeline([pre, TOPSIS()])
    return np.asarray(pipe.evaluate(_skc_dm(m)).e_.similarity)


def _targets() -> tuple[Target, ...]:
    at = 1_000_000
    return (
        Target("≤ 0.35× plain numpy", "ratio", other="numpy", limit=0.35, size=at),
        Target("≤ 4× one-pass np.sum", "ratio", other="np.sum", limit=4.0, size=at),
        Target("≥ 10× faster than pymcdm", "speedup", other="pymcdm", limit=10.0, size=at),
        Target("≥ 10× faster than scikit-criteria", "speedup", other="scikit-criteria",
               limit=10.0, size=at),
        Target("equal to numpy within 1e-12", "diff", limit=1e-12, size=at),
    )


def _case(name: str, title: str, subject, numpy_fn, pymcdm_fn, skc_fn) -> Case:
    return register(Case(
        name=name, title=title, sizes=SIZES, quick_sizes=QUICK, setup=make_matrix,
        impls=(
            Impl("numpy", numpy_fn, role="baseline"),
            Impl("evaltools", subject, role="subject"),
            Impl("np.sum", np_sum, role="floor", compare=False),
            Impl("pymcdm", pymcdm_fn, role="peer"),
            Impl("scikit-criteria", skc_fn, role="peer"),
        ),
        reference="numpy", compare=max_abs_diff, targets=_targets(), input_bytes=matrix_bytes,
        size_label="n (× 20 criteria)", budget_s=15.0,
    ))


_case("weighted_sum", "weighted sum, min-max, n × 20", evaltools_wsm, numpy_wsm, pymcdm_wsm,
      skcriteria_wsm)
for _norm in ("vector", "minmax"):
    _case(f"topsis_{_norm}", f"TOPSIS, {_norm} normalisation, n × 20",
          lambda m, _n=_norm: evaltools_topsis(m, _n),
          lambda m, _n=_norm: numpy_topsis(m, _n),
          lambda m, _n=_norm: pymcdm_topsis(m, _n),
          lambda m, _n=_norm: skcriteria_topsis(m, _n))
