"""The console: the estate in a browser, read-only by default, roles by token.

Public face: ``create_app(estate_path, tokens=..., gateway_url=..., incidents_url=...,
migrate_state=...)`` (a FastAPI app), ``Role`` and ``load_tokens`` (the token file), ``Principal``,
``serve`` (uvicorn) and ``PAGES``. Pages are rendered on the server (Jinja2) with a little
JavaScript for the graph (cytoscape.js), the live feed table (Server-Sent Events) and forms;
``docs/console.md`` says why. The self-serve request path (``tradeplane.selfserve``'s router) is
mounted under ``/api/requests`` and the Requests page.
"""

from tradeplane.console.app import PAGES, create_app
from tradeplane.console.auth import Principal, Role, load_tokens
from tradeplane.console.serve import serve

__all__ = ["PAGES", "Principal", "Role", "create_app", "load_tokens", "serve"]
