"""Escalation from the estate: market hours of the desk's venues and the on-call person's local time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tradeplane import estate as est
from tradeplane.incidents.escalation import desk_market_open, on_call, page_for
from tradeplane.incidents.owners import owner_of

MON_OPEN = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # Monday 09:00 Chicago: CME trades
SAT = datetime(2026, 12, 5, 15, 0, tzinfo=UTC)  # Saturday: CME closed
SAT_NIGHT_SG = datetime(2026, 12, 5, 18, 0, tzinfo=UTC)  # 02:00 Singapore, 18:00 London


def test_market_state_comes_from_the_estate(dv: est.Estate) -> None:
    assert desk_market_open(dv, "futures", MON_OPEN)[0]
    is_open, why = desk_market_open(dv, "futures", SAT)
    assert not is_open and "cme-globex" in why
    assert desk_market_open(dv, "crypto", SAT)[0]  # 24x7 venues
    assert desk_market_open(dv, "platform", SAT) == (True, "the desk trades on no venue: treated as open")


def test_a_holiday_closes_the_market_from_the_evening_before(dv: est.Estate) -> None:
    """CME's Friday 2026-12-25: the session that would open Thursday 17:00 CT is Friday's, so closed."""
    assert desk_market_open(dv, "futures", datetime(2026, 12, 24, 21, 0, tzinfo=UTC))[0]  # Thu 15:00 CT
    for at in (datetime(2026, 12, 25, 0, 0, tzinfo=UTC), datetime(2026, 12, 25, 16, 0, tzinfo=UTC)):  # Thu 18:00, Fri 10:00 CT
        assert desk_market_open(dv, "futures", at) == (False, "closed: cme-globex")
    assert desk_market_open(dv, "equities", datetime(2026, 12, 25, 16, 0, tzinfo=UTC))[0] is False  # Nasdaq too


def test_futures_times_out_faster_while_cme_trades(dv: est.Estate) -> None:
    open_page = page_for(dv, "futures", "high", 0, MON_OPEN)
    closed_page = page_for(dv, "futures", "high", 0, SAT)
    assert open_page is not None and closed_page is not None
    assert open_page.timeout == timedelta(minutes=5) and closed_page.timeout == timedelta(minutes=30)
    # the desk head's e-mail level applies only while the market is open
    assert page_for(dv, "futures", "high", 2, MON_OPEN) is not None
    assert page_for(dv, "futures", "high", 2, SAT) is None
    assert open_page.next_at == MON_OPEN + timedelta(minutes=5)


def test_rotation_and_follow_the_sun(dv: est.Estate) -> None:
    rot = next(r for r in dv.oncall.rotations if r.team == "crypto-infra")
    # week of 2026-11-30 (start 2026-01-05 09:00+08:00): 47 weeks on -> member 47 % 3 = 2
    assert rot.members[on_call(rot, MON_OPEN)] == "ben-carter"
    # crypto trades 24x7 (open), so the on-call is paged whatever their local time
    page = page_for(dv, "crypto", "high", 0, SAT_NIGHT_SG)
    assert page is not None and [r.contact for r in page.recipients] == [rot.members[on_call(rot, SAT_NIGHT_SG)]]


def test_quiet_hours_while_closed_page_the_awake_member(dv: est.Estate) -> None:
    # fut-exec on call Saturday 2026-12-05 04:00 UTC = 22:00 Chicago: dana (quiet 22:30-06:30) / emil (no quiet)
    rot = next(r for r in dv.oncall.rotations if r.team == "fut-exec")
    when = datetime(2026, 12, 5, 5, 0, tzinfo=UTC)  # 23:00 Chicago, market closed
    scheduled = rot.members[on_call(rot, when)]
    page = page_for(dv, "futures", "high", 0, when)
    assert page is not None and not page.market_open
    if scheduled == "dana-kowalski":
        assert [r.contact for r in page.recipients] == ["emil-novak"]
        assert "covering" in page.recipients[0].why and "quiet hours" in page.recipients[0].why
    else:
        assert [r.contact for r in page.recipients] == ["emil-novak"]
    # a critical incident wakes the scheduled person anyway
    critical = page_for(dv, "futures", "critical", 0, when)
    assert critical is not None and [r.contact for r in critical.recipients] == [scheduled]


def test_policy_repeats_then_is_exhausted(dv: est.Estate) -> None:
    steps = [page_for(dv, "crypto", "high", k, MON_OPEN) for k in range(7)]
    assert all(p is not None for p in steps[:6]) and steps[6] is None  # 3 levels, repeat 1
    assert steps[5] is not None and steps[5].next_at is None


def test_owners_from_the_estate(dv: est.Estate) -> None:
    assert owner_of(dv, {"workload": "cme-order-router"}).team == "fut-exec"
    o = owner_of(dv, {"venue": "cme-globex"})
    assert (o.desk, o.team, o.basis) == ("futures", "fut-exec", "venue cme-globex: traded by futures")
    link = owner_of(dv, {"link": "cme-interconnect/att-chi-1"})
    assert (link.desk, link.team, link.link) == ("platform", "network", "cme-interconnect")
    assert owner_of(dv, {"network": "aws-apne1-crypto"}).desk == "crypto"
    unknown = owner_of(dv, {"venue": "nyse"})
    assert unknown.desk == "platform" and unknown.notes
