from __future__ import annotations

from datetime import date

from tradeplane import finops


def test_injected_anomalies_are_found_with_start_and_drivers(session: finops.CostSession,
                                                             generated: finops.GenerateResult) -> None:
    found = finops.find_anomalies(session.con, session.estate, session.rules)
    for inj in generated.anomalies:
        match = [a for a in found if a.desk == inj.desk and a.service == inj.service]
        assert match, f"missed {inj}"
        a = match[0]
        assert a.start == date.fromisoformat(inj.start)
        assert a.ongoing and a.excess > 0
        top = {d.resource_id for d in a.drivers[: len(inj.resources)]}
        assert top == set(inj.resources)
    # Nothing else stands out in clean data.
    injected = {(i.desk, i.service) for i in generated.anomalies}
    assert {(a.desk, a.service) for a in found} == injected


def test_clean_data_has_no_anomalies(tmp_path, estate) -> None:
    res = finops.generate(estate, tmp_path, end=date(2026, 11, 24), days=70, seed=11, inject=False)
    with finops.open_session(estate, res.files) as s:
        assert finops.find_anomalies(s.con, s.estate, s.rules) == []


def test_weekend_dips_are_not_anomalies(session: finops.CostSession) -> None:
    # Research scales down at weekends; a strict threshold still flags only the injected episode.
    strict = finops.AnomalySettings(days=60, k=3.0, min_relative=0.1, min_absolute=20.0)
    found = finops.find_anomalies(session.con, session.estate, session.rules, strict)
    research = [a for a in found if a.desk == "research" and a.service == "Amazon Elastic Compute Cloud"]
    assert len(research) == 1
