"""The ``tradeplane`` command: ``tradeplane <noun> <verb>``.

Each noun is one module here holding a Typer sub-app named ``app`` (mounted as
``tradeplane <module name>``) or a ``register(app)`` function for top-level
commands; modules are discovered, never listed by hand (``output`` and names
starting with ``_`` are helpers, not nouns). A module may set ``NOUN`` to mount
under another name. Each only parses arguments, calls its package and prints.
Errors a user can cause arrive as ``TradeplaneError`` and leave as clear lines on
stderr with exit code 2.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer

from tradeplane.cli.output import err_console
from tradeplane.errors import TradeplaneError
from tradeplane.launch import ABORTED, interrupted

app = typer.Typer(
    name="tradeplane",
    help="Infrastructure control plane for a multi-cloud trading firm.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
_HELPERS = {"output"}


def _mount_nouns() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.name in _HELPERS:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        sub = getattr(module, "app", None)
        if isinstance(sub, typer.Typer):
            app.add_typer(sub, name=getattr(module, "NOUN", info.name.replace("_", "-")))
        register = getattr(module, "register", None)
        if callable(register):
            register(app)


_mount_nouns()




def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code instead of raising so tests can call it. An interrupt (Ctrl-C)
    prints "aborted" on stderr and returns ``ABORTED`` (130)."""
    try:
        # Without standalone mode, an Exit(code) raised by a command comes back as the return value.
        rc = app(args=argv, prog_name="tradeplane", standalone_mode=False)
    except TradeplaneError as exc:
        for line in exc.lines():
            err_console.print(line, markup=False, highlight=False, soft_wrap=True)
        return 2
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except (typer.Abort, KeyboardInterrupt):  # click's Abort (EOF at a prompt), or an interrupt outside
        err_console.print("aborted")          # the command's own call
        return ABORTED
    except typer.TyperException as exc:
        if _is_usage_error(exc):  # a missing argument, an unknown option: one line, not the usage block
            ctx = getattr(exc, "ctx", None)
            where = getattr(ctx, "command_path", "") or "tradeplane"
            err_console.print(f"{exc.format_message()} (hint: see '{where} --help')",
                              markup=False, highlight=False, soft_wrap=True)
            return 2
        show = getattr(exc, "show", None)
        if callable(show):
            show(file=sys.stderr)
        else:
            err_console.print(str(exc), markup=False, highlight=False)
        return int(getattr(exc, "exit_code", 2) or 2)
    except Exception as exc:
        if not interrupted(exc):
            raise
        err_console.print("aborted")  # e.g. an ImportError a C extension raised because Ctrl-C hit its init
        return ABORTED
    if rc == ABORTED:
        # Typer turns a KeyboardInterrupt inside a command into the return value 130 and says nothing
        # (typer.core._main); no command of ours exits 130 itself.
        err_console.print("aborted")
    return int(rc) if isinstance(rc, int) else 0


def _is_usage_error(exc: BaseException) -> bool:
    """Click's ``UsageError`` family (Typer vendors click, so the class is matched by name)."""
    return any(c.__name__ == "UsageError" for c in type(exc).__mro__) and hasattr(exc, "format_message")


def run() -> None:
    """``sys.exit(main())``, for callers that have imported the CLI already. The console script is
    ``tradeplane.launch.run``, which also turns an interrupt during this module's import into "aborted"."""
    sys.exit(main())


if __name__ == "__main__":
    run()
