"""``observe lint``: does a /metrics exposition follow the standard?

Rules (after the Prometheus naming guide and OpenMetrics):

* ``prefix``: the name starts with a service prefix (``feeds_``, ``hybrid_``, or a service of the
  estate's ``observability.services``); client runtime metrics (``process_``, ``python_``, ``go_``)
  are exempt;
* ``type``: every metric has a type (no ``untyped``/``unknown``); counters end in ``_total`` and
  nothing else does;
* ``unit``: base units only (``_seconds`` not ``_milliseconds``, ``_bytes`` not ``_kilobytes``,
  ratios not ``_percent``); histograms and summaries carry their unit;
* ``declared``: a metric under a service prefix is one the standard declares for that service,
  with the same type;
* ``label``: every series carries the labels the standard declares for it (``venue``, ``leg``,
  ``channel``/``symbol``, ``link``...); ``desk``, ``team`` and ``env`` are target labels the
  scrape job adds from the estate (``observe render`` writes it) and are therefore not required
  from the service itself;
* ``cardinality``: series per metric at most the metric's ``max_series`` or the standard's limit.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from pathlib import Path

from prometheus_client.metrics_core import Metric

from tradeplane.errors import InputError
from tradeplane.estate.model import Estate, MetricSpec, ObservabilityStandards
from tradeplane.observe.catalog import BUILTIN_SERVICES, builtin_metrics

__all__ = ["Finding", "fetch", "lint_text", "parse"]

#: Sample-name suffixes of a family in OpenMetrics (counter ``_total``, info ``_info``, histogram and
#: summary parts, ``_created``).
_OM_SUFFIXES = ("_total", "_info", "_bucket", "_count", "_sum", "_created", "_gcount", "_gsum")
_RUNTIME = ("process_", "python_", "go_", "promhttp_")
_NON_BASE = {
    "milliseconds": "seconds", "microseconds": "seconds", "nanoseconds": "seconds", "ms": "seconds",
    "us": "seconds", "ns": "seconds", "minutes": "seconds", "hours": "seconds", "kilobytes": "bytes",
    "megabytes": "bytes", "gigabytes": "bytes", "kb": "bytes", "mb": "bytes", "percent": "ratio",
    "bits": "bytes",
}
_UNITS = ("seconds", "bytes", "ratio", "meters", "volts", "amperes", "joules", "grams", "celsius", "info")


@dataclass(frozen=True, order=True)
class Finding:
    """One metric breaking one rule of the standard."""

    metric: str
    rule: str
    message: str

    def render(self) -> str:
        return f"{self.metric}: {self.rule}: {self.message}"


def fetch(source: str, timeout: float = 5.0) -> str:
    """The exposition text at ``source``: an http(s) URL (``/metrics`` appended when the path is
    empty) or a file. Raises ``InputError`` in one line when unreachable or unreadable."""
    if source.startswith(("http://", "https://")):
        import httpx

        url = source if re.match(r"^https?://[^/]+/.+", source) else source.rstrip("/") + "/metrics"
        try:
            response = httpx.get(url, timeout=timeout)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise InputError(f"{url}: cannot scrape ({type(exc).__name__}: {exc}); is the service running?") from None
        return response.text
    try:
        return Path(source).read_text()
    except OSError as exc:
        raise InputError(f"{source}: cannot read the scrape file ({exc.strerror})") from None


def _declared(estate: Estate | None) -> tuple[dict[str, str], dict[str, MetricSpec], ObservabilityStandards]:
    o = estate.observability if estate is not None else ObservabilityStandards()
    prefixes = {name: name for name in BUILTIN_SERVICES}
    specs: dict[str, MetricSpec] = {}
    for name in BUILTIN_SERVICES:
        specs.update({m.name: m for m in builtin_metrics(name)})
    for svc in o.services:
        prefixes[svc.name] = svc.name
        specs.update({m.name: m for m in svc.metrics})
    return prefixes, specs, o


def _openmetrics(text: str, source: str) -> list[Metric]:
    from prometheus_client.openmetrics.parser import text_string_to_metric_families

    try:
        return list(text_string_to_metric_families(text))  # type: ignore[no-untyped-call]
    except (ValueError, IndexError, KeyError) as exc:
        raise InputError(f"{source}: not an OpenMetrics exposition ({exc})") from None


def parse(text: str, source: str = "metrics") -> list[Metric]:
    """The metric families of an exposition, read by prometheus_client's parsers.

    OpenMetrics (its text ends with ``# EOF``, as the format requires) is read by the OpenMetrics
    parser: a counter family is named without ``_total`` and its samples carry it
    (``# TYPE feeds_msgs counter`` / ``feeds_msgs_total``), ``_created`` samples belong to their
    family. Anything else is read as the Prometheus text format (0.0.4); when that reading leaves a
    declared family without samples while a family of the same name plus a sample suffix carries
    them untyped, the text is OpenMetrics without its ``# EOF`` line and is read as such.
    Raises ``InputError`` (one line) when the text is neither, or holds no sample at all.
    """
    from prometheus_client.parser import text_string_to_metric_families

    lines = [line for line in text.splitlines() if line.strip()]
    if lines and lines[-1].strip() == "# EOF":
        families = _openmetrics(text, source)
    else:
        try:
            families = list(text_string_to_metric_families(text))
        except (ValueError, IndexError, KeyError) as exc:
            raise InputError(f"{source}: not a Prometheus exposition ({exc})") from None
        untyped = {f.name for f in families if f.type in ("unknown", "untyped") and f.samples}
        if any(not f.samples and f.type not in ("unknown", "untyped")
               and any(f.name + suffix in untyped for suffix in _OM_SUFFIXES) for f in families):
            # not OpenMetrics either: judge it as the Prometheus text it parsed as
            with contextlib.suppress(InputError):
                families = _openmetrics(text.rstrip("\n") + "\n# EOF\n", source)
    if not any(f.samples for f in families):
        raise InputError(f"{source}: nothing was scraped: the exposition holds no samples "
                         "(is it the right endpoint or file, and has the service registered its metrics?)")
    return families


def lint_text(text: str, estate: Estate | None = None, source: str = "metrics") -> list[Finding]:
    """Every finding of an exposition (Prometheus text or OpenMetrics, see :func:`parse`), sorted.
    Raises ``InputError`` when the text is not an exposition or holds no sample."""
    families = parse(text, source)
    prefixes, specs, o = _declared(estate)
    out: list[Finding] = []
    names = {f.name for f in families} | {f"{f.name}_total" for f in families if f.type == "counter"}
    for fam in families:
        name = fam.name
        if name.startswith(_RUNTIME) or not fam.samples:
            continue
        if name.endswith("_created") and (name[: -len("_created")] in names or
                                          name[: -len("_created")] + "_total" in names):
            continue  # the creation timestamps client libraries add next to counters and histograms
        exposed = f"{name}_total" if fam.type == "counter" else name
        service = name.split("_", 1)[0]
        if service not in prefixes or "_" not in name:
            out.append(Finding(exposed, "prefix", f"no service prefix: start it with one of "
                               f"{', '.join(sorted(p + '_' for p in prefixes))}"))
        if fam.type in ("untyped", "unknown"):
            hint = " (a name ending in _total is a counter's)" if name.endswith("_total") else ""
            out.append(Finding(exposed, "type", f"no TYPE: declare counter, gauge, histogram or summary{hint}"))
        elif fam.type != "counter" and name.endswith("_total"):
            out.append(Finding(exposed, "type", f"a {fam.type} must not end in _total (only counters do)"))
        parts = name.split("_")
        for part in parts[1:]:
            if part in _NON_BASE:
                out.append(Finding(exposed, "unit", f"'{part}' is not a base unit: use _{_NON_BASE[part]}"))
        if fam.type in ("histogram", "summary") and not any(p in _UNITS for p in parts):
            out.append(Finding(exposed, "unit", f"a {fam.type} carries its unit: e.g. {name}_seconds"))
        spec = specs.get(exposed)
        if spec is None and service in prefixes:
            out.append(Finding(exposed, "declared", f"not declared for service '{service}' in the standard"))
        elif spec is not None and spec.type != fam.type:
            out.append(Finding(exposed, "declared", f"declared as {spec.type}, exposed as {fam.type}"))
        series: set[tuple[tuple[str, str], ...]] = set()
        missing: set[str] = set()
        for sample in fam.samples:
            labels = {k: v for k, v in sample.labels.items() if k not in ("le", "quantile")}
            series.add(tuple(sorted(labels.items())))
            if spec is not None:
                missing.update(label for label in spec.labels if label not in labels)
        for label in sorted(missing):
            out.append(Finding(exposed, "label", f"series without the '{label}' label the standard requires"))
        limit = (spec.max_series if spec is not None and spec.max_series else None) or o.cardinality_limit
        if len(series) > limit:
            out.append(Finding(exposed, "cardinality", f"{len(series)} series, over the limit of {limit}"))
    return sorted(set(out))
