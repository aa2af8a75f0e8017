"""Market hours: CME Globex's week, daylight saving, holidays, halts and 24x7 venues."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from tradeplane.estate import MarketHours
from tradeplane.estate.hours import closed_intervals, is_open, next_change, open_intervals, trading_date
from tradeplane.estate.model import TradingSession, Weekday

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


def test_holiday_closes_its_trading_date_including_the_evening_before() -> None:
    assert is_open(GLOBEX, ct(2026, 12, 24, 15, 0))  # Wednesday evening's session (the 24th's) runs to 16:00
    assert not is_open(GLOBEX, ct(2026, 12, 24, 17, 0))  # the 25th's session would open Thursday 17:00
    assert not is_open(GLOBEX, ct(2026, 12, 25, 10, 0))  # Friday, the holiday itself
    assert not is_open(GLOBEX, ct(2026, 12, 25, 18, 0))
    # closed from Thursday's close to Sunday's open: one interval
    closed = closed_intervals(GLOBEX, ct(2026, 12, 24, 12, 0), ct(2026, 12, 28, 12, 0))
    assert closed == [(ct(2026, 12, 24, 16, 0).astimezone(UTC), ct(2026, 12, 27, 17, 0).astimezone(UTC))]
    assert next_change(GLOBEX, ct(2026, 12, 24, 15, 0)) == ct(2026, 12, 24, 16, 0)
    assert next_change(GLOBEX, ct(2026, 12, 24, 16, 30)) == ct(2026, 12, 27, 17, 0)


def test_a_monday_holiday_cancels_the_sunday_evening_open() -> None:
    mlk = MarketHours.model_validate({**GLOBEX.model_dump(), "holidays": ["2027-01-18"]})
    assert not is_open(mlk, ct(2027, 1, 17, 18, 0))  # Sunday evening: Monday's session
    assert not is_open(mlk, ct(2027, 1, 18, 10, 0))
    assert is_open(mlk, ct(2027, 1, 18, 17, 0))  # Monday 17:00 opens Tuesday's session
    assert is_open(mlk, ct(2027, 1, 15, 10, 0))  # Friday before: its own trading date


def test_day_sessions_and_midnight_closes_keep_their_own_date() -> None:
    ny = ZoneInfo("America/New_York")
    nasdaq = MarketHours.model_validate({"timezone": "America/New_York", "holidays": ["2026-12-25"],
        "sessions": [{"days": ["mon", "tue", "wed", "thu", "fri"], "open": "09:30", "close": "16:00"}]})
    assert is_open(nasdaq, datetime(2026, 12, 24, 10, 0, tzinfo=ny))
    assert not is_open(nasdaq, datetime(2026, 12, 25, 10, 0, tzinfo=ny))
    assert is_open(nasdaq, datetime(2026, 12, 28, 10, 0, tzinfo=ny))
    evening = TradingSession(days=(Weekday.THU,), open="18:00", close="00:00")
    whole_day = TradingSession(days=(Weekday.THU,), open="00:00", close="00:00")
    overnight = TradingSession(days=(Weekday.THU,), open="17:00", close="16:00")
    thursday = date(2026, 12, 24)
    assert trading_date(evening, thursday) == thursday
    assert trading_date(whole_day, thursday) == thursday
    assert trading_date(overnight, thursday) == date(2026, 12, 25)


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
