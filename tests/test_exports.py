"""The public surface: every module says what it exports, and modules import only that.

As httpx's ``test_exported_members``: a name one jobsnb module imports from another must be in
that module's ``__all__`` (a submodule is imported as itself), so ``__all__`` is the whole of what
the rest of the package relies on and a private helper is never used across modules.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "jobsnb"
MODULES = sorted(
    ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    for path in PACKAGE.rglob("*.py")
)


def _source(module: str) -> Path:
    path = ROOT / Path(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def _imports(module: str) -> list[tuple[str, str]]:
    """(module, name) for every ``from jobsnb... import name`` in ``module``'s source."""
    tree = ast.parse(_source(module).read_text())
    found = []
    package = module if _source(module).name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            source = f"{base}.{node.module}" if node.module else base
        else:
            source = node.module or ""
        if source == "jobsnb" or source.startswith("jobsnb."):
            found += [(source, alias.name) for alias in node.names]
    return found


@pytest.mark.parametrize("module", MODULES)
def test_every_module_declares_its_public_names(module: str) -> None:
    if module == "jobsnb.__main__":
        pytest.skip("an entry point, not a module to import from")
    loaded = importlib.import_module(module)
    exported = getattr(loaded, "__all__", None)
    assert isinstance(exported, list | tuple), f"{module} has no __all__"
    for name in exported:
        assert hasattr(loaded, name), f"{module}.__all__ names {name!r}, which it does not define"


@pytest.mark.parametrize("module", MODULES)
def test_names_imported_across_modules_are_exported(module: str) -> None:
    for source, name in _imports(module):
        if source == module:
            continue
        if importlib.util.find_spec(f"{source}.{name}") if _is_package(source) else False:
            continue  # a submodule, imported as itself
        exported = getattr(importlib.import_module(source), "__all__", ())
        assert name in exported, f"{module} imports {name!r} from {source}, not in its __all__"


def _is_package(module: str) -> bool:
    return _source(module).name == "__init__.py"


def test_the_package_ships_its_types() -> None:
    assert (PACKAGE / "py.typed").exists()
