"""An import-linter contract: no module uses another module's ``_private`` names.

import-linter's own contracts see which module imports which, not which *names*; this one reads
each module of the graph with :mod:`ast` and reports

- ``from evaltools.x import _name`` (and ``import evaltools.x._name``-style private attributes),
- ``alias._name`` where ``alias`` is another evaltools module bound by an import in the file,

when the name belongs to another module. Private *modules* (``evaltools._kernels``) may be
imported from their parent package, as import-linter's ``private_modules`` contract allows; dunder
names (``__version__``) are public. Names used only inside docstrings are not imports and are not
checked. Registered in ``pyproject.toml`` (``[tool.importlinter] contract_types``) and run by
``make test``.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import grimp
from importlinter.application import output
from importlinter.domain.contract import Contract, ContractCheck


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _source(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def _resolve(module: str, node: ast.ImportFrom) -> str:
    """The absolute module of a (possibly relative) ``from … import``."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    is_package = (_source(module) or Path()).name == "__init__.py"
    parts = base if is_package else base[:-1]
    parts = parts[: len(parts) - (node.level - 1)]
    return ".".join([*parts, *([node.module] if node.module else [])])


def private_uses(module: str, root: str, modules: set[str]) -> list[tuple[int, str]]:
    """``(line, text)`` of each use of another module's private name in ``module``."""
    path = _source(module)
    if path is None:
        return []
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    bound: dict[str, str] = {}  # local name -> evaltools module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _resolve(module, node)
            if not source.startswith(root):
                continue
            for alias in node.names:
                full = f"{source}.{alias.name}"
                if full in modules:  # a submodule, e.g. ``from evaltools import _kernels``
                    bound[alias.asname or alias.name] = full
                    parent = source
                    if _private(alias.name) and not (module == parent
                                                      or module.startswith(parent + ".")):
                        found.append((node.lineno, f"from {source} import {alias.name}"))
                elif _private(alias.name) and source != module:
                    found.append((node.lineno, f"from {source} import {alias.name}"))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(root) and alias.asname:
                    bound[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and _private(node.attr)
                and isinstance(node.value, ast.Name) and node.value.id in bound
                and bound[node.value.id] != module
                and f"{bound[node.value.id]}.{node.attr}" not in modules):
            found.append((node.lineno, f"{node.value.id}.{node.attr}"))
    return sorted(set(found))


class NoPrivateImportsContract(Contract):
    """No module of the root package uses a ``_private`` name of another module."""

    type_name = "private"

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        modules = set(graph.modules)
        roots = {m.split(".")[0] for m in modules}
        violations = [
            {"module": m, "line": line, "text": text}
            for m in sorted(modules)
            for root in roots if m == root or m.startswith(root + ".")
            for line, text in private_uses(m, root, modules)
        ]
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        output.print_error("Private names used outside their module:", bold=False)
        output.new_line()
        for v in check.metadata["violations"]:
            output.print_error(f"- {v['module']} l.{v['line']}: {v['text']}", bold=False)
        output.new_line()
