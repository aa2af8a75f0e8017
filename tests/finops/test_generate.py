from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tradeplane import finops
from tradeplane.errors import InputError
from tradeplane.finops.focus import MANDATORY_COLUMNS


def _digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_same_seed_same_bytes(tmp_path: Path, estate) -> None:
    a = finops.generate(estate, tmp_path / "a", end=date(2026, 3, 31), days=10, seed=3)
    b = finops.generate(estate, tmp_path / "b", end=date(2026, 3, 31), days=10, seed=3)
    c = finops.generate(estate, tmp_path / "c", end=date(2026, 3, 31), days=10, seed=4)
    assert [_digest(f) for f in a.files] == [_digest(f) for f in b.files]
    assert _digest(a.utilisation) == _digest(b.utilisation)
    assert [_digest(f) for f in a.files] != [_digest(f) for f in c.files]


def test_shape_of_generated_data(generated: finops.GenerateResult) -> None:
    for f in generated.files:
        cols = [d[0] for d in duckdb.execute(f"SELECT * FROM '{f}' LIMIT 0").description]
        assert set(MANDATORY_COLUMNS) <= set(cols) and "x_TradeplaneSynthetic" in cols
    aws = next(f for f in generated.files if "aws-" in f)
    gcp = next(f for f in generated.files if "gcp-" in f)
    assert {"x_ServiceCode", "x_UsageType"} <= {d[0] for d in duckdb.execute(f"SELECT * FROM '{aws}' LIMIT 0")
                                                .description}
    assert "x_Credits" in {d[0] for d in duckdb.execute(f"SELECT * FROM '{gcp}' LIMIT 0").description}
    aws_files = [f for f in generated.files if "aws-" in f]
    assert [Path(f).name for f in aws_files] == ["aws-focus-2026-08-25.parquet", "aws-focus-2026-09-01.parquet",
                                                 "aws-focus-2026-10-01.parquet", "aws-focus-2026-11-01.parquet"]
    (days,), = duckdb.execute(f"SELECT count(DISTINCT CAST(ChargePeriodStart AS DATE)) FROM read_parquet({aws_files!r})"
                              ).fetchall()
    assert days == 92


def test_hourly_slices_multiply_rows(tmp_path: Path, estate) -> None:
    daily = finops.generate(estate, tmp_path / "d", end=date(2026, 3, 31), days=2, seed=1)
    hourly = finops.generate(estate, tmp_path / "h", end=date(2026, 3, 31), days=2, seed=1, slices=24)
    assert hourly.rows > 20 * daily.rows
    tot = [duckdb.execute(f"SELECT sum(ListCost) FROM read_parquet({r.files!r})").fetchall()[0][0]
           for r in (daily, hourly)]
    assert tot[0] == pytest.approx(tot[1], rel=0.01)


def test_bad_options(tmp_path: Path, estate) -> None:
    with pytest.raises(InputError):
        finops.generate(estate, tmp_path, end=date(2026, 3, 31), slices=5)
    with pytest.raises(InputError):
        finops.generate(estate, tmp_path, end=date(2026, 3, 31), fmt="xlsx")
