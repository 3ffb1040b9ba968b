"""Names a package imports on first use (PEP 562), so importing it stays cheap (issue 17).

>>> ns = {"__name__": "demo"}
>>> ns["__getattr__"], ns["__dir__"] = lazy_names(ns, {"join": "os.path"})
>>> ns["__getattr__"]("join") is __import__("os").path.join, "join" in ns
(True, True)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(namespace: dict[str, Any], modules: dict[str, str]
               ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A package's ``__getattr__`` and ``__dir__`` for ``modules`` (name → the module defining
    it): a name is imported from its module when first asked for, then kept in ``namespace``
    (the package's ``globals()``)."""

    def __getattr__(name: str) -> Any:
        if name in modules:
            value = getattr(importlib.import_module(modules[name]), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {namespace['__name__']!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(modules))

    return __getattr__, __dir__
