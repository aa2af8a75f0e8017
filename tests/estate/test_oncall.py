"""On-call contacts, rotations and escalation policies: validation and located reference errors."""

from __future__ import annotations

import pytest

from tradeplane import estate as est
from tradeplane.errors import EstateError

BASE = """
name: t
desks:
  - {name: crypto, owner: a@x.example, cost_centre: C1, teams: [crypto-infra]}
  - {name: platform, owner: b@x.example, cost_centre: C2, teams: [network]}
oncall:
  infrastructure_desk: platform
  contacts:
    - {name: ann, email: ann@x.example, timezone: Europe/London, quiet_hours: {start: "23:00", end: "07:00"}}
  rotations:
    - {team: crypto-infra, members: [ann], start: "2026-01-05T09:00:00+00:00"}
  policies:
    - desk: crypto
      levels:
        - {notify: ["oncall:crypto-infra"], timeout_minutes: 5}
"""


def test_reference_estate_has_a_policy_per_desk(reference_estate: est.Estate) -> None:
    oc = reference_estate.oncall
    assert oc.infrastructure_desk == "platform"
    assert {p.desk for p in oc.policies} == {d.name for d in reference_estate.desks}


def test_valid_oncall_loads() -> None:
    e = est.load_text(BASE)
    assert e.oncall.rotations[0].members == ("ann",)


@pytest.mark.parametrize(("old", "new", "message", "line"), [
    ("members: [ann]", "members: [bob]", "unknown contact 'bob'", 11),
    ("desk: crypto\n      levels", "desk: cryptx\n      levels", "unknown desk 'cryptx'", 13),
    ('"oncall:crypto-infra"', '"oncall:network"', "unknown team with a rotation 'network'", 15),
    ("infrastructure_desk: platform", "infrastructure_desk: plat", "unknown desk 'plat'", 7),
    ("team: crypto-infra, members", "team: crypto-inf, members", "unknown team 'crypto-inf'", 11),
])
def test_bad_references_are_located(old: str, new: str, message: str, line: int) -> None:
    with pytest.raises(EstateError) as exc:
        est.load_text(BASE.replace(old, new), "oncall.yaml")
    text = str(exc.value)
    assert message in text
    assert f"oncall.yaml:{line}:" in text


@pytest.mark.parametrize(("old", "new", "message"), [
    ("timezone: Europe/London", "timezone: Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
    ('start: "2026-01-05T09:00:00+00:00"', 'start: "2026-01-05T09:00:00"', "needs a UTC offset"),
    ('"oncall:crypto-infra"', '"pager:crypto-infra"', "must be oncall:TEAM, team:TEAM or contact:NAME"),
    ('start: "23:00"', 'start: "25:00"', "HH:MM"),
])
def test_bad_values_are_located(old: str, new: str, message: str) -> None:
    with pytest.raises(EstateError) as exc:
        est.load_text(BASE.replace(old, new), "oncall.yaml")
    text = str(exc.value)
    assert "oncall.yaml:" in text
    assert message in text or "pattern" in text
