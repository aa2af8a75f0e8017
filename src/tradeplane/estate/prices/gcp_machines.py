"""The GCP machine types Compute Engine offers: predefined types by series and shape, and custom types.

A GCP machine type is only a name to Terraform: ``c2-standard-300`` renders, and GCP refuses it at
apply. This table says which names exist, so the estate refuses the others where they are written
(``estate validate``, ``plan``, ``terraform render``), with the nearest real types.

Sources (read 2026-11; re-check when a series gains sizes):

- Predefined types: Compute Engine "Machine families resource and comparison guide" and the per-family
  pages (general-purpose, compute-optimized), cloud.google.com/compute/docs/machine-resource. The
  memory of a shape is per vCPU (``n2-standard-8``: 8 vCPUs, 32 GB); shared-core types are listed whole.
- Custom types: Compute Engine "Create a VM with a custom machine type" and Google's custom machine
  type helper sample (golang-samples, compute custom machine types): ``SERIES-custom-VCPUS-MEMORY_MB``
  (N1: ``custom-VCPUS-MEMORY_MB``), vCPU counts per series, memory per vCPU between the series' bounds,
  memory a multiple of 256 MB; ``-ext`` (extended memory) lifts the per-vCPU ceiling up to the series'
  extended limit (N1, N2, N2D).

Series not listed here (C4, N4, M-series, accelerator series ...) and the local-SSD / bare-metal variants
(``c3-standard-8-lssd``, ``c3-highmem-192-metal``) are not judged: ``estate validate`` lets them through,
and ``plan`` asks for ``hourly_usd`` because the price table has no rates for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tradeplane.errors import UnsupportedError

__all__ = ["CUSTOM", "PREDEFINED", "SHARED_CORE", "CustomRule", "GcpMachine", "gcp_machine", "known_series"]


def _steps(start: int, stop: int, step: int) -> tuple[int, ...]:
    return tuple(range(start, stop + 1, step))


# series -> shape -> (GB of memory per vCPU, the vCPU counts offered)
PREDEFINED: dict[str, dict[str, tuple[float, tuple[int, ...]]]] = {
    "c2": {"standard": (4.0, (4, 8, 16, 30, 60))},
    "c2d": {"standard": (4.0, (2, 4, 8, 16, 32, 56, 112)),
            "highcpu": (2.0, (2, 4, 8, 16, 32, 56, 112)),
            "highmem": (8.0, (2, 4, 8, 16, 32, 56, 112))},
    "c3": {"standard": (4.0, (4, 8, 22, 44, 88, 176)),
           "highcpu": (2.0, (4, 8, 22, 44, 88, 176)),
           "highmem": (8.0, (4, 8, 22, 44, 88, 176))},
    "c3d": {"standard": (4.0, (4, 8, 16, 30, 60, 90, 180, 360)),
            "highcpu": (2.0, (4, 8, 16, 30, 60, 90, 180, 360)),
            "highmem": (8.0, (4, 8, 16, 30, 60, 90, 180, 360))},
    "e2": {"standard": (4.0, (2, 4, 8, 16, 32)),
           "highcpu": (1.0, (2, 4, 8, 16, 32)),
           "highmem": (8.0, (2, 4, 8, 16))},
    "h3": {"standard": (4.0, (88,))},
    "n1": {"standard": (3.75, (1, 2, 4, 8, 16, 32, 64, 96)),
           "highcpu": (0.9, (2, 4, 8, 16, 32, 64, 96)),
           "highmem": (6.5, (2, 4, 8, 16, 32, 64, 96))},
    "n2": {"standard": (4.0, (2, 4, 8, 16, 32, 48, 64, 80, 96, 128)),
           "highcpu": (1.0, (2, 4, 8, 16, 32, 48, 64, 80, 96)),
           "highmem": (8.0, (2, 4, 8, 16, 32, 48, 64, 80, 96, 128))},
    "n2d": {"standard": (4.0, (2, 4, 8, 16, 32, 48, 64, 80, 96, 128, 224)),
            "highcpu": (1.0, (2, 4, 8, 16, 32, 48, 64, 80, 96, 128, 224)),
            "highmem": (8.0, (2, 4, 8, 16, 32, 48, 64, 80, 96))},
}

# shared-core types: name -> (vCPUs, GB)
SHARED_CORE: dict[str, tuple[int, float]] = {
    "e2-micro": (2, 1.0), "e2-small": (2, 2.0), "e2-medium": (2, 4.0), "f1-micro": (1, 0.6), "g1-small": (1, 1.7),
}


@dataclass(frozen=True)
class CustomRule:
    """What a series allows in a custom machine type: vCPU counts, MB of memory per vCPU, extended memory."""

    prefix: str  # the name before the vCPU count: n2-custom, custom (N1)
    vcpus: tuple[int, ...]
    min_mb_per_vcpu: int
    max_mb_per_vcpu: int
    extended_max_gb: int = 0  # 0: no extended memory


CUSTOM: dict[str, CustomRule] = {
    "n1": CustomRule("custom", (1, *_steps(2, 96, 2)), 922, 6656, 624),
    "n2": CustomRule("n2-custom", (*_steps(2, 32, 2), *_steps(36, 128, 4)), 512, 8192, 624),
    "n2d": CustomRule("n2d-custom", (2, 4, 8, 16, 32, 48, 64, 80, 96), 512, 8192, 768),
    "e2": CustomRule("e2-custom", _steps(2, 32, 2), 512, 8192),
}

_PREDEFINED = re.compile(r"^(?P<series>[a-z][a-z0-9]*)-(?P<shape>[a-z]+)-(?P<vcpus>\d+)$")
_VARIANT = re.compile(r"^[a-z][a-z0-9]*-[a-z]+-\d+-(lssd|metal)$")  # C3/C3D local-SSD and bare-metal variants
_CUSTOM = re.compile(r"^(?:(?P<series>[a-z][a-z0-9]*)-)?custom-(?P<vcpus>\d+)-(?P<mb>\d+)(?P<ext>-ext)?$")


@dataclass(frozen=True)
class GcpMachine:
    """One machine type GCP offers: its series, vCPUs and GB of memory; ``custom`` for a custom type."""

    name: str
    series: str
    shape: str  # standard, highcpu, highmem, shared, custom
    vcpus: int
    memory_gb: float

    @property
    def custom(self) -> bool:
        return self.shape == "custom"


def known_series() -> tuple[str, ...]:
    """The series this table judges (sorted)."""
    return tuple(sorted({*PREDEFINED, *CUSTOM, *(n.split("-")[0] for n in SHARED_CORE)}))


def _series_of(name: str) -> str:
    return "n1" if name.startswith("custom-") else name.split("-")[0]


def gcp_machine(name: str) -> GcpMachine | None:
    """The GCP machine type ``name``: its vCPUs and memory. ``None`` for a series this table does not judge
    (``known_series``). Raises ``UnsupportedError`` for a type of a known series that GCP does not offer (a
    size the series lacks, a shape it lacks, a custom type outside the series' rules), with the nearest
    real types in the hint."""
    if name in SHARED_CORE:
        vcpus, gb = SHARED_CORE[name]
        return GcpMachine(name, name.split("-")[0], "shared", vcpus, gb)
    series = _series_of(name)
    if series not in known_series() or _VARIANT.match(name):
        return None
    c = _CUSTOM.match(name)
    if c is not None:
        return _custom(name, series, int(c["vcpus"]), int(c["mb"]), bool(c["ext"]))
    m = _PREDEFINED.match(name)
    shapes = PREDEFINED.get(series, {})
    if m is None or m["shape"] not in shapes:
        offered = [f"{series}-{s}-N ({', '.join(map(str, v[1]))})" for s, v in sorted(shapes.items())]
        if series in CUSTOM:
            offered.append(f"custom {CUSTOM[series].prefix}-VCPUS-MEMORY_MB")
        raise UnsupportedError.single(
            f"GCP offers no machine type '{name}'",
            hint=f"{series} offers " + "; ".join(offered or [", ".join(n for n in SHARED_CORE if n.startswith(series))])
            + " (Compute Engine machine families)")
    gb, sizes = shapes[m["shape"]]
    vcpus = int(m["vcpus"])
    if vcpus not in sizes:
        raise UnsupportedError.single(
            f"GCP offers no machine type '{name}': {series}-{m['shape']} comes in {', '.join(map(str, sizes))} vCPUs",
            hint="nearest: " + ", ".join(f"{series}-{m['shape']}-{n}" for n in _nearest(vcpus, sizes))
            + _custom_hint(series))
    return GcpMachine(name, series, m["shape"], vcpus, vcpus * gb)


def _nearest(n: int, sizes: tuple[int, ...]) -> list[int]:
    """The offered size just below ``n`` and the one just above (one when ``n`` is outside the range)."""
    below = [s for s in sizes if s < n]
    above = [s for s in sizes if s > n]
    return [*below[-1:], *above[:1]]


def _custom_hint(series: str) -> str:
    rule = CUSTOM.get(series)
    if rule is None:
        return ""
    return f"; or a custom type {rule.prefix}-VCPUS-MEMORY_MB"


def _custom(name: str, series: str, vcpus: int, mb: int, ext: bool) -> GcpMachine:
    rule = CUSTOM.get(series)
    if rule is None:
        raise UnsupportedError.single(
            f"GCP offers no custom machine type in series {series} ('{name}')",
            hint="custom types exist for " + ", ".join(f"{s} ({r.prefix}-VCPUS-MEMORY_MB)"
                                                       for s, r in sorted(CUSTOM.items())))
    if not name.startswith(rule.prefix + "-"):
        raise UnsupportedError.single(f"GCP names a {series} custom type {rule.prefix}-VCPUS-MEMORY_MB, not '{name}'",
                                      hint=f"write {rule.prefix}-{vcpus}-{mb}{'-ext' if ext else ''}")
    problems: list[str] = []
    hints: list[str] = []
    if vcpus not in rule.vcpus:
        problems.append(f"{vcpus} vCPUs is not a custom size of {series}")
        hints.append("nearest vCPU counts: " + ", ".join(map(str, _nearest(vcpus, rule.vcpus))))
    if mb % 256:
        problems.append(f"{mb} MB is not a multiple of 256 MB")
        lo = mb // 256 * 256
        hints.append(f"memory {lo} or {lo + 256} MB")
    low, high = vcpus * rule.min_mb_per_vcpu, vcpus * rule.max_mb_per_vcpu
    if ext and not rule.extended_max_gb:
        problems.append(f"{series} has no extended memory (-ext)")
        hints.append(f"at most {high} MB without -ext")
    ceiling = rule.extended_max_gb * 1024 if ext and rule.extended_max_gb else high
    if vcpus in rule.vcpus and not low <= mb <= ceiling:
        per = f"{rule.min_mb_per_vcpu}-{rule.max_mb_per_vcpu} MB per vCPU"
        problems.append(f"{mb} MB is outside {low}-{ceiling} MB for {vcpus} vCPUs ({per}"
                        + (f", up to {rule.extended_max_gb} GB with -ext" if ext and rule.extended_max_gb else "")
                        + ")")
        if mb > high and rule.extended_max_gb and not ext:
            hints.append(f"add -ext for extended memory (up to {rule.extended_max_gb} GB), or at most {high} MB")
        elif not (ext and not rule.extended_max_gb):
            hints.append(f"memory between {low} and {ceiling} MB")
    if problems:
        raise UnsupportedError.single(f"GCP offers no custom machine type '{name}': " + "; ".join(problems),
                                      hint="; ".join(hints) + " (Compute Engine custom machine types)")
    return GcpMachine(name, series, "custom", vcpus, mb / 1024)
