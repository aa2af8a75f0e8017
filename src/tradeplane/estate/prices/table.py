"""Prices from ``catalog.yaml``: machine types multiplied out from family rates and region multipliers.

The file is read like every other config, through the estate's position-keeping loader
(``load_yaml_model``) into the typed ``PriceCatalog``: a bad value is one located problem
(``catalog.yaml:LINE:COL: aws.families.c5n: ...``), never a ``KeyError`` at the first lookup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tradeplane.errors import UnsupportedError
from tradeplane.estate.prices.gcp_machines import gcp_machine, known_series

HOURS_PER_MONTH = 730.0


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_Usd = Annotated[float, Field(gt=0, le=1_000)]
_Multiplier = Annotated[float, Field(gt=0, le=10)]
_Count = Annotated[int, Field(gt=0, le=10_000)]


class AwsPrices(_Strict):
    """AWS instances: the family's ``large`` size in the base region, every other size in ``large`` units."""

    base_region: str
    region_multiplier: dict[str, _Multiplier] = Field(description="region -> multiplier against the base region")
    families: dict[str, tuple[_Usd, _Usd]] = Field(
        description="family -> [USD per hour of its `large` size, GiB of memory per vCPU]")
    sizes: dict[str, _Count] = Field(description="size -> number of `large` units (2 vCPUs each)")


class GcpPrices(_Strict):
    """GCP machine types: per-vCPU and per-GB-hour rates in the base region, multiplied out by the type's
    vCPUs and memory (``gcp_machines``: the types GCP offers and their shapes)."""

    base_region: str
    region_multiplier: dict[str, _Multiplier] = Field(description="region -> multiplier against the base region")
    families: dict[str, tuple[_Usd, _Usd]] = Field(description="family -> [USD per vCPU-hour, USD per GB-hour]")
    sole_tenant_premium: float = Field(ge=0, le=1, description="sole-tenant nodes cost this much more (0.10 = 10 %)")
    node_types: dict[str, tuple[_Count, _Usd]] = Field(description="sole-tenant node type -> [vCPUs, GB]")


class NetworkItemPrice(_Strict):
    usd: float = Field(ge=0, le=1_000_000, description="US dollars per unit")
    unit: Literal["hour", "GB", "month"]


class PriceCatalog(_Strict):
    """The layout of ``catalog.yaml`` (validated with file:line:column by ``load_price_table``)."""

    source: str = Field(min_length=1, description="where the prices were read")
    as_of: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="the day they were read, YYYY-MM-DD")
    aws: AwsPrices
    gcp: GcpPrices
    network: dict[Literal["aws", "gcp"], dict[str, NetworkItemPrice]] = Field(
        description="cloud -> item -> price per hour, GB or month")


@dataclass(frozen=True)
class InstancePrice:
    cloud: str
    region: str
    machine_type: str
    hourly_usd: float
    vcpus: int
    memory_gb: float
    basis: str  # how the figure was derived, for reports

    @property
    def monthly_usd(self) -> float:
        return self.hourly_usd * HOURS_PER_MONTH


@dataclass(frozen=True)
class NetworkPrice:
    cloud: str
    item: str
    usd: float
    unit: str  # hour, GB or month

    @property
    def monthly_usd(self) -> float:
        if self.unit == "hour":
            return self.usd * HOURS_PER_MONTH
        if self.unit == "month":
            return self.usd
        raise ValueError(f"{self.item} is priced per {self.unit}; multiply by the volume")


@dataclass(frozen=True)
class PriceTable:
    """The validated catalog; ``data`` is the same content as plain dicts, lists and numbers."""

    source: str
    as_of: str
    catalog: PriceCatalog
    data: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", self.catalog.model_dump(mode="json"))

    def regions(self, cloud: str) -> tuple[str, ...]:
        return tuple(sorted(self.data[cloud]["region_multiplier"]))

    def families(self, cloud: str) -> tuple[str, ...]:
        return tuple(sorted(self.data[cloud]["families"]))

    def instance(self, cloud: str, region: str, machine_type: str) -> InstancePrice:
        if cloud not in ("aws", "gcp"):
            raise UnsupportedError.single(f"no prices for cloud '{cloud}'", hint="clouds are aws and gcp")
        block = self.data[cloud]
        mult = block["region_multiplier"].get(region)
        if mult is None:
            raise UnsupportedError.single(
                f"no {cloud} prices for region '{region}'",
                hint="priced regions: " + ", ".join(sorted(block["region_multiplier"])),
            )
        if cloud == "aws":
            return self._aws(region, machine_type, float(mult))
        return self._gcp(region, machine_type, float(mult))

    def _aws(self, region: str, machine_type: str, mult: float) -> InstancePrice:
        block = self.data["aws"]
        family, _, size = machine_type.partition(".")
        fam = block["families"].get(family)
        units = block["sizes"].get(size)
        if fam is None or units is None:
            raise UnsupportedError.single(
                f"no price for AWS instance type '{machine_type}'",
                hint="priced families: " + ", ".join(sorted(block["families"]))
                + "; sizes: " + ", ".join(block["sizes"]) + " (or set hourly_usd on the workload)",
            )
        large, mem_per_vcpu = float(fam[0]), float(fam[1])
        vcpus = 2 * int(units)
        return InstancePrice("aws", region, machine_type, round(large * units * mult, 6), vcpus,
                             vcpus * mem_per_vcpu,
                             f"{family}.large {large}/h x {units} x region {mult} ({self.as_of})")

    def _gcp(self, region: str, machine_type: str, mult: float) -> InstancePrice:
        block = self.data["gcp"]
        node = block["node_types"].get(machine_type)
        if node is not None:
            family = machine_type.split("-")[0]
            vcpus, mem = int(node[0]), float(node[1])
            premium = 1.0 + float(block["sole_tenant_premium"])
            return self._gcp_price(region, machine_type, family, vcpus, mem, mult * premium,
                                   f"sole-tenant node (+{block['sole_tenant_premium']:.0%})")
        machine = gcp_machine(machine_type)  # UnsupportedError: a type GCP does not offer, with the nearest
        if machine is None or machine.series not in block["families"]:
            raise UnsupportedError.single(
                f"no price for GCP machine type '{machine_type}'",
                hint="priced series: " + ", ".join(sorted(block["families"]))
                + " (predefined types); node types: " + ", ".join(sorted(block["node_types"]))
                + "; or set hourly_usd on the workload"
                + ("" if machine is not None else
                   f"; series whose types tradeplane knows: {', '.join(known_series())}"),
            )
        if machine.custom:
            raise UnsupportedError.single(
                f"no price for GCP custom machine type '{machine_type}'",
                hint="custom types bill at their own per-vCPU and per-GB rates, which the price table does not "
                     "carry: set hourly_usd on the workload, or use a predefined type")
        return self._gcp_price(region, machine_type, machine.series, machine.vcpus, machine.memory_gb, mult,
                               "on-demand")

    def _gcp_price(self, region: str, machine_type: str, family: str, vcpus: int, mem: float, mult: float,
                   what: str) -> InstancePrice:
        cpu_rate, mem_rate = (float(x) for x in self.data["gcp"]["families"][family])
        hourly = (vcpus * cpu_rate + mem * mem_rate) * mult
        return InstancePrice("gcp", region, machine_type, round(hourly, 6), vcpus, mem,
                             f"{family} {vcpus} vCPU x {cpu_rate} + {mem:g} GB x {mem_rate}, "
                             f"x {mult:.3f} ({what}, {self.as_of})")

    def network(self, cloud: str, item: str) -> NetworkPrice:
        entry = self.data["network"].get(cloud, {}).get(item)
        if entry is None:
            raise UnsupportedError.single(
                f"no {cloud} network price '{item}'",
                hint="priced items: " + ", ".join(sorted(self.data["network"].get(cloud, {}))),
            )
        return NetworkPrice(cloud, item, float(entry["usd"]), str(entry["unit"]))


def load_price_table(path: str | Path, text: str | None = None) -> PriceTable:
    """A price table laid out like ``estate/prices/catalog.yaml``, read through the estate's loader;
    ``ConfigError`` with file:line:column for each problem (``text`` for a table that is not on disk)."""
    from tradeplane.estate.load import load_yaml_model  # the loader imports the model, which needs no prices

    cat = load_yaml_model(path, PriceCatalog, text=text, what="price table")
    return PriceTable(cat.source, cat.as_of, cat)


@cache
def price_table() -> PriceTable:
    """The shipped table, parsed once per process."""
    text = resources.files("tradeplane.estate.prices").joinpath("catalog.yaml").read_text(encoding="utf-8")
    return load_price_table("estate/prices/catalog.yaml", text)


@lru_cache(maxsize=4096)
def instance_price(cloud: str, region: str, machine_type: str) -> InstancePrice:
    """The price of one machine type in one region (memoised: placement and cost ask once per workload
    and candidate zone, and the answer is a frozen value of the packaged table)."""
    return price_table().instance(cloud, region, machine_type)


def network_price(cloud: str, item: str) -> NetworkPrice:
    return price_table().network(cloud, item)
