"""Where the console's third-party JavaScript is: installed by the project's scripts, never copied in.

- cytoscape.js: ``./dev`` installs it from npm into ``.tools/node`` (``ensure_console_assets``);
  found through ``TRADEPLANE_CYTOSCAPE`` (a file), else ``.tools/node/node_modules/cytoscape`` in
  the working directory or any parent of it or of this package.
- plotly.js: the copy inside the installed ``plotly`` Python package (the same one the cost report
  inlines).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

__all__ = ["cytoscape", "plotly"]

_CYTOSCAPE = Path(".tools/node/node_modules/cytoscape/dist/cytoscape.min.js")


def cytoscape() -> Path | None:
    """The cytoscape.min.js to serve, or ``None`` when it is not installed."""
    env = os.environ.get("TRADEPLANE_CYTOSCAPE")
    if env:
        return Path(env) if Path(env).is_file() else None
    return _find_cytoscape(str(Path.cwd()))


@functools.lru_cache(maxsize=8)
def _find_cytoscape(cwd: str) -> Path | None:
    for base in (Path(cwd), *Path(cwd).parents, *Path(__file__).resolve().parents):
        candidate = base / _CYTOSCAPE
        if candidate.is_file():
            return candidate
    return None


@functools.lru_cache(maxsize=1)
def plotly() -> Path | None:
    """plotly.min.js from the installed plotly package."""
    import importlib.util

    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"
    return path if path.is_file() else None
