"""Evidence attached to an incident automatically, from the alert's labels.

- feed alert (``stream`` or a feed event for a ``venue``): the gateway's health snapshot for
  that stream, read from the gateway's ``/status`` endpoint (``enrich.gateway_status_url``);
  without one, or when it does not answer, the evidence says so;
- hybrid link alert (``link``): what ``tradeplane.net``'s single-failure analysis says about
  the link (the declared flows that break when one of its attachments, connections, virtual
  interfaces, tunnels or legs fails), and which declared flows lose reachability with the whole
  link down (the data plane rebuilt without every element of the link);
- cost anomaly: its top resources (the drivers the anomaly carries);
- always: the runbook link (the alert's ``runbook_url``, else ``runbook_base`` + alert name).

Each analysis is computed once per link (the estate is immutable) in a worker thread.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import httpx

from tradeplane.estate.model import Estate
from tradeplane.incidents.config import EnrichConfig

__all__ = ["Enricher", "feed_snapshot", "link_impact"]


def feed_snapshot(status: dict[str, Any], venue: str | None, stream: str | None) -> dict[str, Any]:
    """The streams and legs of a gateway ``/status`` picture that concern ``stream`` (exact) or
    ``venue`` (every stream and leg whose name starts with the venue)."""
    def concerns(name: str) -> bool:
        if stream:
            return name == stream or name.startswith(stream + "/")
        return bool(venue) and (name == venue or name.startswith(f"{venue}/") or name.startswith(f"{venue}:"))

    streams = [s for s in status.get("streams", []) if concerns(str(s.get("stream", "")))]
    legs = [leg for leg in status.get("legs", [])
            if concerns(str(leg.get("leg", ""))) or (venue and str(leg.get("leg", "")).split("/")[0] == venue)]
    return {"streams": streams, "legs": legs}


def _declared_flows(estate: Estate) -> list[tuple[str, str, str, tuple[Any, ...]]]:
    flows: set[tuple[str, str, str, tuple[Any, ...]]] = set()
    for w in estate.workloads:
        for dep in w.depends_on:
            flows.add((w.name, dep.workload, dep.protocol.value, tuple(dep.ports)))
        for v in w.venues:
            flows.add((w.name, v, "tcp", ()))
    for i in estate.intents:
        if i.kind == "reachable":
            flows.add((i.src, i.dst, i.protocol.value, tuple(i.ports)))
    return sorted(flows, key=lambda f: (f[0], f[1], f[2], tuple(str(p) for p in f[3])))


def link_impact(estate: Estate, link: str) -> dict[str, Any]:
    """What the network analysis says about ``link`` failing (see the module docstring)."""
    from tradeplane.errors import InputError
    from tradeplane.net import CHECKS, Context, failure_elements, verify
    from tradeplane.net import checks as _checks  # noqa: F401 - registers the checks
    from tradeplane.net.verify import flow_text

    elements = [e for e, owner in failure_elements(estate) if owner == link]
    if not elements:
        return {"link": link, "analysis": "unavailable",
                "why": f"'{link}' is not a hybrid link of the estate (interconnect, Direct Connect, VPN, cross-cloud)"}
    chosen = [c for c in CHECKS if c.id == "single-failure"]
    report = verify(estate, checks=chosen)
    single = [{"title": f.title, "detail": f.detail, "fix": f.fix} for f in report.findings
              if any(f"when {e} fails" in f.title for e in elements)]
    survives = [p for p in report.passed if p.endswith(f" {link}") or f" {link}," in p or f"of {link}" in p]
    ctx = Context(estate)
    failed = frozenset(elements)
    lost: list[dict[str, str]] = []
    for src, dst, proto, ports in _declared_flows(estate):
        try:
            base = ctx.ask(src, dst, proto, ports)
        except InputError:
            continue
        if base.verdict == "unreachable" or not any(link in p.links() for p in base.pairs):
            continue
        down = ctx.ask(src, dst, proto, ports, failed=failed)
        if down.verdict != "reachable":
            lost.append({"flow": flow_text(src, dst, proto, ports), "verdict": down.verdict})
    return {"link": link, "elements": elements, "single_failure_breaks": single,
            "single_failure_survives": sorted(survives), "whole_link_down_loses": lost}


class Enricher:
    """Computes evidence for one alert's labels and annotations."""

    def __init__(self, estate: Estate, config: EnrichConfig) -> None:
        self.estate = estate
        self.config = config
        self._links: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def _link(self, link: str) -> dict[str, Any]:
        with self._lock:
            if link not in self._links:
                self._links[link] = link_impact(self.estate, link)
            return self._links[link]

    async def evidence(self, labels: dict[str, str], annotations: dict[str, str],
                       client: httpx.AsyncClient) -> dict[str, Any]:
        out: dict[str, Any] = {}
        name = labels.get("alertname", "")
        runbook = annotations.get("runbook_url") or (
            f"{self.config.runbook_base.rstrip('/')}/{name}" if self.config.runbook_base and name else None)
        if runbook:
            out["runbook"] = runbook
        event = labels.get("tradeplane_event", "")
        if labels.get("stream") or event in ("feed_stale", "feed_gap", "resync_storm") or name.startswith("Feed"):
            out["feed"] = await self._feed(labels, client)
        link = labels.get("link", "").split("/", 1)[0]
        if link and self.config.net_analysis:
            try:
                out["network"] = await asyncio.to_thread(self._link, link)
            except Exception as exc:
                out["network"] = {"link": link, "analysis": "failed", "why": f"{type(exc).__name__}: {exc}"}
        if event == "cost_anomaly" or name == "CostAnomaly":
            out["cost"] = _cost(annotations)
        return out

    async def _feed(self, labels: dict[str, str], client: httpx.AsyncClient) -> dict[str, Any]:
        url = self.config.gateway_status_url
        if not url:
            return {"snapshot": "unavailable", "why": "no gateway status endpoint configured (enrich.gateway_status_url)"}
        target = url.rstrip("/") + ("" if url.rstrip("/").endswith("/status") else "/status")
        try:
            r = await client.get(target, timeout=3)
            r.raise_for_status()
            status = r.json()
        except (httpx.HTTPError, ValueError) as exc:
            return {"snapshot": "unavailable", "why": f"gateway status {target}: {type(exc).__name__}: {exc}"}
        return {"source": target, **feed_snapshot(status, labels.get("venue"), labels.get("stream"))}


def _cost(annotations: dict[str, str]) -> dict[str, Any]:
    try:
        evidence = json.loads(annotations.get("evidence", "{}"))
    except ValueError:
        evidence = {}
    drivers = evidence.get("drivers") or []
    top = sorted(drivers, key=lambda d: -float(d.get("excess", 0)))[:5]
    return {"top_resources": top, "excess": evidence.get("excess"), "service": evidence.get("service")} if top \
        else {"top_resources": [], "why": "the anomaly carried no drivers"}
