"""Allocation: every billing row to a desk, team, workload and environment; shared costs split by rule.

The allocation is one SQL query over the normalised ``billing`` relation (see
``focus.NORMALISED_COLUMNS``), written in plain SQL (CTEs, CASE, window sums) so
that ``tradeplane.finops.sql`` can transpile it unchanged to BigQuery and Athena.
The estate contributes the desk names, the account -> desk map and the workload
-> team map, inlined as CASE expressions: the query needs no other tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from tradeplane.estate import Estate
from tradeplane.finops.allocation_rules import AllocationRules, Match, account_ids
from tradeplane.finops.billing_db import quote

__all__ = ["ALLOCATED_COLUMNS", "UNALLOCATED", "AllocationMaps", "allocate", "allocation_sql", "desk_expr", "maps_of", "shared_rule_expr"]

UNALLOCATED = "unallocated"
ALLOCATED_COLUMNS = ("day", "provider", "desk", "team", "workload", "env", "service", "service_category",
                     "method", "rule", "frequency", "currency", "cost", "list_cost")


@dataclass(frozen=True)
class AllocationMaps:
    desks: tuple[str, ...]
    teams: tuple[str, ...]
    envs: tuple[str, ...]
    account_desk: tuple[tuple[str, str], ...]
    account_env: tuple[tuple[str, str], ...]
    workload_team: tuple[tuple[str, str], ...]
    accounts: dict[str, str]


def maps_of(estate: Estate) -> AllocationMaps:
    org = estate.organisation
    acct_desk: list[tuple[str, str]] = []
    acct_env: list[tuple[str, str]] = []
    if org.aws:
        for ou in org.aws.ous:
            for a in ou.accounts:
                acct_env.append((a.account_id, a.env))
                if a.desk:
                    acct_desk.append((a.account_id, a.desk))
    if org.gcp:
        for p in org.gcp.projects:
            acct_env.append((p.project_id, p.env))
            if p.desk:
                acct_desk.append((p.project_id, p.desk))
    return AllocationMaps(
        desks=tuple(sorted(d.name for d in estate.desks)),
        teams=tuple(sorted({t for d in estate.desks for t in d.teams})),
        envs=tuple(sorted(set(estate.tags.allowed_envs))),
        account_desk=tuple(sorted(acct_desk)),
        account_env=tuple(sorted(acct_env)),
        workload_team=tuple(sorted((w.name, w.team) for w in estate.workloads)),
        accounts=account_ids(estate),
    )


def _in(column: str, values: tuple[str, ...] | list[str]) -> str:
    if not values:
        return "FALSE"
    return f"{column} IN ({', '.join(quote(v) for v in values)})"


def _case(column: str, pairs: tuple[tuple[str, str], ...]) -> str:
    if not pairs:
        return "CAST(NULL AS VARCHAR)"
    whens = " ".join(f"WHEN {quote(k)} THEN {quote(v)}" for k, v in pairs)
    return f"CASE {column} {whens} END"


def _match(m: Match, maps: AllocationMaps) -> str:
    conds = []
    if m.service:
        conds.append(_in("service", m.service))
    if m.resource_type:
        conds.append(_in("resource_type", m.resource_type))
    if m.description_like:
        conds.append("(" + " OR ".join(f"description LIKE {quote(p)}" for p in m.description_like) + ")")
    if m.accounts:
        conds.append(_in("sub_account", [maps.accounts.get(a, a) for a in m.accounts]))
    if m.unit:
        conds.append(f"consumed_unit = {quote(m.unit)}")
    return "(" + " AND ".join(conds) + ")"


def desk_expr(estate: Estate, *, by_tag: bool = True) -> str:
    """SQL giving a normalised row's desk: by its desk tag when the tag names a desk of the estate
    (``by_tag``), else by the desk of its account or project (NULL when neither).

    The one desk rule of every billing query (allocation, anomaly drivers, commitments, untagged spend).
    """
    m = maps_of(estate)
    account = _case('sub_account', m.account_desk)
    if not by_tag:
        return account
    return f"CASE WHEN {_in('tag_desk', m.desks)} THEN tag_desk ELSE {account} END"


def shared_rule_expr(estate: Estate, rules: AllocationRules) -> str:
    """SQL naming the shared-cost rule a normalised row falls under (NULL when none)."""
    if not rules.shared:
        return "CAST(NULL AS VARCHAR)"
    m = maps_of(estate)
    whens = " ".join(f"WHEN {_match(r.match, m)} THEN {quote(r.name)}" for r in rules.shared)
    return f"CASE {whens} END"


def allocation_sql(estate: Estate, rules: AllocationRules, source: str = "billing") -> str:
    """The allocation query (DuckDB dialect, portable constructs only) over the normalised ``source``."""
    m = maps_of(estate)
    cost = "effective_cost" if rules.cost == "effective" else "billed_cost"
    desk = desk_expr(estate)
    method = (f"CASE WHEN {_in('tag_desk', m.desks)} THEN 'tag' "
              f"WHEN {_in('sub_account', [a for a, _ in m.account_desk])} THEN 'account' "
              f"ELSE '{UNALLOCATED}' END")
    team = (f"COALESCE(CASE WHEN {_in('tag_team', m.teams)} THEN tag_team END, "
            f"{_case('tag_workload', m.workload_team)}, 'unassigned')")
    env = (f"COALESCE(CASE WHEN {_in('tag_env', m.envs)} THEN tag_env END, "
           f"{_case('sub_account', m.account_env)}, 'unknown')")
    shared_case = shared_rule_expr(estate, rules)
    usage_rules = [r for r in rules.shared if r.split == "by_usage" and r.usage is not None]
    usage_cols = "".join(
        f",\n    SUM(CASE WHEN {_match(r.usage, m)} THEN COALESCE(consumed_qty, 0) ELSE 0 END) AS usage_{i}"
        for i, r in enumerate(usage_rules) if r.usage is not None)
    weights: list[str] = []
    for r in rules.shared:
        name = quote(r.name)
        if r.split == "proportional":
            only = f" AND {_in('desk', list(r.desks))}" if r.desks else ""
            # Weighed by direct spend in the pool's own currency: amounts of two currencies never meet.
            weights.append(f"SELECT day, {name} AS rule, currency, desk, SUM(cost) AS w FROM direct "
                           f"WHERE desk IS NOT NULL{only} GROUP BY day, currency, desk")
        elif r.split == "by_usage":
            i = usage_rules.index(r)
            weights.append(f"SELECT day, {name} AS rule, CAST(NULL AS VARCHAR) AS currency, desk, "
                           f"SUM(usage_{i}) AS w FROM base "
                           f"WHERE desk IS NOT NULL GROUP BY day, desk")
        else:
            pairs = (sorted(r.shares.items()) if r.split == "fixed"
                     else [(d, 1.0) for d in (r.desks or m.desks)])
            values = " UNION ALL ".join(f"SELECT {quote(d)} AS desk, {float(w)!r} AS w" for d, w in pairs)
            weights.append(f"SELECT p.day, {name} AS rule, CAST(NULL AS VARCHAR) AS currency, v.desk, v.w FROM "
                           f"(SELECT DISTINCT day FROM pool WHERE rule = {name}) p "
                           f"CROSS JOIN ({values}) v")
    weights_sql = " UNION ALL ".join(weights) if weights else \
        "SELECT CAST(NULL AS DATE) AS day, CAST(NULL AS VARCHAR) AS rule, CAST(NULL AS VARCHAR) AS currency, " \
        "CAST(NULL AS VARCHAR) AS desk, " \
        "CAST(NULL AS DOUBLE) AS w FROM (SELECT 1 AS x) z WHERE 1 = 0"
    split_of = " ".join(f"WHEN {quote(r.name)} THEN {quote('shared:' + r.split)}" for r in rules.shared)
    split_case = f"CASE p.rule {split_of} END" if rules.shared else "'shared'"
    # ``tagged`` is read once and aggregated at once (a streaming hash aggregate), so ``base``, which the
    # later steps read several times, is small whatever the size of the billing data.
    uses_description = any(r.match.description_like or (r.usage is not None and r.usage.description_like)
                           for r in rules.shared)
    description = "description" if uses_description else "CAST(NULL AS VARCHAR)"
    # ``pre`` sums the rows that agree on every column the allocation reads (a streaming hash aggregate),
    # so the CASE expressions below run once per group, not once per billing row.
    return f"""WITH pre AS (
  SELECT day, provider, service, service_category, consumed_unit, resource_type, {description} AS description,
    sub_account, charge_frequency, currency, tag_desk, tag_team, tag_env, tag_workload,
    SUM(COALESCE(consumed_qty, 0)) AS consumed_qty, SUM(COALESCE({cost}, 0)) AS {cost},
    SUM(COALESCE(list_cost, 0)) AS list_cost
  FROM {source}
  GROUP BY day, provider, service, service_category, consumed_unit, resource_type,{" description," if uses_description else ""}
    sub_account, charge_frequency, currency, tag_desk, tag_team, tag_env, tag_workload
),
tagged AS (
  SELECT day, provider, service, service_category, consumed_qty, consumed_unit, resource_type, description,
    sub_account, charge_frequency, currency,
    {desk} AS desk,
    {method} AS method,
    {team} AS team,
    COALESCE(tag_workload, '(none)') AS workload,
    {env} AS env,
    {shared_case} AS rule,
    COALESCE(charge_frequency, 'Usage-Based') AS frequency,
    {cost} AS cost,
    list_cost
  FROM pre
),
base AS (
  SELECT day, provider, service, service_category, desk, method, team, workload, env, rule, frequency, currency,
    SUM(cost) AS cost, SUM(list_cost) AS list_cost{usage_cols}
  FROM tagged
  GROUP BY day, provider, service, service_category, desk, method, team, workload, env, rule, frequency, currency
),
direct AS (
  SELECT day, provider, desk, team, workload, env, service, service_category, method, frequency, currency, cost,
    list_cost
  FROM base WHERE rule IS NULL
),
pool AS (
  SELECT day, provider, service, service_category, rule, frequency, currency, SUM(cost) AS cost,
    SUM(list_cost) AS list_cost
  FROM base WHERE rule IS NOT NULL
  GROUP BY day, provider, service, service_category, rule, frequency, currency
),
weights AS ({weights_sql}),
shares AS (
  SELECT day, rule, currency, desk, w / SUM(w) OVER (PARTITION BY day, rule, currency) AS share
  FROM (SELECT day, rule, currency, desk, SUM(w) AS w FROM weights GROUP BY day, rule, currency, desk) x
  WHERE w > 0
)
SELECT day, provider, COALESCE(desk, '{UNALLOCATED}') AS desk, team, workload, env, service, service_category,
  method, CAST(NULL AS VARCHAR) AS rule, frequency, currency, SUM(cost) AS cost, SUM(list_cost) AS list_cost
FROM direct
GROUP BY day, provider, COALESCE(desk, '{UNALLOCATED}'), team, workload, env, service, service_category, method,
  frequency, currency
UNION ALL
SELECT p.day, p.provider, COALESCE(s.desk, '{UNALLOCATED}') AS desk, 'shared' AS team, '(shared)' AS workload,
  'shared' AS env, p.service, p.service_category,
  CASE WHEN s.desk IS NULL THEN 'shared:unsplit' ELSE {split_case} END AS method, p.rule, p.frequency, p.currency,
  p.cost * COALESCE(s.share, 1.0) AS cost, p.list_cost * COALESCE(s.share, 1.0) AS list_cost
FROM pool p LEFT JOIN shares s ON s.day = p.day AND s.rule = p.rule
  AND (s.currency IS NULL OR s.currency = p.currency)"""


def allocate(con: duckdb.DuckDBPyConnection, estate: Estate, rules: AllocationRules,
             *, table: str = "allocated", source: str = "billing") -> int:
    """Materialise the allocation of ``source`` as ``table``; return its row count."""
    rules.check(estate)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {allocation_sql(estate, rules, source)}")
    n = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(n[0]) if n else 0
