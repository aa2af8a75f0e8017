"""The chain reorganisation watcher: several endpoints per chain, reorgs, disagreement, finality.

One :class:`ChainWatcher` per chain polls every endpoint (``step`` once, or ``run`` until
stopped). Per endpoint a :class:`~tradeplane.security.chain.tracker.ChainTracker` follows its
canonical chain; the first healthy endpoint is the reference the deposit ledger follows.

Alerts (Alertmanager webhook v4 shape, through the sink), each resolving by itself:

- ``ChainReorgDeep`` (critical): a reorg deeper than ``max_reorg_depth``; ``ChainReorg``
  (warning) for any shallower one. Both resolve when the chain has settled (no reorg or
  disagreement for ``settle_blocks``), which is also when raised confirmations fall back.
- ``ChainEndpointUnhealthy`` (warning): an endpoint timed out or answered garbage (it is skipped, never fatal).
- ``ChainBlind`` (critical): every endpoint of the chain is unhealthy at once, so no reorg, deposit
  or finality stall can be seen; resolves when one answers again. Its own alert, not only the
  endpoints' warnings: one endpoint down is redundancy at work, all of them down is blindness.
- ``ChainEndpointDisagreement``: two healthy endpoints hold different hashes at one height, or
  one lags the best by more than ``lag_blocks``.
- ``ChainFinalityStall`` (Ethereum, ``use_finalized``): head time minus finalized time exceeds
  ``finality_stall_s`` (block timestamps, so replays are deterministic).

Deposit events (credited, reversed) go to ``on_deposit`` exactly once each.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tradeplane.estate import ChainWatch
from tradeplane.security.alerts import Alert, AlertSink
from tradeplane.security.chain.policy import ConfirmationPolicy, Deposit, DepositEvent, Ledger
from tradeplane.security.chain.rpc import Endpoint, EndpointError
from tradeplane.security.chain.tracker import ChainTracker, Reorg

__all__ = ["ChainWatcher", "EndpointState"]


@dataclass
class EndpointState:
    endpoint: Endpoint
    tracker: ChainTracker = field(default_factory=ChainTracker)
    healthy: bool = True
    error: str = ""


class ChainWatcher:
    def __init__(self, chain: ChainWatch, endpoints: Sequence[Endpoint], sink: AlertSink,
                 on_deposit: Callable[[DepositEvent], None] | None = None, lag_blocks: int = 3,
                 settle_blocks: int = 100, clock_ns: Callable[[], int] = time.time_ns) -> None:
        self.chain = chain
        depth = max(32, chain.confirmations * chain.raise_factor + chain.max_reorg_depth + 1)
        self.states = [EndpointState(e, ChainTracker(window=max(256, 2 * depth), backfill=depth)) for e in endpoints]
        self.sink = sink
        self.on_deposit = on_deposit or (lambda event: None)
        self.lag_blocks = lag_blocks
        self.policy = ConfirmationPolicy(chain, settle_blocks)
        self.ledger = Ledger(self.policy)
        self.clock_ns = clock_ns
        self.reorgs: list[Reorg] = []
        self._firing: dict[tuple[str, ...], Alert] = {}
        self._seen_orphans: set[str] = set()

    # ------------------------------------------------------------------ public

    def track(self, deposit: Deposit) -> None:
        self.ledger.add(deposit)

    @property
    def blind(self) -> bool:
        """True when every endpoint failed its last poll (``ChainBlind`` is firing)."""
        return bool(self.states) and not any(s.healthy for s in self.states)

    @property
    def required_confirmations(self) -> int:
        tip = self._reference_tip()
        return self.policy.required(tip if tip is not None else 0)

    async def step(self) -> None:
        """Poll every endpoint once and emit what changed."""
        alerts: list[Alert] = []
        finalized: int | None = None
        finalized_time: int | None = None
        for state in self.states:
            name = state.endpoint.name
            try:
                reorg = await state.tracker.sync(state.endpoint)
                if self.chain.use_finalized and finalized is None:
                    header = await state.endpoint.finalized()
                    if header is not None:
                        finalized, finalized_time = header.number, header.time
            except EndpointError as exc:
                state.healthy, state.error = False, str(exc)
                self._fire(alerts, ("unhealthy", name), "ChainEndpointUnhealthy", "warning", {"endpoint": name},
                           f"{name} is unhealthy: {exc}")
                continue
            state.healthy, state.error = True, ""
            self._resolve(alerts, ("unhealthy", name))
            if reorg is not None:
                self._on_reorg(alerts, name, reorg)
        if self.blind:
            self._fire(alerts, ("blind",), "ChainBlind", "critical", {},
                       f"every endpoint of {self.chain.name} is unhealthy ("
                       + "; ".join(s.error or s.endpoint.name for s in self.states)
                       + "): reorgs, deposit reversals and finality stalls cannot be seen")
        else:
            self._resolve(alerts, ("blind",))
        self._check_agreement(alerts)
        tip = self._reference_tip()
        reference = self._reference()
        if tip is not None and reference is not None:
            if finalized_time is not None and reference.tracker.tip is not None:
                stalled = reference.tracker.tip.time - finalized_time > self.chain.finality_stall_s
                key: tuple[str, ...] = ("finality",)
                if stalled:
                    self._fire(alerts, key, "ChainFinalityStall", "critical", {},
                               f"finalized block {finalized} is {reference.tracker.tip.time - finalized_time} s "
                               f"behind the head (limit {self.chain.finality_stall_s} s)")
                else:
                    self._resolve(alerts, key)
            canonical = {n: h.hash for n, h in reference.tracker.chain.items()}
            for event in self.ledger.on_head(tip, canonical, finalized):
                self.on_deposit(event)
            if self.policy.required(tip) == self.chain.confirmations:
                for key in [k for k in self._firing if k[0] in ("reorg", "unsettled")]:
                    self._resolve(alerts, key)
        self.sink.send(alerts)

    async def run(self, poll_s: float, stop: asyncio.Event) -> None:
        """Poll every ``poll_s`` seconds until ``stop`` is set; then close the endpoints."""
        try:
            while not stop.is_set():
                await self.step()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), poll_s)
        finally:
            for state in self.states:
                await state.endpoint.close()

    # ------------------------------------------------------------------ internals

    def _reference(self) -> EndpointState | None:
        return next((s for s in self.states if s.healthy and s.tracker.tip is not None), None)

    def _reference_tip(self) -> int | None:
        reference = self._reference()
        return reference.tracker.tip.number if reference and reference.tracker.tip else None

    def _on_reorg(self, alerts: list[Alert], endpoint: str, reorg: Reorg) -> None:
        new = set(reorg.orphaned) - self._seen_orphans
        if not new:
            return  # another endpoint already reported this one
        self._seen_orphans |= set(reorg.orphaned)
        self.reorgs.append(reorg)
        self.policy.trouble(reorg.new_tip)
        deep = reorg.depth > self.chain.max_reorg_depth
        depth = f"{'at least ' if reorg.at_least else ''}{reorg.depth}"
        self._fire(alerts, ("reorg", str(reorg.ancestor), str(reorg.old_tip)),
                   "ChainReorgDeep" if deep else "ChainReorg", "critical" if deep else "warning",
                   {"depth": str(reorg.depth), "ancestor": str(reorg.ancestor), "endpoint": endpoint},
                   f"reorg of depth {depth} after block {reorg.ancestor} (tip {reorg.old_tip} -> {reorg.new_tip}); "
                   f"orphaned {', '.join(reorg.orphaned)}; confirmations now {self.policy.required(reorg.new_tip)}")
        for event in self.ledger.on_orphaned(set(reorg.orphaned), reorg.new_tip):
            self.on_deposit(event)

    def _check_agreement(self, alerts: list[Alert]) -> None:
        healthy = [s for s in self.states if s.healthy and s.tracker.tip is not None]
        problems: list[str] = []
        if len(healthy) >= 2:
            best = max(s.tracker.tip.number for s in healthy if s.tracker.tip)
            common = min(s.tracker.tip.number for s in healthy if s.tracker.tip)
            hashes = {s.endpoint.name: s.tracker.hash_at(common) for s in healthy}
            if len({h for h in hashes.values() if h}) > 1:
                problems.append(f"endpoints disagree at block {common}: "
                                + ", ".join(f"{n}={h}" for n, h in sorted(hashes.items())))
            for s in healthy:
                if s.tracker.tip and best - s.tracker.tip.number > self.lag_blocks:
                    problems.append(f"{s.endpoint.name} lags {best - s.tracker.tip.number} blocks behind")
        key = ("disagreement",)
        if problems:
            if key not in self._firing:
                tip = self._reference_tip()
                self.policy.trouble(tip or 0)
            self._fire(alerts, key, "ChainEndpointDisagreement", "warning", {}, "; ".join(problems))
        else:
            self._resolve(alerts, key)

    def _fire(self, alerts: list[Alert], key: tuple[str, ...], name: str, severity: str, labels: dict[str, str],
              description: str) -> None:
        if key in self._firing:
            return
        alert = Alert("firing", {"alertname": name, "severity": severity, "chain": self.chain.name,
                                 "source": "tradeplane-chain", "desk": "crypto", **labels},
                      {"summary": f"{name} on {self.chain.name}", "description": description,
                       "runbook_url": "docs/security.md#chain-reorganisation-watch"}, self.clock_ns())
        self._firing[key] = alert
        alerts.append(alert)

    def _resolve(self, alerts: list[Alert], key: tuple[str, ...]) -> None:
        alert = self._firing.pop(key, None)
        if alert is not None:
            alerts.append(Alert("resolved", alert.labels, alert.annotations, alert.starts_ns, self.clock_ns()))
