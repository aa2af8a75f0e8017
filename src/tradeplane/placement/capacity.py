"""Where each machine family may run and how much of it: the planning capacity table.

``capacity.yaml`` beside this module ships the firm's planning allowance per zone;
``load_capacity`` reads it (or a user's table) through the estate's one YAML loader, so
every problem has file:line:column. Tests and benchmarks build their own ``Capacity``
from a mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tradeplane.errors import ConfigError
from tradeplane.estate import catalog
from tradeplane.estate.load import load_yaml_model

__all__ = ["Capacity", "CapacityFile", "ZoneCapacity", "default_capacity", "load_capacity", "machine_family"]


def machine_family(machine_type: str) -> str:
    """``c6in.8xlarge`` -> ``c6in``; ``c2-standard-30`` -> ``c2``; ``n2-node-80-640`` -> ``n2``."""
    if "." in machine_type:
        return machine_type.split(".", 1)[0]
    return machine_type.split("-", 1)[0]


@dataclass(frozen=True)
class ZoneCapacity:
    zone: str
    families: frozenset[str]
    vcpus_per_family: int


@dataclass(frozen=True)
class Capacity:
    """vCPUs of each machine family the firm may place per zone."""

    zones: Mapping[str, ZoneCapacity]
    source: str = ""
    as_of: str = ""

    def of(self, zone: str) -> ZoneCapacity:
        return self.zones.get(zone, ZoneCapacity(zone, frozenset(), 0))

    def offers(self, zone: str, family: str) -> bool:
        return family in self.of(zone).families

    def vcpus(self, zone: str, family: str) -> int:
        z = self.of(zone)
        return z.vcpus_per_family if family in z.families else 0

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], origin: str = "<capacity>") -> Capacity:
        """Build from the ``capacity.yaml`` layout; every catalog zone gets its region's entry."""
        try:
            defaults = data.get("defaults", {})
            regions = data.get("regions", {})
            overrides = data.get("zones", {}) or {}
            zones: dict[str, ZoneCapacity] = {}
            for name, place in sorted(catalog.ZONES.items()):
                region = regions.get(place.region)
                if region is None:
                    continue
                limit = int(region.get("vcpus_per_family", defaults[place.cloud]["vcpus_per_family"]))
                fams = frozenset(str(f) for f in region["families"])
                o = overrides.get(name)
                if o is not None:
                    fams = frozenset(str(f) for f in o.get("families", fams))
                    limit = int(o.get("vcpus_per_family", limit))
                zones[name] = ZoneCapacity(name, fams, limit)
            for name in overrides:
                if name not in catalog.ZONES:
                    raise ConfigError.single(f"{origin}: zone override '{name}' is not a catalog zone",
                                             field=f"zones.{name}", hint="use AWS zone ids or GCP zone names")
            return cls(zones, str(data.get("source", "")), str(data.get("as_of", "")))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError.single(f"{origin}: malformed capacity table ({exc})",
                                     hint="see src/tradeplane/placement/capacity.yaml for the layout") from exc


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_VCPUS_DOC = "vCPUs of one machine family the firm may place in one zone"


class _CloudDefault(_Strict):
    vcpus_per_family: int = Field(ge=0, le=10_000_000, description=_VCPUS_DOC)


class _RegionCapacity(_Strict):
    families: tuple[str, ...] = Field(min_length=1, description="machine families offered, e.g. c6in, c2")
    vcpus_per_family: int | None = Field(default=None, ge=0, le=10_000_000, description=_VCPUS_DOC)


class _ZoneOverride(_Strict):
    families: tuple[str, ...] | None = Field(default=None, description="replaces the region's families")
    vcpus_per_family: int | None = Field(default=None, ge=0, le=10_000_000, description=_VCPUS_DOC)


class CapacityFile(_Strict):
    """The layout of ``capacity.yaml`` (validated with file:line:column before ``Capacity`` is built)."""

    source: str = ""
    as_of: str = ""
    defaults: dict[Literal["aws", "gcp"], _CloudDefault] = Field(
        description="vcpus_per_family per cloud, for regions that give none")
    regions: dict[str, _RegionCapacity] = Field(description="catalog region -> families (and limit)")
    zones: dict[str, _ZoneOverride] | None = Field(default=None, description="catalog zone -> override")


def load_capacity(path: str | Path, text: str | None = None) -> Capacity:
    """A capacity table laid out like ``placement/capacity.yaml``; ``ConfigError`` with
    file:line:column for each problem (``text`` for a table that is not on disk)."""
    f = load_yaml_model(path, CapacityFile, text=text, what="capacity table")
    return Capacity.from_mapping(f.model_dump(exclude_none=True), str(path))


@cache
def default_capacity() -> Capacity:
    """The shipped table."""
    text = resources.files("tradeplane.placement").joinpath("capacity.yaml").read_text(encoding="utf-8")
    return load_capacity("placement/capacity.yaml", text)
