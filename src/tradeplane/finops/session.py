"""One analysis session: billing files validated, registered and allocated on a bounded DuckDB."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tradeplane.errors import UnsupportedError
from tradeplane.estate import Estate
from tradeplane.finops.allocation import allocate
from tradeplane.finops.engine import EngineConfig, connect
from tradeplane.finops.focus import Billing, open_billing
from tradeplane.finops.rules import AllocationRules, default_rules

__all__ = ["CostSession", "open_session"]


@dataclass
class CostSession:
    con: duckdb.DuckDBPyConnection
    estate: Estate
    billing: Billing
    rules: AllocationRules
    allocated_rows: int

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> CostSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_session(estate: Estate, paths: Sequence[str | Path], *, rules: AllocationRules | None = None,
                 engine: EngineConfig | None = None, check: bool = True) -> CostSession:
    """Validate the FOCUS files, create the ``billing`` view and the ``allocated`` table."""
    r = rules or default_rules(estate)
    r.check(estate)
    con = connect(engine)
    try:
        billing = open_billing(con, paths, check=check, required_tags=estate.tags.required,
                               allowed_envs=estate.tags.allowed_envs)
        n = allocate(con, estate, r)
    except duckdb.OutOfMemoryException as exc:
        con.close()
        limit = (engine or EngineConfig()).memory_limit
        raise UnsupportedError.single(f"the allocation needs more memory than the {limit} limit: "
                                      f"{str(exc).splitlines()[0]}", field="memory_limit",
                                      hint="raise --memory-limit; DuckDB spills to disk above it") from None
    except BaseException:
        con.close()
        raise
    return CostSession(con, estate, billing, r, n)
