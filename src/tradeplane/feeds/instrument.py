"""An instrument as the gateway sees it: venue symbol and its price/quantity steps."""

from __future__ import annotations

from dataclasses import dataclass, field

from tradeplane.feeds.fixed import Scale


@dataclass(frozen=True)
class Instrument:
    venue: str
    symbol: str  # the venue's own spelling (BTCUSDT, BTC/USD, BTC-USDT, BTC-PERPETUAL)
    tick: str  # price step, e.g. "0.01"
    lot: str  # quantity step, e.g. "0.00001"
    price: Scale = field(init=False, repr=False, compare=False)
    qty: Scale = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "price", Scale(self.tick))
        object.__setattr__(self, "qty", Scale(self.lot))
