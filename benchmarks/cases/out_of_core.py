"""Out of core: 50M review cards as Parquet, aggregated through polars' streaming engine.

``setup`` writes the cards in chunks of 5M rows to a temporary folder (``unit_id`` over 100k
units, ``rating`` as the four labels; zstd Parquet), so the data never sits in memory whole. The
timed query is evaltools' expressions (:func:`evaltools.ratings.to_value`,
:func:`~evaltools.ratings.wilson_interval`, :func:`~evaltools.ratings.bayesian_average`) inside
``pl.scan_parquet(...).group_by(...).agg(...).collect(engine="streaming")``; the prior mean C is
Σ total / Σ n of the aggregated rows (exact, no second scan). Target: peak RSS under 2 GB
(absolute, the whole process). Opt-in: ``--large`` or ``--case out_of_core``.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from benchmarks.cases.ratings import LABELS, SATISFIED, make_cards
from benchmarks.harness import Case, Impl, Target, register

CHUNK = 5_000_000


@dataclass
class ParquetCards:
    folder: Path
    n_cards: int
    n_units: int
    bytes_on_disk: int
    bytes_in_memory: int  # what the cards would take as one DataFrame (estimated)


def write_cards(n_cards: int) -> ParquetCards:
    folder = Path(tempfile.mkdtemp(prefix="evaltools-bench-"))
    n_units = max(10, min(100_000, n_cards // 500))
    mem = 0
    for i, start in enumerate(range(0, n_cards, CHUNK)):
        part = make_cards(min(CHUNK, n_cards - start), n_units, seed=100 + i)
        mem += part.estimated_size()
        part.write_parquet(folder / f"cards-{i:03d}.parquet", compression="zstd")
        del part
    disk = sum(p.stat().st_size for p in folder.glob("*.parquet"))
    return ParquetCards(folder, n_cards, n_units, disk, mem)


def streaming_summary(data: ParquetCards) -> pl.DataFrame:
    from evaltools.ratings import bayesian_average, to_value, wilson_interval

    sat = [LABELS[s] for s in SATISFIED]
    g = (pl.scan_parquet(data.folder / "*.parquet")
         .select("unit_id", to_value("rating", labels=LABELS).alias("v"))
         .group_by("unit_id")
         .agg(n=pl.col("v").count(), total=pl.col("v").sum(), k=pl.col("v").is_in(sat).sum())
         .collect(engine="streaming"))
    C = g["total"].sum() / g["n"].sum()
    return g.with_columns(
        satisfaction_rate=pl.col("k") / pl.col("n"),
        ci=wilson_interval("k", "n"),
        bayesian_average=bayesian_average(pl.col("total") / pl.col("n"), "n",
                                          prior_mean=C, prior_weight=10.0),
    ).unnest("ci")


def cleanup(data: ParquetCards) -> None:
    shutil.rmtree(data.folder, ignore_errors=True)


def _check_total(a: pl.DataFrame, b: pl.DataFrame) -> float:
    return float(np.abs(a["n"].sum() - b["n"].sum()))


register(Case(
    name="out_of_core", title="50M cards as Parquet, streaming aggregation",
    sizes=(50_000_000,), quick_sizes=(200_000,), setup=write_cards,
    impls=(Impl("evaltools", streaming_summary, role="subject", compare=False),),
    targets=(Target("peak RSS < 2 GB", "rss_mb", limit=2048.0, size=50_000_000),),
    input_bytes=lambda d: d.bytes_in_memory, teardown=cleanup, size_label="cards",
    opt_in=True, budget_s=60.0,
))
