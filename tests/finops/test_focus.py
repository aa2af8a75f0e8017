from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tradeplane import finops
from tradeplane.errors import InputError
from tradeplane.finops.billing_db import connect
from tradeplane.finops.focus import MANDATORY_COLUMNS, NORMALISED_COLUMNS, inspect, open_billing


def _copy_csv(src: str, dst: Path, select: str = "*", where: str = "") -> Path:
    duckdb.execute(f"COPY (SELECT {select} FROM read_parquet('{src}') {where} LIMIT 50) TO '{dst}' "
                   "(FORMAT csv, HEADER true)")
    return dst


def test_generated_files_validate_and_normalise(generated: finops.GenerateResult) -> None:
    con = connect()
    b = open_billing(con, generated.files)
    assert b.synthetic
    cols = tuple(d[0] for d in con.execute("SELECT * FROM billing LIMIT 0").description)
    assert cols == NORMALISED_COLUMNS
    rows = con.execute("SELECT provider, count(*) FROM billing GROUP BY provider ORDER BY provider").fetchall()
    assert [r[0] for r in rows] == ["aws", "gcp"]
    assert sum(r[1] for r in rows) == generated.rows


def test_tag_shapes_per_provider(generated: finops.GenerateResult) -> None:
    con = connect()
    shapes = {Path(p).name.split("-")[0]: inspect(con, Path(p)).tags_shape for p in generated.files}
    assert shapes == {"aws": "map", "gcp": "list"}
    open_billing(con, generated.files)
    # AWS keeps the user: prefix on cost allocation tags; GCP labels are plain: both normalise the same.
    got = con.execute("SELECT provider, count(*) FROM billing WHERE tag_desk = 'futures' GROUP BY provider "
                      "ORDER BY provider").fetchall()
    assert [r[0] for r in got] == ["aws", "gcp"] or [r[0] for r in got] == ["gcp"]
    aws = [f for f in generated.files if "aws-" in f]
    raw = duckdb.execute(f"SELECT map_keys(Tags) FROM read_parquet({aws!r}) "
                         "WHERE len(map_keys(Tags)) > 0 LIMIT 1").fetchone()
    assert raw is not None and all(k.startswith("user:") for k in raw[0])


def test_csv_exports_read_like_parquet(tmp_path: Path, estate, generated: finops.GenerateResult) -> None:
    res = finops.generate(estate, tmp_path, end=date.fromisoformat(generated.end), days=92, seed=7, fmt="csv")
    con = connect()
    b = open_billing(con, res.files)
    assert {f.tags_shape for f in b.files} == {"json-object", "json-array"}
    csv_tot = con.execute("SELECT round(sum(effective_cost), 4), count(*) FROM billing WHERE tag_desk IS NOT NULL"
                          ).fetchone()
    con2 = connect()
    open_billing(con2, generated.files)
    pq_tot = con2.execute("SELECT round(sum(effective_cost), 4), count(*) FROM billing WHERE tag_desk IS NOT NULL"
                          ).fetchone()
    assert csv_tot == pq_tot


def test_missing_mandatory_column_names_file_and_column(tmp_path: Path, generated: finops.GenerateResult) -> None:
    bad = _copy_csv(generated.files[0], tmp_path / "bad.csv", "* EXCLUDE (BilledCost, Tags)")
    with pytest.raises(InputError) as exc:
        open_billing(connect(), [bad])
    text = str(exc.value)
    assert "bad.csv" in text and "BilledCost" in text
    assert exc.value.problems[0].field == "BilledCost"


def test_bad_value_names_row_and_column(tmp_path: Path, generated: finops.GenerateResult) -> None:
    good = _copy_csv(generated.files[0], tmp_path / "good.csv", "* EXCLUDE (Tags)")
    lines = good.read_text().splitlines()
    header = lines[0].split(",")
    col = header.index("EffectiveCost")
    cells = lines[5].split(",")
    cells[col] = "twelve"
    lines[5] = ",".join(cells)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as exc:
        open_billing(connect(), [bad])
    p = exc.value.problems[0]
    assert p.field == "EffectiveCost"
    assert p.location is not None and p.location.file.endswith("bad.csv") and p.location.line == 6
    assert "row 5" in p.message and "not a decimal" in p.message


def test_bad_charge_category_and_null(tmp_path: Path, generated: finops.GenerateResult) -> None:
    bad = tmp_path / "bad.parquet"
    gcp = next(f for f in generated.files if "gcp-" in f)
    duckdb.execute(f"""COPY (SELECT * EXCLUDE (file_row_number) REPLACE (
            CASE WHEN file_row_number = 3 THEN 'Refund' ELSE ChargeCategory END AS ChargeCategory,
            CASE WHEN file_row_number = 7 THEN NULL ELSE ServiceName END AS ServiceName)
          FROM read_parquet('{gcp}', file_row_number = true) LIMIT 20) TO '{bad}' (FORMAT parquet)""")
    with pytest.raises(InputError) as exc:
        open_billing(connect(), [bad])
    by_field = {p.field: p.message for p in exc.value.problems}
    assert "row 4" in by_field["ChargeCategory"] and "Refund" not in by_field["ServiceName"]
    assert "row 8" in by_field["ServiceName"]


def test_wrong_parquet_type(tmp_path: Path, generated: finops.GenerateResult) -> None:
    bad = tmp_path / "types.parquet"
    duckdb.execute(f"COPY (SELECT * REPLACE (CAST(BilledCost AS VARCHAR) AS BilledCost) "
                   f"FROM read_parquet('{generated.files[0]}') LIMIT 5) TO '{bad}' (FORMAT parquet)")
    with pytest.raises(InputError) as exc:
        open_billing(connect(), [bad])
    assert exc.value.problems[0].field == "BilledCost" and "decimal" in exc.value.problems[0].message


def test_missing_and_unknown_paths(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no billing data"):
        open_billing(connect(), [tmp_path / "nope"])
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(InputError, match="not a Parquet or CSV"):
        open_billing(connect(), [tmp_path / "x.json"])
    with pytest.raises(InputError, match="no FOCUS files"):
        open_billing(connect(), [tmp_path])


def test_mandatory_columns_are_focus_names() -> None:
    assert "BilledCost" in MANDATORY_COLUMNS and "ChargePeriodStart" in MANDATORY_COLUMNS
    assert list(MANDATORY_COLUMNS) == sorted(MANDATORY_COLUMNS)


def test_manifest_lists_injected_anomalies(generated: finops.GenerateResult, generated_dir: Path) -> None:
    m = json.loads((generated_dir / "manifest.json").read_text())
    assert m["synthetic"] is True
    assert {a["desk"] for a in m["anomalies"]} == {"research", "crypto"}


def test_focus_1_3_provider_columns(tmp_path: Path, generated: finops.GenerateResult) -> None:
    """FOCUS 1.3 renames ProviderName/PublisherName to ServiceProviderName/HostProviderName."""
    src = next(f for f in generated.files if "gcp-" in f)
    new = tmp_path / "focus13.parquet"
    duckdb.execute(f"""COPY (SELECT * EXCLUDE (ProviderName, PublisherName),
                              ProviderName AS ServiceProviderName, PublisherName AS HostProviderName
                       FROM read_parquet('{src}')) TO '{new}' (FORMAT parquet)""")
    con = connect()
    b = open_billing(con, [new])
    assert b.files[0].version == "1.3"
    assert con.execute("SELECT DISTINCT provider FROM billing").fetchall() == [("gcp",)]
    gone = tmp_path / "noprovider.parquet"
    duckdb.execute(f"COPY (SELECT * EXCLUDE (ProviderName) FROM read_parquet('{src}') LIMIT 3) TO '{gone}' "
                   "(FORMAT parquet)")
    with pytest.raises(InputError, match=r"ProviderName \(or ServiceProviderName\)"):
        open_billing(connect(), [gone])
