"""Judges' scores: 去掉最高最低 trimmed mean, per-judge z-scores, agreement and a judge report.

Two jobs, one module each: :mod:`~evaltools.judging.panels` (a panel's scores reduced to one
value per unit) and :mod:`~evaltools.judging.concordance` (how far the judges agree, who is
lenient); this package keeps every name importable as ``evaltools.judging.<name>``.

The scores table is long: one row per (judge, unit, criterion[, round]) with a numeric ``score``.
Everything here is vectorised with polars group-bys and numpy; no loop runs over units or judges.
Variants and their sources are listed in ``docs/methods.md``; the known answers are in
``tests/reference/ratings_cases.json``.
"""

from evaltools.judging.common import AGGREGATES
from evaltools.judging.common import LEVELS as LEVELS
from evaltools.judging.common import Aggregate as Aggregate
from evaltools.judging.concordance import (
    KendallW,
    agreement,
    icc,
    judge_report,
    judge_totals,
    kendall_w,
    krippendorff_alpha,
)
from evaltools.judging.panels import (
    PYARROW_LIST_MIN as PYARROW_LIST_MIN,
)
from evaltools.judging.panels import (
    aggregate,
    standardize,
    trimmed_mean,
)
from evaltools.judging.panels import (
    coded_panels as coded_panels,
)
from evaltools.judging.panels import (
    panel_groups as panel_groups,
)
from evaltools.judging.panels import (
    panel_lists as panel_lists,
)
from evaltools.judging.panels import (
    panel_reduce as panel_reduce,
)
from evaltools.judging.panels import (
    string_codes as string_codes,
)

__all__ = [
    "AGGREGATES",
    "KendallW",
    "aggregate",
    "agreement",
    "icc",
    "judge_report",
    "judge_totals",
    "kendall_w",
    "krippendorff_alpha",
    "standardize",
    "trimmed_mean",
]
