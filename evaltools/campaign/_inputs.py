"""Input checks and option types shared by the campaign analyses.

Column checks naming the table, row numbering of the votes, and the ``ties`` option.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import polars as pl

from evaltools.errors import EvalToolsError, Problem, UsageError, require_columns
from evaltools.ranking import TIES

Ties = Literal["min", "dense", "ordinal", "average"]
VOTE_COLUMNS = ("round", "entry_id", "voter_id", "voted_at")


# --------------------------------------------------------------------------------------------
# inputs


def check_columns(frame: pl.DataFrame | None, table: str, need: Sequence[str]) -> None:
    if frame is None:
        raise EvalToolsError(Problem(
            None, None, None, None, "missing_table", f"缺少{'投票' if table == 'votes' else '作品'}"
            f"表（{table}）", f"the {table} table is missing",
            f"请提供 {table}.csv", f"add {table}.csv"))
    require_columns(frame, need, what_zh=f"{'投票' if table == 'votes' else '作品'}表",
                    what_en=f"the {table} table", file=f"{table}.csv",
                    fix_zh="请检查表头（见 docs/data-format.md）",
                    fix_en="check the headers (docs/data-format.md)")


def with_rows(votes: pl.DataFrame) -> pl.DataFrame:
    """``votes`` with ``_row``: the Excel row (kept from reading, else position + 2)."""
    if "_row" in votes.columns:
        return votes.with_columns(pl.col("_row").cast(pl.Int64))
    return votes.with_columns(_row=pl.int_range(2, pl.len() + 2, dtype=pl.Int64))


def check_ties(ties: str) -> None:
    if ties not in TIES:
        raise UsageError.choice("ties", ties, TIES)
