"""The feeds config: a small YAML naming venues, symbols, channels and legs.

Venue endpoints come from the leg, else from the estate's venue (``estate:`` names an
estate directory, loaded with ``tradeplane.estate.load``), else from the venue module's
published default. Errors name the file, line and field.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from tradeplane.errors import ConfigError, Location
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


MAX_LEGS = 26  # legs given as a number are named a..z


class VenueConfig(_Model):
    venue: str
    symbols: tuple[SymbolConfig, ...] = Field(min_length=1)
    channels: tuple[ChannelName, ...] = Field(default=("book", "trades", "bbo"), min_length=1)
    legs: tuple[LegConfig, ...] | int = Field(
        default=2, description=f"1 to {MAX_LEGS} legs: a list, or a number of legs to the default endpoint"
    )

    @field_validator("legs")
    @classmethod
    def _legs(cls, v: tuple[LegConfig, ...] | int) -> tuple[LegConfig, ...] | int:
        n = v if isinstance(v, int) else len(v)
        if not 1 <= n <= MAX_LEGS:
            raise ValueError(f"between 1 and {MAX_LEGS} legs (got {n}): a venue with no leg never receives data")
        if not isinstance(v, int):
            seen: dict[str, int] = {}
            for i, leg in enumerate(v):
                if leg.name in seen:
                    # pydantic fills "{name}" in a template from the context (no "!r" or format spec): the
                    # message is written whole here; "at" and "hint" are read by the YAML loader
                    raise PydanticCustomError(
                        "duplicate_leg", f"leg name {leg.name!r} is used twice (also legs[{seen[leg.name]}])",
                        {"at": (i, "name"), "hint": "give each leg of a venue its own name"},
                    )
                seen[leg.name] = i
        return v

    @field_validator("venue")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in venue_names():
            raise ValueError(f"unknown venue {v!r}; known: {', '.join(venue_names())}")
        return v


class ParquetConfig(_Model):
    dir: str = Field(min_length=1, description="recording directory (relative to the config file)")
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

    @model_validator(mode="after")
    def _order(self) -> StaleConfig:
        if self.floor_ms > self.ceiling_ms:
            raise ValueError(f"floor_ms ({self.floor_ms:g}) is above ceiling_ms ({self.ceiling_ms:g})")
        return self


class FeedsConfig(_Model):
    estate: str | None = Field(default=None, description="estate directory whose venues give default endpoints")
    venues: tuple[VenueConfig, ...] = Field(min_length=1)
    sinks: SinksConfig = SinksConfig()
    metrics: MetricsConfig = MetricsConfig()
    stale: StaleConfig = StaleConfig()

    @model_validator(mode="after")
    def _venues_once(self) -> FeedsConfig:
        first: dict[str, int] = {}
        for i, vc in enumerate(self.venues):
            if vc.venue in first:
                raise PydanticCustomError(
                    "duplicate_venue", f"venue {vc.venue!r} is listed twice (also venues[{first[vc.venue]}])",
                    {"at": ("venues", i, "venue"), "hint": "list each venue once, with all its symbols"},
                )
            first[vc.venue] = i
        return self


def load_config(path: str | Path) -> tuple[FeedsConfig, Path]:
    """The feeds config at ``path`` and its path; ``ConfigError`` with file:line:column per problem
    (read through the estate's one YAML loader: ``tradeplane.estate.load_yaml_model``)."""
    p = Path(path)
    return load_yaml_model(p, FeedsConfig, what="feeds config"), p


def recording_dir(cfg: FeedsConfig, config_path: Path) -> Path | None:
    """The Parquet sink's directory resolved against the config file, checked before any leg
    connects. Raises ConfigError (file and field) when it is a file or cannot be created."""
    if cfg.sinks.parquet is None:
        return None
    d = (config_path.parent / cfg.sinks.parquet.dir).resolve()
    where = Location(str(config_path), _line_of(config_path, "dir"))
    if d.exists() and not d.is_dir():
        raise ConfigError.single(f"{str(d)!r} is a file, not a directory", location=where, field="sinks.parquet.dir",
                                 hint="name a directory for the recording")
    parent = d
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError.single(f"{str(d)!r} cannot be created ({parent} is not a writable directory)",
                                 location=where, field="sinks.parquet.dir")
    return d


def _line_of(path: Path, key: str) -> int:
    """The line of the first ``key:`` in the file (0 if not found): the recording dir's location."""
    try:
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if f"{key}:" in line:
                return n
    except OSError:
        return 0
    return 0


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
