"""Import a package on first use, so ``tradeplane --help`` and light commands skip heavy libraries.

The CLI mounts every noun at start-up; if each noun imported its package at the top,
every command would pay for OR-Tools, DuckDB, pyarrow, pandas and websockets before
doing anything (about 3.6 s). A noun module writes instead::

    if TYPE_CHECKING:
        from tradeplane import finops
    else:
        finops = lazy("tradeplane.finops")

and the package is imported when a command first touches ``finops.<name>``.
``tests/cli/test_startup.py`` checks that importing ``tradeplane.cli`` loads none of them.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["lazy"]


class _Lazy(ModuleType):
    """A stand-in module that imports the real one on the first attribute read."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.__dict__["_real"] = None

    def _load(self) -> ModuleType:
        real = self.__dict__["_real"]
        if real is None:
            real = importlib.import_module(self.__name__)
            self.__dict__["_real"] = real
        return real  # type: ignore[no-any-return]

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._load(), attr)

    def __dir__(self) -> list[str]:
        return dir(self._load())


def lazy(name: str) -> ModuleType:
    """A module object for ``name`` that imports it on first attribute access."""
    return _Lazy(name)
