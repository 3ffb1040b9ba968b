"""One result per leaderboard: :func:`per_leaderboard`.

A :class:`~evaltools.leaderboard.Leaderboard` is immutable, and one publication's page, workbook,
CSV and Word notice ask for the same tables of it (issue 17: the published table, the
satisfaction summary and the star names were each computed two or three times).
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

__all__ = ["per_leaderboard", "per_object"]

T = TypeVar("T")


def per_leaderboard(fn: Callable[[Any], T]) -> Callable[[Any], T]:
    """``fn(lb)`` computed once per leaderboard object while it is alive (:func:`per_object`:
    weakly keyed by identity); a stand-in that cannot be weakly referenced is computed each
    time. The result is shared: callers must not change it in place (polars frames are not
    changed in place here).

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
    return per_object(fn)


class per_object(Generic[T]):  # a decorator, lower-case like functools.cache
    """``fn(x)`` computed once per object ``x`` while it is alive, keyed by identity (polars
    frames, which cannot be hashed, as well as leaderboards); the entry goes when the object
    does (:attr:`results`). An object that cannot be weakly referenced is computed each time.
    The result is shared: callers must not change it in place."""

    def __init__(self, fn: Callable[[Any], T]) -> None:
        self.fn = fn
        #: id(x) → (weak reference to x, fn(x))
        self.results: dict[int, tuple[weakref.ref[Any], T]] = {}
        functools.update_wrapper(self, fn)

    def __call__(self, x: Any) -> T:
        done = self.results.get(id(x))
        if done is not None and done[0]() is x:
            return done[1]
        out = self.fn(x)
        key = id(x)

        def forget(_: Any) -> None:
            self.results.pop(key, None)

        try:
            self.results[key] = (weakref.ref(x, forget), out)
        except TypeError:  # not weakly referable: computed each time
            pass
        return out
