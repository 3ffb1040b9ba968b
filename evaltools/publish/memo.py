"""One result per leaderboard: :func:`per_leaderboard`.

A :class:`~evaltools.leaderboard.Leaderboard` is immutable, and one publication's page, workbook,
CSV and Word notice ask for the same tables of it (issue 17: the published table, the
satisfaction summary and the star names were each computed two or three times).
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["per_leaderboard"]

T = TypeVar("T")


def per_leaderboard(fn: Callable[[Any], T]) -> Callable[[Any], T]:
    """``fn(lb)`` computed once per leaderboard object while it is alive (weakly keyed by
    identity); a stand-in that cannot be weakly referenced is computed each time. The result
    is shared: callers must not change it in place (polars frames are not changed in place
    here).

    Examples
    --------
    >>> from evaltools.examples import two_buildings
    >>> calls = []
    >>> @per_leaderboard
    ... def n_units(lb):
    ...     calls.append(1)
    ...     return lb.table.height
    >>> lb = two_buildings()
    >>> n_units(lb), n_units(lb), len(calls)
    (2, 2, 1)
    """
    results: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()

    @functools.wraps(fn)
    def once(lb: Any) -> T:
        try:
            return results[lb]
        except (KeyError, TypeError):
            pass
        out = fn(lb)
        try:
            results[lb] = out
        except TypeError:  # not hashable or weakly referable
            pass
        return out

    return once
