"""evaltools — 楼栋评比、群众满意度、民情速递站与晒最美的评估工具.

An evaluation toolkit for Chinese street offices: read the files evaluators really have, validate
them with precise bilingual messages, score and rank buildings and courtyards with named, verified
methods, and publish leaderboards that can be posted and defended.
"""

from typing import TYPE_CHECKING

from evaltools.dataset import Dataset, read_dataset
from evaltools.errors import (
    EvalToolsError,
    Problem,
    RubricError,
    UsageError,
    ValidationError,
    ValidationReport,
)
from evaltools.io import (
    read_deductions,
    read_entries,
    read_judges,
    read_ratings,
    read_scores,
    read_table,
    read_tickets,
    read_units,
    read_votes,
    read_wjx,
)
from evaltools.lazy import lazy_names
from evaltools.rubric import Rubric, parse_rubric, read_rubric, write_rubric
from evaltools.version import __version__

if TYPE_CHECKING:
    from evaltools.leaderboard import Leaderboard, evaluate

#: Names imported on first use (PEP 562): scoring needs numpy, and ``import evaltools`` (or a
#: command that only validates) should cost little more than ``import polars`` (issue 17).
_LAZY = {"Leaderboard": "evaltools.leaderboard", "evaluate": "evaltools.leaderboard"}

__getattr__, __dir__ = lazy_names(globals(), _LAZY)

__all__ = [
    "Dataset",
    "EvalToolsError",
    "Leaderboard",
    "Problem",
    "Rubric",
    "RubricError",
    "UsageError",
    "ValidationError",
    "ValidationReport",
    "__version__",
    "evaluate",
    "parse_rubric",
    "read_dataset",
    "read_deductions",
    "read_entries",
    "read_judges",
    "read_ratings",
    "read_rubric",
    "read_scores",
    "read_table",
    "read_tickets",
    "read_units",
    "read_votes",
    "read_wjx",
    "write_rubric",
]
