"""OpenTelemetry spans, only when an OTLP endpoint is configured.

With ``OTEL_EXPORTER_OTLP_ENDPOINT`` unset (the default) ``span`` is a ``nullcontext`` and
``record`` returns at once: nothing is imported and nothing is allocated beyond one cached
environment lookup. With it set, the first call installs a ``TracerProvider`` (service name from
``OTEL_SERVICE_NAME``, default ``tradeplane``) exporting over OTLP/HTTP in batches; the
collector ``observe render`` writes forwards the spans to Cloud Trace and X-Ray.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager, nullcontext
from typing import Any

__all__ = ["enabled", "record", "span"]

_tracer: Any = None
_enabled: bool | None = None


def enabled() -> bool:
    """Whether spans are exported (``OTEL_EXPORTER_OTLP_ENDPOINT`` set); read once."""
    global _enabled
    if _enabled is None:
        _enabled = bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"))
    return _enabled


def _get_tracer() -> Any:
    global _tracer
    if _tracer is None:
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider = TracerProvider(resource=Resource.create(
            {"service.name": os.environ.get("OTEL_SERVICE_NAME", "tradeplane")}))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
        _tracer = trace.get_tracer("tradeplane")
    return _tracer


def span(name: str, **attributes: str | int | float | bool) -> AbstractContextManager[Any]:
    """A span around a block (``with span("tradeplane.plan", estate=e.name): ...``)."""
    if not enabled():
        return nullcontext()
    return _get_tracer().start_as_current_span(name, attributes=attributes)  # type: ignore[no-any-return]


def record(name: str, **attributes: str | int | float | bool) -> None:
    """A zero-length span marking an event (a gateway start, a snapshot fetch)."""
    if enabled():
        _get_tracer().start_span(name, attributes=attributes).end()
