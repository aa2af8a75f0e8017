"""Analyses side by side: placement imports neither finops nor the data libraries (issue 10)."""

from __future__ import annotations

import json
import subprocess
import sys


def test_placement_imports_no_finops_duckdb_pandas_pyarrow() -> None:
    code = ("import json, sys, tradeplane.placement; "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('duckdb', 'pandas', 'pyarrow', 'ortools') or m.startswith('tradeplane.finops'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_price_table_lives_beside_the_catalog() -> None:
    code = ("import json, sys; from tradeplane.estate.prices import instance_price; "
            "instance_price('aws', 'us-east-1', 'c6in.8xlarge'); "
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('tradeplane.finops'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
