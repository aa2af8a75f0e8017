from __future__ import annotations

import duckdb
import pytest
import sqlglot

from tradeplane import finops
from tradeplane.errors import UnsupportedError


@pytest.mark.parametrize("dialect", ["bigquery", "athena", "trino"])
@pytest.mark.parametrize("generic", [True, False])
def test_transpiled_sql_parses(estate, dialect: str, generic: bool) -> None:
    rules = finops.default_rules() if generic else finops.default_rules(estate)
    text = finops.warehouse_sql(estate, rules, dialect)
    tree = sqlglot.parse_one(text, read=dialect)
    assert tree is not None
    if dialect == "bigquery":
        assert "UNNEST(Tags)" in text and "`" in text
    else:
        # Tag keys are read case-insensitively with the user: prefix dropped, aliases from the estate.
        assert "map_filter(Tags" in text and "'^user:'" in text and "'environment'" in text


def test_warehouse_sql_matches_the_engine(estate, generated) -> None:
    """The duckdb rendering of the warehouse query gives the engine's allocation on the AWS export."""
    aws = [f for f in generated.files if "aws-" in f]
    con = duckdb.connect()
    con.execute(f"CREATE VIEW focus AS SELECT * FROM read_parquet({aws!r})")
    text = finops.warehouse_sql(estate, finops.default_rules(estate), "duckdb", "focus")
    query = "SELECT provider || '/' || desk || '/' || method, round(sum(cost), 4) FROM ({}) GROUP BY 1"
    ours = dict(con.execute(query.format(text)).fetchall())
    with finops.open_session(estate, aws) as s:
        engine = dict(s.con.execute(query.format("SELECT * FROM allocated")).fetchall())
    assert set(ours) == set(engine) and ours == pytest.approx(engine)


def test_unknown_dialect(estate) -> None:
    with pytest.raises(UnsupportedError, match="dialect"):
        finops.warehouse_sql(estate, finops.default_rules(), "oracle")
