"""The feeds config: a small YAML naming venues, symbols, channels and legs.

Venue endpoints come from the leg, else from the estate's venue (``estate:`` names an
estate directory, loaded with ``tradeplane.estate.load``), else from the venue module's
published default. Errors name the file, line and field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tradeplane.estate.load import load_yaml_model
from tradeplane.feeds.gateway import LegSpec, Tuning, VenueSpec
from tradeplane.feeds.instrument import Instrument
from tradeplane.feeds.venues import adapter_class, venue_names

ChannelName = Literal["book", "trades", "bbo", "funding"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SymbolConfig(_Model):
    symbol: str = Field(description="the venue's own spelling: BTCUSDT, BTC/USD, BTC-USDT, BTC-PERPETUAL")
    tick: str = Field(pattern=r"^\d+(\.\d+)?$", description="price step, e.g. '0.01'")
    lot: str = Field(pattern=r"^\d+(\.\d+)?$", description="quantity step, e.g. '0.00001'")


class LegConfig(_Model):
    name: str = Field(pattern=r"^[a-z0-9_-]+$")
    url: str | None = Field(default=None, pattern=r"^wss?://")
    rest: str | None = Field(default=None, pattern=r"^https?://")
    source: str | None = Field(default=None, description="local source address to bind (a second NIC or path)")


class VenueConfig(_Model):
    venue: str
    symbols: tuple[SymbolConfig, ...] = Field(min_length=1)
    channels: tuple[ChannelName, ...] = ("book", "trades", "bbo")
    legs: tuple[LegConfig, ...] | int = 2

    @field_validator("venue")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in venue_names():
            raise ValueError(f"unknown venue {v!r}; known: {', '.join(venue_names())}")
        return v


class ParquetConfig(_Model):
    dir: str
    rotate_rows: int = Field(default=1_000_000, gt=0)
    rotate_s: float = Field(default=3600.0, gt=0)


class NatsConfig(_Model):
    url: str = Field(default="nats://127.0.0.1:4222", pattern=r"^(nats|tls)://")
    stream: str = "MD"


class SinksConfig(_Model):
    parquet: ParquetConfig | None = None
    nats: NatsConfig | None = None


class MetricsConfig(_Model):
    host: str = "127.0.0.1"
    port: int = Field(default=9464, ge=0, le=65535)


class StaleConfig(_Model):
    k: float = Field(default=20.0, gt=1, description="stale after k mean inter-arrival times")
    floor_ms: float = Field(default=200.0, gt=0)
    ceiling_ms: float = Field(default=30_000.0, gt=0)


class FeedsConfig(_Model):
    estate: str | None = Field(default=None, description="estate directory whose venues give default endpoints")
    venues: tuple[VenueConfig, ...] = Field(min_length=1)
    sinks: SinksConfig = SinksConfig()
    metrics: MetricsConfig = MetricsConfig()
    stale: StaleConfig = StaleConfig()


def load_config(path: str | Path) -> tuple[FeedsConfig, Path]:
    """The feeds config at ``path`` and its path; ``ConfigError`` with file:line:column per problem
    (read through the estate's one YAML loader: ``tradeplane.estate.load_yaml_model``)."""
    p = Path(path)
    return load_yaml_model(p, FeedsConfig, what="feeds config"), p


def venue_specs(cfg: FeedsConfig, base: Path) -> list[VenueSpec]:
    """Resolve legs to endpoints: the leg's own, else the estate's venue, else the venue's default."""
    estate_venues: dict[str, Any] = {}
    if cfg.estate:
        from tradeplane.estate import load

        est = load((base.parent / cfg.estate).resolve())
        estate_venues = {v.name: v for v in est.venues}
    specs = []
    for vc in cfg.venues:
        a = adapter_class(vc.venue)
        ev = estate_venues.get(vc.venue) or estate_venues.get(vc.venue.split("-")[0])
        url = (ev.websocket if ev is not None and ev.websocket and ev.name == vc.venue else None) or a.default_url
        rest = (ev.rest if ev is not None and ev.rest and ev.name == vc.venue else None) or a.default_rest
        legs_cfg = vc.legs if not isinstance(vc.legs, int) else tuple(
            LegConfig(name=chr(ord("a") + i)) for i in range(vc.legs)
        )
        legs = tuple(LegSpec(lc.name, lc.url or url, lc.rest or rest, lc.source) for lc in legs_cfg)
        insts = tuple(Instrument(vc.venue, s.symbol, s.tick, s.lot) for s in vc.symbols)
        specs.append(VenueSpec(vc.venue, insts, vc.channels, legs))
    return specs


def tuning(cfg: FeedsConfig) -> Tuning:
    return Tuning(stale_k=cfg.stale.k, stale_floor_s=cfg.stale.floor_ms / 1e3, stale_ceiling_s=cfg.stale.ceiling_ms / 1e3)
