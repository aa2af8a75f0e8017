"""Start-up stays fast: importing the CLI (every noun mounted) loads no heavy library.

A command that needs OR-Tools, DuckDB, pyarrow, pandas or websockets imports it when it runs;
``tradeplane --help`` and ``estate validate`` never pay for them (benchmarks/startup.py has the times).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

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


ROOT = Path(__file__).resolve().parents[2]

# A real SIGINT, sent by the process to itself from an import hook the moment the CLI starts importing its
# command modules: Python's handler raises KeyboardInterrupt at the next bytecode, inside that import
# (no timing involved).
_INTERRUPT_THE_IMPORT = """
import os, signal, sys
class Interrupt:
    def find_spec(self, name, path=None, target=None):
        if name == "tradeplane.cli.plan":
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None
sys.meta_path.insert(0, Interrupt())
"""


def _script() -> str:
    """The console script as pyproject.toml declares it (``module:function``)."""
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]["tradeplane"])


# A process started in the background by a shell without job control inherits SIGINT ignored, and Python
# then keeps it ignored: the interrupt tests set what a terminal gives, Python's own handler.
_AS_IN_A_TERMINAL = "import signal\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n"


def _run_script(prelude: str, *argv: str) -> subprocess.CompletedProcess[str]:
    module, function = _script().split(":")
    code = (f"{_AS_IN_A_TERMINAL}{prelude}\nimport importlib, sys\nsys.argv = ['tradeplane', *{list(argv)!r}]\n"
            f"getattr(importlib.import_module({module!r}), {function!r})()\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env,
                          cwd=ROOT)


def test_ctrl_c_while_the_cli_imports_says_aborted_without_a_traceback() -> None:
    """#3: the console script catches an interrupt that arrives before ``main`` is running."""
    out = _run_script(_INTERRUPT_THE_IMPORT, "--help")
    assert (out.returncode, out.stderr, out.stdout) == (130, "aborted\n", "")


def test_the_console_script_runs_the_cli() -> None:
    out = _run_script("", "--help")
    assert out.returncode == 0 and "tradeplane" in out.stdout and out.stderr == ""
    out = _run_script("", "estate", "validate", "no/such/estate")
    assert out.returncode == 2 and "Traceback" not in out.stderr


def test_the_console_script_module_is_light() -> None:
    """Importing the entry point loads nothing of the CLI (the interrupt handler is in place first)."""
    probe = ("import sys\nimport tradeplane.launch\n"
             "print(sorted(m for m in sys.modules if m.startswith(('tradeplane.', 'typer', 'rich'))))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=300)
    assert out.stdout.strip() == "['tradeplane.launch']"


# OR-Tools' C extension, interrupted while it initialises, raises its own ImportError("initialization
# failed") with the KeyboardInterrupt as its context (seen in a fresh-clone trial, 3 of 25 early Ctrl-Cs).
_INTERRUPT_AN_EXTENSION = """
import sys
class Interrupt:
    def find_spec(self, name, path=None, target=None):
        if name == "ortools.sat.python.cp_model":
            sys.meta_path.remove(self)
            try:
                raise KeyboardInterrupt
            except KeyboardInterrupt:
                raise ImportError("initialization failed")
        return None
sys.meta_path.insert(0, Interrupt())
"""


def test_ctrl_c_while_a_c_extension_initialises_says_aborted_without_a_traceback() -> None:
    out = _run_script(_INTERRUPT_AN_EXTENSION, "plan", "examples/small")
    assert out.returncode == 130 and out.stderr.endswith("aborted\n") and "Traceback" not in out.stderr


def test_ctrl_c_after_a_placement_solve_is_still_an_interrupt() -> None:
    """CP-SAT installs its own SIGINT handler for a solve and leaves the system default behind it, so a
    Ctrl-C after placement killed the process outright (no "aborted", no cleanup): the solver is told not
    to catch SIGINT."""
    code = (_AS_IN_A_TERMINAL + "import os, signal, time\n"
            "from tradeplane.estate.load import load\n"
            "from tradeplane.placement import solve\n"
            "solve(load('examples/dv-trading'))\n"
            "try:\n"
            "    os.kill(os.getpid(), signal.SIGINT)\n"
            "    time.sleep(5)\n"
            "except KeyboardInterrupt:\n"
            "    print('interrupted')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)
    assert (out.returncode, out.stdout) == (0, "interrupted\n"), out.stderr
