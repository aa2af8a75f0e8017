"""Start-up stays fast: importing the CLI (every noun mounted) loads no heavy library.

A command that needs OR-Tools, DuckDB, pyarrow, pandas or websockets imports it when it runs;
``tradeplane --help`` and ``estate validate`` never pay for them (benchmarks/startup.py has the times).
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("ortools", "duckdb", "pyarrow", "pandas", "websockets", "fastapi", "sqlalchemy", "hcl2", "plotly",
         "networkx", "uvicorn", "picows", "nats", "boto3")


def _loaded(code: str) -> list[str]:
    probe = f"import sys\n{code}\nimport json; print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=300)
    mods = set(json.loads(out.stdout.strip().splitlines()[-1]))
    return sorted(h for h in HEAVY if h in mods)


def test_importing_the_cli_loads_no_heavy_library() -> None:
    assert _loaded("import tradeplane.cli") == []


def test_help_and_estate_validate_load_no_heavy_library() -> None:
    code = ("from tradeplane.cli import main\n"
            "import contextlib, io\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    assert main(['--help']) == 0\n"
            "    assert main(['estate', 'validate', 'examples/small']) == 0\n")
    assert _loaded(code) == []
