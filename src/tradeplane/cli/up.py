"""`tradeplane up [ESTATE]`: simulator, gateway, Prometheus, Alertmanager, incidents and console on 127.0.0.1."""

from __future__ import annotations

import signal
import tempfile
import time
from pathlib import Path
from types import FrameType

import typer

from tradeplane.cli.output import console as out


def register(app: typer.Typer) -> None:
    @app.command()
    def up(
        estate: Path = typer.Argument(Path("examples/dv-trading"), help="estate directory (default: the reference)"),
        port: int = typer.Option(8080, min=1, max=65535, help="the console's port"),
        run_dir: Path | None = typer.Option(None, "--dir", help="keep configs, logs and data here "
                                            "(default: a temporary directory, removed at exit)"),
        billing: bool = typer.Option(True, "--billing/--no-billing", help="generate synthetic billing for the "
                                     "cost page"),
    ) -> None:
        """Start the whole stack for an estate, print the URLs, stop everything on Ctrl-C or SIGTERM."""
        from tradeplane.console.up import plan_stack
        from tradeplane.estate import estate_files

        estate_files(estate)
        if run_dir is not None:
            from tradeplane.writing import check_dir

            check_dir(run_dir, "--dir")  # a file there is one line before anything starts, never replaced
        tmp = None
        if run_dir is None:
            tmp = tempfile.TemporaryDirectory(prefix="tradeplane-up-")
            run_dir = Path(tmp.name)
        stack = plan_stack(estate, run_dir, console_port=port, billing=billing)
        stopping = False

        def _stop(signum: int, _frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        old = signal.signal(signal.SIGTERM, _stop)
        try:
            out.print(f"[bold]tradeplane up[/] {estate} (logs in {run_dir})")
            for s in stack.skipped:
                out.print(f"skipped: {s}", highlight=False)
            stack.start(say=lambda line: out.print(line, highlight=False, soft_wrap=True))
            out.print(f"\n[bold]open[/] {stack.console_url}\nCtrl-C stops everything.", soft_wrap=True)
            while not stopping:
                dead = stack.failed()
                if dead:
                    out.print(f"[red]{', '.join(s.name for s in dead)} stopped; see its log in {run_dir}[/]")
                    break
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            out.print("stopping…")
            stack.stop()
            signal.signal(signal.SIGTERM, old)
            if tmp is not None:
                tmp.cleanup()
            out.print("stopped")
