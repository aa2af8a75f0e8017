"""`tradeplane console ESTATE`: the estate in a browser (pages + JSON API), read-only by default."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from tradeplane.cli.output import err_console


def register(app: typer.Typer) -> None:
    @app.command()
    def console(
        estate: Path = typer.Argument(..., help="estate directory (or one YAML file)", show_default=False),
        host: str = typer.Option("127.0.0.1", help="listen address"),
        port: int = typer.Option(8080, min=0, max=65535, help="listen port"),
        tokens: Path | None = typer.Option(None, "--tokens", help="token file (roles by token); without it "
                                           "everyone reads as an anonymous viewer"),
        gateway: str | None = typer.Option(None, "--gateway", help="the feed gateway's metrics address, e.g. "
                                           "http://127.0.0.1:9464 (the live feeds page)"),
        incidents: str | None = typer.Option(None, "--incidents", help="the incidents service, e.g. "
                                             "http://127.0.0.1:9095 (token: $TRADEPLANE_INCIDENTS_TOKEN)"),
        migrate_state: Path | None = typer.Option(None, "--migrate-state", help="the migration state file "
                                                   "`migrate advance` writes: ESTATE.migrate-state.json"),
        billing: list[Path] = typer.Option([], "--billing", help="FOCUS billing files or directories "
                                           "(cost over time, budget burn, anomalies); repeatable"),
    ) -> None:
        """Serve the console: overview, topology, network and reach, placement, Terraform, live feeds, cost,
        incidents, migration, self-serve requests. OpenAPI at /openapi.json."""
        from tradeplane.console import load_tokens, serve
        from tradeplane.estate import estate_files

        estate_files(estate)  # a missing estate is an error now, not a page later
        if migrate_state is not None:  # so is a missing or unreadable migration state file (one line)
            from tradeplane.console.views import migrate_state_error

            problem = migrate_state_error(migrate_state)
            if problem is not None:
                raise problem
        roles, names = load_tokens(tokens) if tokens is not None else (None, None)
        err_console.print(f"console for {estate} on http://{host}:{port} "
                          f"({'roles by token' if roles else 'read-only, anonymous viewer'})", highlight=False)
        serve(estate, host=host, port=port, tokens=roles, token_names=names, gateway_url=gateway,
              incidents_url=incidents, incidents_token=os.environ.get("TRADEPLANE_INCIDENTS_TOKEN"),
              migrate_state=migrate_state, billing=billing)
