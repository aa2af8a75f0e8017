from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tradeplane import finops
from tradeplane.errors import InputError
from tradeplane.finops.rightsizing import smaller_type


def _report(s: finops.CostSession) -> finops.CommitmentReport:
    return finops.commitment_report(s.con, s.estate, since=date(2026, 11, 1), until=date(2026, 11, 24))


def test_utilisation_matches_the_generated_commitments(session: finops.CostSession,
                                                       generated: finops.GenerateResult) -> None:
    rep = _report(session)
    by_id = {c.id: c for c in rep.commitments}
    assert set(by_id) == {p["id"] for p in generated.commitments}
    for plan in generated.commitments:
        c = by_id[plan["id"]]
        assert c.desk == plan["desk"] and c.savings > 0
        if plan["desk"] in ("equities", "crypto", "futures"):  # 24x7 fleets: utilisation is the target
            assert c.utilisation == pytest.approx(plan["target_utilisation"], abs=0.01)
    research = next(c for c in rep.commitments if c.desk == "research")
    assert research.utilisation < 0.64  # weekend scale-down leaves the RI idle


def test_coverage(session: finops.CostSession) -> None:
    rep = _report(session)
    cov = {(c.provider, c.desk): c for c in rep.coverage}
    assert cov[("aws", "equities")].coverage == pytest.approx(1.0)
    assert cov[("aws", "platform")].coverage == 0.0
    aws = cov[("aws", "*")]
    assert aws.eligible == pytest.approx(sum(c.eligible for (p, d), c in cov.items() if p == "aws" and d != "*"))
    assert 0 < cov[("gcp", "*")].coverage < 1


def test_rightsizing_hints(session: finops.CostSession, generated: finops.GenerateResult) -> None:
    hints = finops.rightsizing_hints(session.con, generated.utilisation)
    kinds = {(h.machine_type, h.suggestion) for h in hints}
    assert ("m6i.8xlarge", "m6i.4xlarge") in kinds  # research batch at ~30 % p95 CPU
    assert ("m6i.4xlarge", "stop") in kinds  # the untagged build box is idle
    assert all(h.monthly_saving > 0 for h in hints)
    assert not any(h.machine_type.startswith("c6in.8xlarge") for h in hints)  # busy order gateways


def test_smaller_type() -> None:
    assert smaller_type("aws", "c6in.8xlarge") == "c6in.4xlarge"
    assert smaller_type("aws", "c6i.large") is None
    assert smaller_type("gcp", "n2-standard-16") == "n2-standard-8"
    assert smaller_type("gcp", "n2-node-80-640") is None


def test_bad_utilisation_file(session: finops.CostSession, tmp_path: Path) -> None:
    p = tmp_path / "u.csv"
    p.write_text("date,resource_id,provider,region,machine_type,cpu_avg_pct,cpu_p95_pct,mem_p95_pct\n"
                 "2026-11-01,i-1,aws,us-east-1,m6i.large,1,2,3\n2026-11-02,i-1,aws,us-east-1,m6i.large,1,lots,3\n")
    with pytest.raises(InputError) as exc:
        finops.rightsizing_hints(session.con, p)
    prob = exc.value.problems[0]
    assert prob.field == "cpu_p95_pct" and prob.location is not None and prob.location.line == 3
    q = tmp_path / "v.csv"
    q.write_text("date,resource_id\n2026-11-01,i-1\n")
    with pytest.raises(InputError, match="lacks column"):
        finops.rightsizing_hints(session.con, q)
