"""Which polars engine runs a lazy query over frames already in memory.

polars 2's ``LazyFrame.collect()`` defaults to the ``"auto"`` engine, which runs such queries on
the streaming engine. On the frames of a street office (tens to tens of thousands of rows) that
costs several times the CPU of the in-memory engine the eager ``DataFrame`` methods use
(split_header's strip on a 6.7k-row sheet: 4.2 vs 0.55 ms); on long frames the streaming engine
is the faster (``evaluate`` at 100k units) and the leaner (10M rating cards: ≈ 500 vs 840 MB).

>>> engine_for(60), engine_for(10_000_000)
('in-memory', 'auto')
"""

from __future__ import annotations

from typing import Literal

__all__ = ["IN_MEMORY_ROWS", "engine_for"]

#: Frames shorter than this are queried on the in-memory engine.
IN_MEMORY_ROWS = 50_000


def engine_for(rows: int) -> Literal["in-memory", "auto"]:
    """The engine for a query over a frame of ``rows`` rows: in-memory when short, else polars'
    default."""
    return "in-memory" if rows < IN_MEMORY_ROWS else "auto"
