"""The billing database: the local DuckDB every billing query runs on (bounded memory, spill to disk,
streaming scans of the FOCUS files where they lie).

DuckDB reads Parquet and CSV files itself, in row groups, so billing data larger
than memory is scanned rather than loaded. Nothing here pulls a whole file into
Python: results that reach Python are aggregates.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass

import duckdb

from tradeplane.errors import ConfigError

DEFAULT_MEMORY_LIMIT = "2GB"


@dataclass(frozen=True)
class BillingDbConfig:
    """Memory limit (a DuckDB size, e.g. ``2GB``), worker threads and spill directory of the billing database."""

    memory_limit: str = DEFAULT_MEMORY_LIMIT
    threads: int = 2
    temp_directory: str | None = None


def connect(config: BillingDbConfig | None = None) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB with a memory limit and a spill directory."""
    cfg = config or BillingDbConfig()
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"SET memory_limit = {quote(cfg.memory_limit)}")
    except duckdb.Error:
        con.close()
        raise ConfigError.single(f"memory limit '{cfg.memory_limit}' is not a size", field="memory_limit",
                                 hint="write e.g. 2GB or 512MB") from None
    con.execute(f"SET threads = {int(cfg.threads)}")
    con.execute(f"SET temp_directory = '{cfg.temp_directory or tempfile.gettempdir()}/tradeplane-duckdb'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET TimeZone = 'UTC'")
    return con


def quote(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"
