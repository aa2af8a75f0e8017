"""Serve the console on uvicorn (``tradeplane console ESTATE``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from tradeplane.console.auth import Role

__all__ = ["serve"]


def serve(estate_path: Path, *, host: str = "127.0.0.1", port: int = 8080, tokens: Mapping[str, Role] | None = None,
          token_names: Mapping[str, str] | None = None, gateway_url: str | None = None,
          incidents_url: str | None = None, incidents_token: str | None = None, migrate_state: Path | None = None,
          billing: Sequence[Path] = ()) -> None:
    """Build the app and run it until interrupted (SIGINT/SIGTERM: uvicorn's graceful shutdown)."""
    import uvicorn

    from tradeplane.console.app import create_app

    app = create_app(estate_path, tokens=tokens, token_names=token_names, gateway_url=gateway_url,
                     incidents_url=incidents_url, incidents_token=incidents_token, migrate_state=migrate_state,
                     billing=billing)
    from tradeplane.jsonlog import configure

    configure()
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, timeout_graceful_shutdown=5)
