from __future__ import annotations

from pathlib import Path

import pytest

from tradeplane import finops
from tradeplane.errors import ConfigError
from tradeplane.finops.allocation_rules import load_rules


def _q(s: finops.CostSession, sql: str) -> list[tuple]:
    return s.con.execute(sql).fetchall()


def test_allocation_conserves_cost(session: finops.CostSession) -> None:
    (alloc,), = _q(session, "SELECT round(sum(cost), 6) FROM allocated")
    (billed,), = _q(session, "SELECT round(sum(effective_cost), 6) FROM billing")
    assert alloc == pytest.approx(billed, abs=1e-6)
    # and per day
    bad = _q(session, """SELECT a.day FROM (SELECT day, sum(cost) c FROM allocated GROUP BY day) a
                         JOIN (SELECT day, sum(effective_cost) c FROM billing GROUP BY day) b USING (day)
                         WHERE abs(a.c - b.c) > 1e-6""")
    assert bad == []


def test_methods_and_desks(session: finops.CostSession, estate) -> None:
    desks = {r[0] for r in _q(session, "SELECT DISTINCT desk FROM allocated")}
    assert desks == {d.name for d in estate.desks} | {"unallocated"}
    methods = {r[0] for r in _q(session, "SELECT DISTINCT method FROM allocated")}
    assert {"tag", "account", "unallocated", "shared:fixed", "shared:even", "shared:by_usage",
            "shared:proportional"} <= methods
    assert "shared:unsplit" not in methods


def test_fixed_shares_are_exact(session: finops.CostSession) -> None:
    rows = dict(_q(session, "SELECT desk, sum(cost) FROM allocated WHERE rule = 'direct-connect' GROUP BY desk"))
    total = sum(rows.values())
    assert rows["equities"] / total == pytest.approx(0.5)
    assert rows["research"] / total == pytest.approx(0.15)
    assert "crypto" not in rows


def test_even_split(session: finops.CostSession) -> None:
    rows = dict(_q(session, "SELECT desk, sum(cost) FROM allocated WHERE rule = 'nat' GROUP BY desk"))
    assert set(rows) == {"equities", "futures", "research", "platform"}
    values = list(rows.values())
    assert max(values) == pytest.approx(min(values))


def test_by_usage_follows_consumed_gb(session: finops.CostSession) -> None:
    # Research sends the most GB through the transit gateway, so it carries the largest share.
    rows = dict(_q(session, "SELECT desk, sum(cost) FROM allocated WHERE rule = 'transit-gateway' GROUP BY desk"))
    gb = dict(_q(session, """SELECT tag_desk, sum(consumed_qty) FROM billing
                             WHERE resource_type = 'TransitGatewayAttachment' AND consumed_unit = 'GB'
                               AND tag_desk IS NOT NULL GROUP BY tag_desk"""))
    total_cost, total_gb = sum(rows.values()), sum(gb.values())
    for desk, g in gb.items():
        assert rows[desk] / total_cost == pytest.approx(g / total_gb, rel=1e-3)


def test_proportional_support(session: finops.CostSession) -> None:
    rows = dict(_q(session, "SELECT desk, sum(cost) FROM allocated WHERE rule = 'support' GROUP BY desk"))
    assert set(rows) <= {"equities", "futures", "crypto", "research", "platform"}
    assert len(rows) == 5


def test_unallocated_is_accounts_without_desk(session: finops.CostSession) -> None:
    accounts = {r[0] for r in _q(session, """SELECT DISTINCT b.sub_account FROM billing b
        WHERE (b.tag_desk IS NULL) AND b.sub_account IN ('111111111112', '111111111113')""")}
    assert accounts == {"111111111112", "111111111113"}
    (n,), = _q(session, "SELECT count(*) FROM allocated WHERE desk = 'unallocated' AND method <> 'unallocated'")
    assert n == 0


def test_rules_name_unknown_desk(tmp_path: Path, estate) -> None:
    p = tmp_path / "rules.yaml"
    p.write_text("shared:\n  - name: dx\n    match: {service: [AWS Direct Connect]}\n    split: fixed\n"
                 "    shares: {equities: 0.5, options: 0.5}\n")
    rules = load_rules(p)
    with pytest.raises(ConfigError) as exc:
        rules.check(estate)
    assert "options" in str(exc.value) and str(p) in str(exc.value)


def test_rules_shares_must_sum_to_one(tmp_path: Path) -> None:
    p = tmp_path / "rules.yaml"
    p.write_text("shared:\n  - name: dx\n    match: {service: [x]}\n    split: fixed\n    shares: {equities: 0.7}\n")
    with pytest.raises(ConfigError, match="sum to 1"):
        load_rules(p)


def test_no_shared_rules_keeps_everything_direct(estate, generated) -> None:
    rules = finops.AllocationRules(cost="billed")
    with finops.open_session(estate, generated.files, rules=rules) as s:
        methods = {r[0] for r in s.con.execute("SELECT DISTINCT method FROM allocated").fetchall()}
        assert not any(m.startswith("shared") for m in methods)
        (a,), = s.con.execute("SELECT round(sum(cost), 6) FROM allocated").fetchall()
        (b,), = s.con.execute("SELECT round(sum(billed_cost), 6) FROM billing").fetchall()
        assert a == pytest.approx(b)


def test_data_larger_than_the_memory_limit(tmp_path: Path, estate) -> None:
    """Over 200k hourly rows (well over 100 MB as rows) allocate under a 40 MB DuckDB limit: scanned, not loaded."""
    from datetime import date

    res = finops.generate(estate, tmp_path, end=date(2026, 2, 14), days=14, slices=24, scale=6, inject=False)
    assert res.rows > 200_000
    with finops.open_session(estate, res.files, db=finops.BillingDbConfig(memory_limit="40MB")) as s:
        (a,), = s.con.execute("SELECT round(sum(cost), 4) FROM allocated").fetchall()
        (b,), = s.con.execute("SELECT round(sum(effective_cost), 4) FROM billing").fetchall()
        (limit,), = s.con.execute("SELECT current_setting('memory_limit')").fetchall()
    assert a == pytest.approx(b) and limit.startswith(("38", "40"))


def test_rules_per_estate(estate) -> None:
    rules = finops.default_rules(estate)
    assert rules.source.startswith("estate dv-trading: cost_allocation (") and "cost-allocation.yaml:" in rules.source
    assert rules.shared == estate.cost_allocation.shared
    assert [r.split for r in rules.shared] == ["by_usage", "fixed", "fixed", "even", "proportional"]
    generic = finops.default_rules()
    assert generic.source.endswith("config/allocation.yaml")
    assert all(not r.desks and not r.shares and not r.match.accounts for r in generic.shared)


def test_generic_rules_fit_another_estate(tmp_path: Path) -> None:
    from datetime import date

    from tradeplane import estate as est

    small = est.load(Path(__file__).resolve().parents[2] / "examples" / "small")
    res = finops.generate(small, tmp_path, end=date(2026, 11, 24), days=40, seed=2)
    with finops.open_session(small, res.files) as s:
        assert s.rules.source.endswith("config/allocation.yaml")
        (a,), = s.con.execute("SELECT round(sum(cost), 4) FROM allocated").fetchall()
        (b,), = s.con.execute("SELECT round(sum(effective_cost), 4) FROM billing").fetchall()
        assert a == pytest.approx(b)
        desks = {r[0] for r in s.con.execute("SELECT DISTINCT desk FROM allocated").fetchall()}
        assert desks <= {d.name for d in small.desks} | {"unallocated"}


def test_estate_cost_allocation_is_validated_where_it_is_written() -> None:
    from tradeplane import estate as est
    from tradeplane.errors import EstateError

    text = (Path(__file__).resolve().parents[2] / "examples/small/estate.yaml").read_text(encoding="utf-8")
    bad = text + """
cost_allocation:
  shared:
    - {name: dx, match: {service: [AWS Direct Connect]}, split: fixed, shares: {futures: 0.5, options: 0.5}}
    - {name: nat, match: {accounts: [nope]}, split: even, desks: [futures]}
    - {name: sup, match: {service: [Support]}, split: even, shares: {futures: 1.0}}
"""
    with pytest.raises(EstateError) as info:
        est.load_text(bad, "small.yaml")
    got = sorted(f"{p.location.line if p.location else '?'} {p.field}: {p.message}" for p in info.value.problems)
    assert any("'shares' is for split 'fixed', not 'even'" in g for g in got)
    fixed = bad.replace("    - {name: sup, match: {service: [Support]}, split: even, shares: {futures: 1.0}}\n", "")
    with pytest.raises(EstateError) as info:
        est.load_text(fixed, "small.yaml")
    got = sorted(f"{p.field}: {p.message}" for p in info.value.problems)
    assert got == ["cost_allocation.shared[0].shares: unknown desk 'options'",
                   "cost_allocation.shared[1].match.accounts: unknown AWS account or GCP project 'nope'"]
    assert all(p.location is not None and p.location.line > 60 for p in info.value.problems)
