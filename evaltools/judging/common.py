"""What the two halves of :mod:`evaltools.judging` share: names of the aggregates and levels, and
the column checks and warnings their messages use."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import polars as pl

from evaltools.errors import (
    EvalToolsWarning,
    require_columns,
)

Aggregate = Literal["mean", "median", "trimmed_mean"]
AGGREGATES: tuple[str, ...] = ("mean", "median", "trimmed_mean")
LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")


def expr(col: str | pl.Expr) -> pl.Expr:
    return pl.col(col) if isinstance(col, str) else col


def warn(zh: str, en: str) -> None:
    warnings.warn(f"{zh} | {en}", EvalToolsWarning, stacklevel=3)


def need_columns(df: pl.DataFrame, cols: Sequence[str], what: str) -> None:
    """``what`` (the analysis, in Chinese) needs ``cols`` in ``df``."""
    require_columns(df, cols, what_zh=f"{what}的数据", what_en=f"the data for {what}",
                    fix_zh="检查列名参数", fix_en="check the column-name arguments")


def default_by(df: pl.DataFrame, by: Sequence[str] | None, default: Sequence[str]) -> list[str]:
    if by is None:
        return [c for c in default if c in df.columns]
    by = [by] if isinstance(by, str) else list(by)
    need_columns(df, by, "分组 (by) ")
    return by
