"""The price table beside the catalog is read through the estate's loader into a typed model (issue 10)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradeplane.errors import ConfigError
from tradeplane.estate.prices import price_table
from tradeplane.estate.prices.table import PriceCatalog, load_price_table

SHIPPED = Path(__file__).resolve().parents[2] / "src" / "tradeplane" / "estate" / "prices" / "catalog.yaml"


def test_shipped_table_is_the_typed_model() -> None:
    t = price_table()
    assert isinstance(t.catalog, PriceCatalog) and t.as_of == t.catalog.as_of == "2026-11-01"
    assert t.catalog.aws.families["c6in"] == (0.1134, 2.0)
    assert t.catalog.gcp.node_types["n2-node-80-640"] == (80, 640.0)
    assert t.data["gcp"]["sole_tenant_premium"] == t.catalog.gcp.sole_tenant_premium  # plain view, same content
    assert load_price_table(SHIPPED).catalog == t.catalog  # the file on disk and the package resource agree


def test_bad_values_are_located_by_file_line_and_field(tmp_path: Path) -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    bad = (text.replace("c5n: [0.108, 2.625]", "c5n: [-0.108, 2.625]")
           .replace("sole_tenant_premium: 0.10", "sole_tenant_premium: 2")
           .replace("    nat_gateway: {usd: 0.045, unit: hour}", "    nat_gateway: {usd: 0.045, unit: day}"))
    p = tmp_path / "catalog.yaml"
    p.write_text(bad, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_price_table(p)
    msg = str(exc.value)
    lines = text.splitlines()
    c5n = next(i for i, line in enumerate(lines, 1) if "c5n:" in line)
    assert f"{p}:{c5n}:" in msg and "aws.families.c5n[0]: must be greater than 0" in msg
    assert "gcp.sole_tenant_premium: must be less than or equal to 1" in msg
    assert "network.aws.nat_gateway.unit: must be 'hour', 'GB' or 'month'; got 'day'" in msg
    assert "3 problems" in msg


def test_missing_section_and_unknown_field(tmp_path: Path) -> None:
    p = tmp_path / "catalog.yaml"
    p.write_text('source: x\nas_of: "2026-11"\nregions: {}\n', encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_price_table(p)
    msg = str(exc.value)
    assert f"{p}:2:" in msg and "as_of" in msg  # not YYYY-MM-DD
    assert "aws" in msg and "gcp" in msg and "network" in msg  # required sections
    assert f"{p}:3:" in msg and "regions" in msg  # unknown field
