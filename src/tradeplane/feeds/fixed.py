"""Exact decimal <-> integer conversion for prices and quantities (no floats on the wire path)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from tradeplane.errors import InputError

_POW10: list[int] = [10**i for i in range(40)]


def decimals_of(step: str) -> int:
    """Number of decimal places of a step such as "0.01" (2) or "0.5" (1) or "1" (0)."""
    d = Decimal(step).normalize()
    exp = d.as_tuple().exponent
    assert isinstance(exp, int)
    return max(0, -exp)


def parse_scaled(text: str, decimals: int) -> int:
    """"123.4500" at 3 decimals -> 123450. Digits beyond ``decimals`` must be zero."""
    i = text.find(".")
    if i < 0:
        try:
            return int(text) * _POW10[decimals]
        except ValueError:
            return _parse_slow(text, decimals)
    frac_len = len(text) - i - 1
    if frac_len <= decimals:
        try:
            return int(text[:i] + text[i + 1 :]) * _POW10[decimals - frac_len]
        except ValueError:
            return _parse_slow(text, decimals)
    cut = i + 1 + decimals
    if text[cut:].strip("0"):
        return _parse_slow(text, decimals)
    return int(text[:i] + text[i + 1 : cut])


def _parse_slow(text: str, decimals: int) -> int:
    try:
        d = Decimal(text)
    except InvalidOperation as exc:
        raise InputError(f"not a decimal number: {text!r}") from exc
    scaled = d.scaleb(decimals)
    if scaled != scaled.to_integral_value():
        raise InputError(f"{text} has more than {decimals} decimal places (finer than the instrument's step)")
    return int(scaled)


def format_scaled(value: int, decimals: int, *, strip: bool = False) -> str:
    """123450 at 3 decimals -> "123.450" (or "123.45" with ``strip``)."""
    if decimals == 0:
        return str(value)
    neg = value < 0
    digits = str(-value if neg else value).rjust(decimals + 1, "0")
    head, tail = digits[:-decimals], digits[-decimals:]
    if strip:
        tail = tail.rstrip("0")
    out = f"{head}.{tail}" if tail else head
    return f"-{out}" if neg else out


class Scale:
    """Converts a venue's decimal text (or exactly decoded JSON number) to integer steps of ``step``."""

    __slots__ = ("decimals", "step", "unit")

    def __init__(self, step: str) -> None:
        self.step = step
        self.decimals = decimals_of(step)
        self.unit = int(Decimal(step).scaleb(self.decimals))
        if self.unit <= 0:
            raise InputError(f"step must be positive, got {step!r}")

    def to_int(self, text: str) -> int:
        scaled = parse_scaled(text, self.decimals)
        if self.unit == 1:
            return scaled
        q, r = divmod(scaled, self.unit)
        if r:
            raise InputError(f"{text} is not a multiple of the step {self.step}")
        return q

    def decimal_to_int(self, value: Decimal) -> int:
        """A number the venue sent as a JSON number, decoded exactly (msgspec ``Decimal`` field) -> steps.

        Raises InputError when it is not finite or not a multiple of the step. No float is involved,
        so the result is exact at any magnitude (e.g. a quantity of ``1234567890.12345678``)."""
        if not value.is_finite():
            raise InputError(f"{value} is not a finite number")
        scaled = value.scaleb(self.decimals)
        integral = scaled.to_integral_value()
        if scaled != integral:
            raise InputError(f"{value} has more than {self.decimals} decimal places (finer than the step {self.step})")
        q, r = divmod(int(integral), self.unit)
        if r:
            raise InputError(f"{value} is not a multiple of the step {self.step}")
        return q

    def to_text(self, steps: int, *, strip: bool = False) -> str:
        return format_scaled(steps * self.unit, self.decimals, strip=strip)

    def to_decimal(self, steps: int) -> Decimal:
        return Decimal(steps * self.unit).scaleb(-self.decimals)


def rate_e9(text: str) -> int:
    """A funding rate such as "0.0001875391284828" in units of 1e-9, rounded half-even."""
    if not text:
        return 0
    return int(Decimal(text).scaleb(9).to_integral_value())
