"""``repr``, ``==`` and ``hash`` of frozen dataclasses, written once instead of generated per class.

On Python 3.11 ``@dataclass`` compiles every method it adds from source text when the class is
defined: ``__init__``, ``__repr__``, ``__eq__``, ``__hash__`` and, for a frozen class,
``__setattr__`` and ``__delattr__``. That is ≈ 0.5–1 ms per class, and ``import evaltools``
defines dozens (issue 17: half of its own import time). A class declared as

    @dataclass(frozen=True, repr=False, eq=False)  # repr, == and hash: Record's
    class Criterion(Record):
        ...

takes these three from :class:`Record` instead and gives the same results as the generated ones:
``Criterion(id='a', name='甲', …)``; equal when of the same class with equal fields (in order);
the hash of the fields' tuple. ``field(repr=False, compare=False, hash=…)`` are honoured.

>>> from dataclasses import dataclass, field
>>> @dataclass(frozen=True, repr=False, eq=False)
... class Point(Record):
...     x: int
...     y: int = 0
...     label: str = field(default="", compare=False, repr=False)
>>> Point(1, 2, "a"), Point(1, 2, "a") == Point(1, 2, "b"), Point(1) == (1, 0)
(Point(x=1, y=2), True, False)
>>> hash(Point(1, 2)) == hash((1, 2))
True

A dataclass compared by identity (``eq=False``) can still take its repr from :class:`FieldRepr`:

>>> @dataclass(frozen=True, repr=False, eq=False)
... class Box(FieldRepr):
...     size: int
>>> Box(3), Box(3) == Box(3)
(Box(size=3), False)
"""

from __future__ import annotations

from dataclasses import Field, fields
from typing import Any

__all__ = ["FieldRepr", "Record"]


class FieldRepr:
    """Base of dataclasses declared with ``repr=False`` that print as the generated repr would
    (for a class compared by identity, ``eq=False``, where :class:`Record` does not fit)."""

    __slots__ = ()

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in _fields(self) if f.repr)
        return f"{type(self).__qualname__}({shown})"


class Record(FieldRepr):
    """Base of frozen dataclasses declared with ``repr=False, eq=False`` (see the module doc)."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return _compared(self) == _compared(other)

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, f.name) for f in _fields(self)
                          if (f.compare if f.hash is None else f.hash)))


def _fields(record: Any) -> tuple[Field, ...]:
    return fields(record)


def _compared(record: Any) -> tuple:
    return tuple(getattr(record, f.name) for f in _fields(record) if f.compare)
