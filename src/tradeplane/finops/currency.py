"""Billing currencies: never add two of them.

FOCUS makes ``BillingCurrency`` mandatory, and billing accounts bill in USD, EUR, JPY,
GBP... tradeplane never sums amounts of different currencies. A session reads the
billing data in one of three ways, and every report says which:

* ``per-currency`` (the default): every figure is kept and reported per billing
  currency (one currency in the data is the common case: then there is one of each);
* ``only``: ``currency`` given without rates: only the rows billed in that currency
  are read; the rows left out are counted and named in the report;
* ``converted``: ``currency`` and a rate table given by the user (``rates``): every
  amount is converted into ``currency`` with the user's rate, and the report names
  the table, its date and its source. A billing currency without a rate is an error.

Budgets are compared only with spend in their own currency (``Budget.currency``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from tradeplane.errors import InputError, Location
from tradeplane.estate.load import load_yaml_model

__all__ = ["CurrencyView", "RateTable", "Rates", "load_rates", "money"]

_CODE = re.compile(r"^[A-Z]{3}$")
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def rows(n: int) -> str:
    """``1 row``, ``1,110 rows``."""
    return f"{n:,} row" + ("" if n == 1 else "s")


def money(x: float, currency: str) -> str:
    """``$1,234.50``, ``€100.00``, ``CHF 12.00``: an amount with its currency, never a bare number."""
    sym = _SYMBOLS.get(currency)
    sign = "-" if x < 0 else ""
    return f"{sign}{sym}{abs(x):,.2f}" if sym else f"{sign}{currency} {abs(x):,.2f}"


@dataclass(frozen=True)
class Rates:
    """A user's exchange-rate table: 1 unit of each currency = ``rates[code]`` units of ``currency``."""

    currency: str
    rates: dict[str, float]
    as_of: str
    source: str
    path: str

    def rate(self, code: str) -> float | None:
        return 1.0 if code == self.currency else self.rates.get(code)


Iso4217 = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Rate = Annotated[float, Field(gt=0, allow_inf_nan=False, strict=True)]


class RateTable(BaseModel):
    """A rate table file as written (see ``load_rates``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    currency: Iso4217 = Field(description="what the rates convert into, an ISO 4217 code (e.g. USD)")
    as_of: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] = Field(
        description="the date of the rates: say when they come from")
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] = Field(
        description="where the rates come from")
    rates: dict[Iso4217, Rate] = Field(min_length=1, description="currency code -> positive finite rate")

    @field_validator("rates")
    @classmethod
    def _own_rate_is_one(cls, v: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        cur = info.data.get("currency")
        own = v.get(cur) if isinstance(cur, str) else None
        if own is not None and own != 1.0:
            raise ValueError(f"{cur} is the table's own currency: its rate must be 1, not {own:g} "
                             "(remove it or write 1)")
        return v

    @field_validator("as_of", mode="before")
    @classmethod
    def _date_text(cls, v: Any) -> Any:
        return v.isoformat() if isinstance(v, date) else v

    @field_validator("rates", mode="before")
    @classmethod
    def _ints_are_rates(cls, v: Any) -> Any:  # strict floats, but 2 is a rate as much as 2.0
        if isinstance(v, dict):
            return {k: float(x) if isinstance(x, int) and not isinstance(x, bool) else x for k, x in v.items()}
        return v


def load_rates(path: str | Path) -> Rates:
    """Read a rate table::

        currency: USD          # what the rates convert into
        as_of: 2026-10-31      # the date of the rates
        source: ECB euro foreign exchange reference rates
        rates: {EUR: 1.0842, GBP: 1.2913, JPY: 0.00652}

    through the project's one YAML loader (``estate.load.load_yaml_model``). Raises
    ``InputError`` naming the file, line and field of every problem.
    """
    t = load_yaml_model(path, RateTable, error=InputError, what="rate table")
    return Rates(t.currency, dict(t.rates), t.as_of, t.source, str(path))


@dataclass(frozen=True)
class CurrencyView:
    """How a session reads currencies, and what it found: every report carries it."""

    mode: str  # per-currency, only, converted
    currencies: tuple[str, ...]  # billing currencies in the data
    currency: str = ""  # only/converted: the reporting currency
    rates: Rates | None = None
    left_out: dict[str, int] = field(default_factory=dict)  # only: rows of other currencies not read

    @property
    def left_out_rows(self) -> int:
        return sum(self.left_out.values())

    def reads_billed(self, budget_currency: str) -> bool:
        """Whether a budget in ``budget_currency`` is compared with the billed (unconverted, unfiltered)
        amounts: always, except in a converted view whose currency is the budget's."""
        return self.mode != "per-currency" and not (self.mode == "converted" and budget_currency == self.currency)

    @property
    def note(self) -> str:
        found = ", ".join(self.currencies) or "none"
        if self.mode == "converted" and self.rates is not None:
            used = ", ".join(f"1 {c} = {self.rates.rate(c):g} {self.currency}" for c in self.currencies
                             if c != self.currency)
            return (f"amounts converted into {self.currency} with the rates in {self.rates.path} "
                    f"({self.rates.source}, {self.rates.as_of}): {used or 'no conversion needed'}; "
                    f"billing currencies: {found}; budgets in {self.currency} compared with the converted amounts, "
                    "others in their own currency from the billed amounts")
        if self.mode == "only":
            out = ", ".join(f"{c} ({rows(n)})" for c, n in sorted(self.left_out.items()))
            todo = (f" (give --rates FILE to convert them into {self.currency}, or --currency "
                    f"{' or '.join(sorted(self.left_out))} to read them)")
            return (f"only rows billed in {self.currency}" + (f"; LEFT OUT: {out}{todo}" if out else "")
                    + f"; billing currencies: {found}; budgets compared in their own currency from the billed amounts")
        if len(self.currencies) > 1:
            return (f"billing currencies {found}: every figure is per currency, never added "
                    "(convert with --currency CODE --rates FILE)")
        return f"billing currency {found}"

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "currencies": list(self.currencies), "currency": self.currency or None,
                "rates": None if self.rates is None else {"path": self.rates.path, "as_of": self.rates.as_of,
                                                          "source": self.rates.source,
                                                          "rates": dict(sorted(self.rates.rates.items()))},
                "left_out_rows": dict(sorted(self.left_out.items())), "note": self.note}


def currency_sql(found: tuple[str, ...], source: str, currency: str | None, rates: Rates | None
                 ) -> tuple[str, CurrencyView]:
    """The SELECT over the normalised ``source`` that applies the currency choice, and its description."""
    if rates is not None:
        target = currency or rates.currency
        if target != rates.currency:
            raise InputError.single(f"the rate table converts into {rates.currency}, not {target}",
                                    location=Location(rates.path), field="currency",
                                    hint=f"give --currency {rates.currency} or a table whose currency is {target}")
        missing = [c for c in found if rates.rate(c) is None]
        if missing:
            raise InputError.single(
                f"no rate for {', '.join(missing)} (the billing data is in {', '.join(found)})",
                location=Location(rates.path), field="rates",
                hint=f"add {', '.join(f'{c}: RATE' for c in missing)} (1 {missing[0]} in {target})")
        whens = " ".join(f"WHEN '{c}' THEN {rates.rate(c)!r}" for c in found if c != target)
        r = f"(CASE currency {whens} ELSE 1.0 END)" if whens else "1.0"
        sql = (f"SELECT * REPLACE (billed_cost * {r} AS billed_cost, effective_cost * {r} AS effective_cost, "
               f"list_cost * {r} AS list_cost, '{target}' AS currency) FROM {source}")
        return sql, CurrencyView("converted", found, target, rates)
    if currency is not None:
        if not _CODE.match(currency):
            raise InputError.single(f"'{currency}' is not an ISO 4217 code", field="--currency",
                                    hint="three capital letters, e.g. USD")
        return f"SELECT * FROM {source} WHERE currency = '{currency}'", CurrencyView("only", found, currency)
    return f"SELECT * FROM {source}", CurrencyView("per-currency", found)
