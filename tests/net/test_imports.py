"""``import tradeplane.net`` stays light: analyses side by side, no solver or data-frame libraries."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("ortools", "pandas", "duckdb", "pyarrow", "tradeplane.placement", "tradeplane.finops")


def test_import_net_loads_no_other_analysis_or_heavy_library() -> None:
    code = ("import sys, tradeplane.net as n; "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules)); print(len(n.CHECKS))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == ""
    assert int(out[1]) >= 8  # the checks are registered on import, before any function is called


def test_checks_run_in_their_documented_order() -> None:
    import importlib

    v = importlib.import_module("tradeplane.net.verify")

    ids = [c.id for c in v.discover()]
    assert ids[:2] == ["intents", "desk-segmentation"] and "latency-budgets" in ids
    orders = [c.order for c in v.discover()]
    assert orders == sorted(orders)
    assert all(c.proves for c in v.discover())


def test_a_new_check_module_runs_without_editing_anything(small_estate: object) -> None:
    import importlib
    from pathlib import Path

    import tradeplane.net.checks as pkg

    v = importlib.import_module("tradeplane.net.verify")

    path = Path(pkg.__path__[0]) / "zz_probe_for_test.py"
    path.write_text(
        "from tradeplane.net.checks.base import Finding, register\n"
        "@register('zz-probe', severity='info', order=999, proves='the probe ran')\n"
        "def probe(ctx):\n"
        "    yield Finding('zz-probe', 'info', 'probe ran')\n")
    try:
        checks = v.discover()
        assert checks[-1].id == "zz-probe"
        report = v.verify(small_estate, checks=checks)  # type: ignore[arg-type]
        assert any(f.check == "zz-probe" for f in report.findings)
    finally:
        path.unlink()
        v.REGISTRY.pop("zz-probe", None)
