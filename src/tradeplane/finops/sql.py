"""The allocation query for warehouses: BigQuery (GCP FOCUS export) and Athena (AWS FOCUS export).

Firms whose billing outgrows one machine run the same allocation where the data
lives. The allocation itself (``allocation.allocation_sql``) is transpiled from
DuckDB with sqlglot. Only reading the provider's own table differs (the tag
shapes, see ``focus``), so each target gets a small hand-written normaliser in its
own dialect, prepended as the CTE ``focus_normalised``. The result is parsed back
with sqlglot in the target dialect before it is returned.
"""

from __future__ import annotations

import sqlglot
from sqlglot.errors import ParseError

from tradeplane.errors import UnsupportedError
from tradeplane.estate import Estate
from tradeplane.finops.allocation import allocation_sql
from tradeplane.finops.allocation_rules import AllocationRules
from tradeplane.finops.focus import TAG_KEYS, tag_key_names

__all__ = ["DIALECTS", "warehouse_sql"]

DIALECTS = {"bigquery": "bigquery", "athena": "athena", "trino": "trino", "duckdb": "duckdb"}
DEFAULT_TABLES = {
    "bigquery": "billing-project.gcp_billing_immutable_ACCOUNT_us.gcp_billing_export_focus_ACCOUNT",
    "athena": "cur.focus_1_2_aws",
    "trino": "cur.focus_1_2_aws",
    "duckdb": "focus",
}

_COMMON = """CAST(ChargePeriodStart AS DATE) AS day, {provider} AS provider,
    COALESCE(SubAccountId, BillingAccountId) AS sub_account, ServiceName AS service,
    ServiceCategory AS service_category, ResourceType AS resource_type, ChargeDescription AS description,
    ChargeFrequency AS charge_frequency, UPPER(BillingCurrency) AS currency,
    CAST(ConsumedQuantity AS DOUBLE) AS consumed_qty, ConsumedUnit AS consumed_unit,
    CAST(EffectiveCost AS DOUBLE) AS effective_cost, CAST(BilledCost AS DOUBLE) AS billed_cost,
    CAST(ListCost AS DOUBLE) AS list_cost"""


def _normaliser(dialect: str, table: str, estate: Estate) -> str:
    """Each warehouse reads tag keys as tradeplane does: the schema's keys and aliases, case-insensitively,
    AWS's ``user:`` prefix dropped, ``_`` as ``-``."""
    names = tag_key_names(estate.tags.aliases)
    tags = []
    if dialect == "bigquery":
        common = _COMMON.replace("DOUBLE", "FLOAT64").format(provider="'gcp'")
        for k in TAG_KEYS:
            inlist = ", ".join(f"'{x}'" for x in names[k])
            tags.append(f"LOWER((SELECT t.value FROM UNNEST(Tags) AS t WHERE REPLACE(REGEXP_REPLACE(LOWER(t.key), "
                        f"'^user:', ''), '_', '-') IN ({inlist}) LIMIT 1)) AS tag_{k.replace('-', '_')}")
        return f"SELECT {common},\n    " + ",\n    ".join(tags) + f"\n  FROM `{table}`"
    if dialect in ("athena", "trino"):
        common = _COMMON.format(provider="'aws'")
        for k in TAG_KEYS:
            inlist = ", ".join(f"'{x}'" for x in names[k])
            tags.append(f"LOWER(element_at(map_values(map_filter(Tags, (k, v) -> REPLACE(REGEXP_REPLACE(LOWER(k), "
                        f"'^user:', ''), '_', '-') IN ({inlist}))), 1)) AS tag_{k.replace('-', '_')}")
        return f"SELECT {common},\n    " + ",\n    ".join(tags) + f"\n  FROM {table}"
    common = _COMMON.format(provider="CASE WHEN lower(ProviderName) LIKE '%amazon%' THEN 'aws' "
                                     "WHEN lower(ProviderName) LIKE '%google%' THEN 'gcp' ELSE lower(ProviderName) END")
    for k in TAG_KEYS:
        inlist = ", ".join(f"'{x}'" for x in names[k])
        tags.append(f"LOWER(list_filter(map_entries(Tags), lambda t: replace(regexp_replace(lower(t.key), "
                    f"'^user:', ''), '_', '-') IN ({inlist}))[1].value) AS tag_{k.replace('-', '_')}")
    return f"SELECT {common},\n    " + ",\n    ".join(tags) + f"\n  FROM {table}"


def warehouse_sql(estate: Estate, rules: AllocationRules, dialect: str, table: str | None = None) -> str:
    """The full allocation query for ``dialect`` over the provider's FOCUS ``table``."""
    if dialect not in DIALECTS:
        raise UnsupportedError.single(f"no SQL dialect '{dialect}'", hint="dialects: " + ", ".join(sorted(DIALECTS)))
    write = DIALECTS[dialect]
    core = sqlglot.transpile(allocation_sql(estate, rules, "focus_normalised"), read="duckdb", write=write,
                             pretty=True)[0]
    assert core.startswith("WITH ")
    norm = _normaliser(dialect, table or DEFAULT_TABLES[dialect], estate)
    text = f"WITH focus_normalised AS (\n  {norm}\n),\n{core[len('WITH '):]}\n"
    try:
        sqlglot.parse_one(text, read=write)
    except ParseError as exc:  # a bug of ours, not the user's
        raise UnsupportedError.single(f"the {dialect} allocation query does not parse: {exc}") from None
    header = (f"-- tradeplane cost allocation for {dialect} over the FOCUS table {table or DEFAULT_TABLES[dialect]}\n"
              f"-- estate {estate.name}; cost basis {rules.cost}; shared rules: "
              + (", ".join(f"{r.name} ({r.split})" for r in rules.shared) or "none") + "\n")
    return header + text
