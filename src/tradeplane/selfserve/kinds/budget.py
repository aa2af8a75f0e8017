"""A budget change: a desk's monthly budget, kept in US dollars (the estate's ``monthly_usd``).

The estimate every plan checks a budget against is in USD (the price table's currency), so the
budget is written in USD. An amount in another currency is converted with a FinOps rate table
(``tradeplane.finops.load_rates``'s format: ``{currency: USD, as_of, source, rates: {EUR: 1.0842}}``,
1 unit of each currency = that many USD), the way ``cost report --currency CODE --rates FILE``
converts; without a table that converts it into USD, it is refused: ``monthly_usd`` never holds an
amount that is not USD.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from tradeplane.estate import Estate, Name
from tradeplane.finops.currency import RateTable
from tradeplane.selfserve.document import EstateDocument, append, node
from tradeplane.selfserve.kinds.base import RequestKind, by_name, register, unknown

BUDGET_CURRENCY = "USD"
"""The currency of every budget a request writes (``monthly_usd``; the estimate's currency)."""


@register
class BudgetRequest(RequestKind):
    """Set a desk's monthly budget: ``amount`` in ``currency`` (ISO 4217; USD, or converted into USD with
    ``rates``, a FinOps rate table into USD that lists it)."""

    kind: Literal["budget"] = "budget"
    desk: Name
    amount: float = Field(gt=0, le=1_000_000_000, description="per month, in currency")
    rates: RateTable | None = Field(default=None, description="a FinOps rate table into USD (currency: USD, "
                                    "as_of, source, rates: {CODE: USD per unit}) for an amount not in USD")
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$", validate_default=True,
                          description="ISO 4217 code of amount: USD, or one the rate table converts into USD")
    reason: str = ""

    @field_validator("currency")
    @classmethod
    def _convertible(cls, v: str, info: ValidationInfo) -> str:
        if "rates" not in info.data:  # the rate table itself is invalid: its own problem says so
            return v
        rates = info.data["rates"]
        if v == BUDGET_CURRENCY:
            if rates is not None:
                raise ValueError("an amount in USD needs no rate table: leave out rates (--rates)")
            return v
        if not isinstance(rates, RateTable):
            raise ValueError(f"{v} cannot be converted into USD without a rate table: budgets are kept in USD "
                             "(monthly_usd, the estimate's currency); give the amount in USD, or --rates FILE "
                             f"(a FinOps rate table into USD with a rate for {v})")
        if rates.currency != BUDGET_CURRENCY:
            raise ValueError(f"the rate table converts into {rates.currency}, not USD: budgets are kept in USD "
                             "(monthly_usd); give a table whose currency is USD")
        if v not in rates.rates:
            raise ValueError(f"the rate table ({rates.source}, {rates.as_of}) has no rate for {v}: it lists "
                             f"{', '.join(sorted(rates.rates))}; add {v}: RATE (1 {v} in USD) or give the amount in USD")
        return v

    @property
    def monthly_usd(self) -> int | float:
        """The amount in USD: as given, or converted with the rate table (to the cent; whole dollars as an int)."""
        usd = self.amount if self.rates is None else self.amount * self.rates.rates[self.currency]
        usd = round(usd, 2)
        return int(usd) if float(usd).is_integer() else usd

    def _given(self) -> str:
        """``250,000 EUR at 1.0842 USD (ECB ..., 2026-10-31)``: the amount asked and its conversion."""
        if self.rates is None:
            return ""
        return (f"{_fmt(self.amount)} {self.currency} at {self.rates.rates[self.currency]:g} USD "
                f"({self.rates.source}, {self.rates.as_of})")

    def summary(self) -> str:
        given = f" ({self._given()})" if self.rates is not None else ""
        return f"budget of desk {self.desk}: {_fmt(self.monthly_usd)} USD/month{given}"

    def desks(self, estate: Estate) -> set[str]:
        return {self.desk}

    def apply(self, doc: EstateDocument, estate: Estate) -> list[str]:
        if self.desk not in by_name(estate.desks):
            raise unknown("desk", self.desk, "desk", list(by_name(estate.desks)))
        amount = self.monthly_usd
        given = f" (from {self._given()})" if self.rates is not None else ""
        for path, item in doc.items("budgets"):
            if isinstance(item, dict) and item.get("desk") == self.desk:
                doc.touch(path)
                old = f"{item.get('monthly_usd')} {item.get('currency', 'USD')}"
                item["monthly_usd"] = amount
                if "currency" in item:  # an entry that named its currency: it is USD now
                    item["currency"] = BUDGET_CURRENCY
                return [f"budgets: desk {self.desk} {old} -> {amount} USD per month{given}"]
        seq = doc.section("budgets")
        flow = bool(seq) and all(getattr(getattr(x, "fa", None), "flow_style", lambda: False)() for x in seq)
        entry: dict[str, Any] = {"desk": self.desk, "monthly_usd": amount}
        append(seq, node(entry, flow=flow))
        return [f"budgets: desk {self.desk} gets {amount} USD per month{given}"]


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if math.isclose(x, round(x)) else f"{x:,.2f}"


__all__ = ["BUDGET_CURRENCY", "BudgetRequest"]
