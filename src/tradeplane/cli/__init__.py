"""The ``tradeplane`` command: ``tradeplane <noun> <verb>``.

Each noun is one module here holding a Typer sub-app that only parses
arguments, calls its package and prints. Errors a user can cause arrive as
``TradeplaneError`` and leave as clear lines on stderr with exit code 2.
"""

from __future__ import annotations

import sys

import typer

from tradeplane.cli import cost, estate, feeds, net, place, plan, terraform
from tradeplane.cli.output import err_console
from tradeplane.errors import TradeplaneError

app = typer.Typer(
    name="tradeplane",
    help="Infrastructure control plane for a multi-cloud trading firm.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(estate.app, name="estate")
app.add_typer(terraform.app, name="terraform")
app.add_typer(net.app, name="net")
app.add_typer(place.app, name="place")
app.add_typer(feeds.app, name="feeds")
app.add_typer(cost.app, name="cost")
plan.register(app)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code instead of raising so tests can call it."""
    try:
        # Without standalone mode, an Exit(code) raised by a command comes back as the return value.
        rc = app(args=argv, prog_name="tradeplane", standalone_mode=False)
    except TradeplaneError as exc:
        for line in exc.lines():
            err_console.print(line, markup=False, highlight=False, soft_wrap=True)
        return 2
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        err_console.print("aborted")
        return 130
    except typer.TyperException as exc:  # usage errors: a missing argument, an unknown option
        show = getattr(exc, "show", None)
        if callable(show):
            show(file=sys.stderr)
        else:
            err_console.print(str(exc), markup=False, highlight=False)
        return int(getattr(exc, "exit_code", 2) or 2)
    return int(rc) if isinstance(rc, int) else 0


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
