"""Market hours: CME Globex's week, daylight saving, holidays, halts and 24x7 venues."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from tradeplane.estate import MarketHours
from tradeplane.estate.hours import closed_intervals, is_open, next_change, open_intervals

CT = ZoneInfo("America/Chicago")
GLOBEX = MarketHours.model_validate(
    {
        "timezone": "America/Chicago",
        "sessions": [{"days": ["sun", "mon", "tue", "wed", "thu"], "open": "17:00", "close": "16:00"}],
        "holidays": ["2026-12-25"],
    }
)


def ct(*args: int) -> datetime:
    return datetime(*args, tzinfo=CT)  # type: ignore[misc]


def test_globex_week_and_daily_halt() -> None:
    assert not is_open(GLOBEX, ct(2026, 11, 29, 16, 59))  # Sunday before the open
    assert is_open(GLOBEX, ct(2026, 11, 29, 17, 0))  # Sunday open
    assert is_open(GLOBEX, ct(2026, 11, 30, 15, 59))
    assert not is_open(GLOBEX, ct(2026, 11, 30, 16, 30))  # Monday's daily halt
    assert is_open(GLOBEX, ct(2026, 11, 30, 17, 0))
    assert not is_open(GLOBEX, ct(2026, 12, 4, 16, 0))  # Friday close
    assert not is_open(GLOBEX, ct(2026, 12, 5, 12, 0))  # Saturday


def test_closed_intervals_over_a_week_are_four_halts_and_the_weekend() -> None:
    start, end = ct(2026, 11, 29, 12, 0), ct(2026, 12, 6, 12, 0)
    closed = closed_intervals(GLOBEX, start, end)
    hours = [(e - s) / timedelta(hours=1) for s, e in closed]
    assert hours == [5.0, 1.0, 1.0, 1.0, 1.0, 44.0]
    opened = open_intervals(GLOBEX, start, end)
    total = sum(((e - s) for s, e in opened + closed), timedelta())
    assert total == end - start


def test_daylight_saving_moves_the_open_in_utc() -> None:
    winter = open_intervals(GLOBEX, ct(2026, 11, 29, 0, 0), ct(2026, 11, 30, 0, 0))
    summer = open_intervals(GLOBEX, ct(2026, 6, 7, 0, 0), ct(2026, 6, 8, 0, 0))
    assert winter[0][0].astimezone(UTC).hour == 23
    assert summer[0][0].astimezone(UTC).hour == 22


def test_holiday_cancels_the_session_that_would_open() -> None:
    assert is_open(GLOBEX, ct(2026, 12, 24, 15, 0))  # Wednesday evening's session runs to Thursday 16:00
    assert not is_open(GLOBEX, ct(2026, 12, 25, 18, 0))  # no session opens on the holiday


def test_next_change_and_always_open() -> None:
    assert next_change(GLOBEX, ct(2026, 11, 30, 10, 0)) == ct(2026, 11, 30, 16, 0)
    assert next_change(GLOBEX, ct(2026, 11, 30, 16, 10)) == ct(2026, 11, 30, 17, 0)
    crypto = MarketHours(timezone="UTC", always_open=True)
    assert is_open(crypto, datetime(2026, 12, 25, tzinfo=UTC))
    assert next_change(crypto, datetime(2026, 12, 25, tzinfo=UTC)) is None
    with pytest.raises(ValueError, match="timezone-aware"):
        is_open(GLOBEX, datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"timezone": "Mars/Olympus", "always_open": True}, "unknown time zone"),
        ({"timezone": "UTC"}, "at least one trading session"),
        ({"timezone": "UTC", "always_open": True, "holidays": ["25/12/2026"]}, "YYYY-MM-DD"),
        ({"timezone": "UTC", "sessions": [{"days": ["sun"], "open": "25:00", "close": "16:00"}]}, "pattern"),
    ],
)
def test_bad_hours_are_refused(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        MarketHours.model_validate(data)
