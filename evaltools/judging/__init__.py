"""Judges' scores: 去掉最高最低 trimmed mean, per-judge z-scores, agreement and a judge report.

Two jobs, one module each: :mod:`~evaltools.judging.panels` (a panel's scores reduced to one
value per unit) and :mod:`~evaltools.judging.concordance` (how far the judges agree, who is
lenient); :mod:`~evaltools.judging.coded` lays long score tables out as integer-coded panels for
the scoring pipeline. This package keeps every name importable as ``evaltools.judging.<name>``;
the names of ``concordance`` and ``coded`` (numpy, scipy) are imported on first use (PEP 562), so
scoring a street office's board never loads numpy (issue 17).

The scores table is long: one row per (judge, unit, criterion[, round]) with a numeric ``score``.
Everything here is vectorised with polars group-bys and numpy; no loop runs over units or judges.
Variants and their sources are listed in ``docs/methods.md``; the known answers are in
``tests/reference/ratings_cases.json``.
"""

from typing import TYPE_CHECKING

from evaltools.judging.common import AGGREGATES
from evaltools.judging.common import LEVELS as LEVELS
from evaltools.judging.common import Aggregate as Aggregate
from evaltools.judging.panels import (
    aggregate,
    standardize,
    trimmed_mean,
)
from evaltools.lazy import lazy_names

if TYPE_CHECKING:
    from evaltools.judging.coded import (
        PYARROW_LIST_MIN as PYARROW_LIST_MIN,
    )
    from evaltools.judging.coded import (
        coded_panels as coded_panels,
    )
    from evaltools.judging.coded import (
        panel_lists as panel_lists,
    )
    from evaltools.judging.coded import (
        panel_reduce as panel_reduce,
    )
    from evaltools.judging.coded import (
        string_codes as string_codes,
    )
    from evaltools.judging.concordance import (
        KendallW,
        agreement,
        icc,
        judge_report,
        judge_totals,
        kendall_w,
        krippendorff_alpha,
    )

_CODED = "evaltools.judging.coded"
_CONCORDANCE = "evaltools.judging.concordance"
_LAZY = {
    **dict.fromkeys(("PYARROW_LIST_MIN", "coded_panels", "panel_lists", "panel_reduce",
                     "string_codes"), _CODED),
    **dict.fromkeys(("KendallW", "agreement", "icc", "judge_report", "judge_totals",
                     "kendall_w", "krippendorff_alpha"), _CONCORDANCE),
}
__getattr__, __dir__ = lazy_names(globals(), _LAZY)

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
