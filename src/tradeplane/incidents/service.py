"""The incidents runtime: intake, responder actions, enrichment and escalation in one process.

Writes are serialised by one asyncio lock and run in a worker thread (SQLAlchemy is
synchronous), so grouping never races and SQLite never sees two writers.

**Group commit**: an intake request puts its batch on a bounded queue (``intake_queue``
payloads; a full queue makes the request wait: back-pressure, never a drop) and awaits its
result. One writer task takes every batch waiting (up to ``group_commit_alerts`` alerts) and
ingests them in one transaction, then answers each request: a burst of single-alert POSTs
costs a few commits, not one each, and every answer still follows its commit. A batch that
fails alone is retried alone, so one bad payload never fails its neighbours.

Three more background tasks, none on the request path: the **enricher** (a bounded queue of
new incidents; evidence is appended to the timeline), the **escalator** (every
``escalation_tick_s``, or at once when woken, it pages every triggered incident whose next
page is due — webhook and SMTP deliveries — and records each delivery in the timeline).
Pages are recorded after they are sent, so a kill in between sends a page twice, never zero
times. ``stop()`` drains: queued intake batches are committed and answered, queued
enrichments run (within ``drain_s``), then the tasks stop; nothing that matters for safety
depends on it: every acknowledged alert is already committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

import httpx
from sqlalchemy import select

from tradeplane.estate.model import Estate
from tradeplane.incidents.actions import act
from tradeplane.incidents.alerts import Alert
from tradeplane.incidents.config import Config
from tradeplane.incidents.enrich import Enricher
from tradeplane.incidents.escalation import page_for
from tradeplane.incidents.intake import Intake, IntakeResult
from tradeplane.incidents.lifecycle import Action, Status
from tradeplane.incidents.notify import Delivery, Message, Notifier
from tradeplane.incidents.store import IncidentRow, iso, open_database, sessions
from tradeplane.incidents.timeline import append
from tradeplane.incidents.views import Scope

__all__ = ["Service"]

log = logging.getLogger("tradeplane.incidents")
T = TypeVar("T")


@dataclass
class _Job:
    """One intake request waiting for the writer."""

    alerts: Sequence[Alert]
    source: str
    now: datetime
    done: asyncio.Future[IntakeResult] = field(repr=False)


class Service:
    """Everything the API calls. Build with a loaded config and estate; ``await start()``."""

    def __init__(self, config: Config, estate: Estate, *, clock: Callable[[], datetime] | None = None,
                 intake_queue: int = 10_000, group_commit_alerts: int = 5_000, drain_s: float = 10.0) -> None:
        self.config = config
        self.estate = estate
        self.clock = clock or (lambda: datetime.now(UTC))
        self.engine = open_database(config.database_url(), config.where("database"))
        self.sessions = sessions(self.engine)
        self.intake = Intake(self.sessions, estate, config.grouping_rules())
        self.enricher = Enricher(estate, config.enrich)
        self.notifier = Notifier(config.notify)
        self._lock = asyncio.Lock()
        self._paging = asyncio.Lock()
        self._queue: asyncio.Queue[tuple[int, dict[str, str], dict[str, str]]] = asyncio.Queue(maxsize=1000)
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._client: httpx.AsyncClient | None = None
        self._running = False
        self.intake_queue, self.group_commit_alerts, self.drain_s = intake_queue, group_commit_alerts, drain_s
        self._jobs: asyncio.Queue[_Job | None] = asyncio.Queue(maxsize=intake_queue)
        self._writer: asyncio.Task[None] | None = None
        self.commits = 0  # intake transactions (for the benchmark: requests per commit)

    # ------------------------------------------------------------------ lifecycle of the runtime

    async def start(self, *, background: bool = True) -> None:
        """Open the HTTP client; with ``background``, start the enricher and the escalator
        (tests drive ``enrich`` and ``escalate_due`` themselves)."""
        self._running = True
        # asyncio primitives belong to the loop that runs the service
        self._lock, self._paging, self._wake = asyncio.Lock(), asyncio.Lock(), asyncio.Event()
        self._queue = asyncio.Queue(maxsize=1000)
        self._jobs = asyncio.Queue(maxsize=self.intake_queue)
        self._client = httpx.AsyncClient()
        self._writer = asyncio.create_task(self._write_loop(), name="incidents-intake")
        if background:
            self._tasks = [asyncio.create_task(self._enrich_loop(), name="incidents-enrich"),
                           asyncio.create_task(self._escalate_loop(), name="incidents-escalate")]

    async def stop(self) -> None:
        self._running = False
        self._wake.set()
        if self._writer is not None:  # commit and answer what is queued, then stop
            await self._jobs.put(None)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.drain_s):
                    await asyncio.shield(self._writer)
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
            self._writer = None
            while not self._jobs.empty():  # not committed: the sender gets an error and retries
                job = self._jobs.get_nowait()
                if job is not None and not job.done.done():
                    job.done.set_exception(RuntimeError("the incidents service is stopping"))
        if self._tasks:  # evidence for incidents already opened, within the drain time
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.drain_s):
                    while not self._queue.empty():
                        await self.enrich(*self._queue.get_nowait())
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        self._tasks = []
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        self.engine.dispose()

    async def _write(self, fn: Callable[[], T]) -> T:
        async with self._lock:
            return await asyncio.to_thread(fn)

    async def read(self, fn: Callable[[Any], T]) -> T:
        def run() -> T:
            with self.sessions() as s:
                return fn(s)

        return await asyncio.to_thread(run)

    # ------------------------------------------------------------------ what the API calls

    async def ingest(self, alerts: Sequence[Alert], source: str) -> IntakeResult:
        """Store a batch (committed when this returns, possibly with other requests' batches
        in the same transaction), then queue enrichment and wake paging."""
        now = self.clock()
        if self._writer is None or self._writer.done():  # not started: write directly
            result = await self._write(lambda: self.intake.ingest(alerts, source, now))
            self.commits += 1
        else:
            job = _Job(alerts, source, now, asyncio.get_running_loop().create_future())
            await self._jobs.put(job)
            result = await job.done
        self._after(result)
        return result

    async def _write_loop(self) -> None:
        """The intake writer: every waiting batch in one transaction (group commit)."""
        stopping = False
        while not stopping:
            first = await self._jobs.get()
            if first is None:
                break
            jobs, alerts = [first], len(first.alerts)
            while alerts < self.group_commit_alerts and not self._jobs.empty():
                job = self._jobs.get_nowait()
                if job is None:
                    stopping = True
                    break
                jobs.append(job)
                alerts += len(job.alerts)
            await self._commit(jobs)

    async def _commit(self, jobs: list[_Job]) -> None:
        batches = [(j.alerts, j.source, j.now) for j in jobs]
        try:
            results = await self._write(lambda: self.intake.ingest_many(batches))
            self.commits += 1
        except Exception as exc:
            if len(jobs) == 1:
                if not jobs[0].done.done():
                    jobs[0].done.set_exception(exc)
                return
            for j in jobs:  # find the bad one: each alone
                await self._commit([j])
            return
        for j, r in zip(jobs, results, strict=True):
            if not j.done.done():  # the client may have gone; its batch is committed anyway
                j.done.set_result(r)

    def _after(self, result: IntakeResult) -> None:
        for item in result.fresh:
            try:
                self._queue.put_nowait(item)
            except asyncio.QueueFull:
                log.warning("enrichment queue full; incident %s goes without evidence", item[0])
        if result.opened:
            self._wake.set()

    async def act(self, incident_id: int, action: Action, actor: str, scope: Scope, *, text: str = "",
                  item: int | None = None) -> dict[str, Any]:
        now = self.clock()

        def run() -> dict[str, Any]:
            with self.sessions.begin() as s:
                return act(s, incident_id, action, actor, now, text=text, scope=scope, item=item)

        entry = await self._write(run)
        if action is Action.REOPEN:
            self._wake.set()
        return entry

    # ------------------------------------------------------------------ enrichment

    async def _enrich_loop(self) -> None:
        while True:
            incident_id, labels, annotations = await self._queue.get()
            try:
                await self.enrich(incident_id, labels, annotations)
            except Exception:
                log.exception("enrichment of incident %s failed", incident_id)

    async def enrich(self, incident_id: int, labels: dict[str, str], annotations: dict[str, str]) -> None:
        assert self._client is not None
        evidence = await self.enricher.evidence(labels, annotations, self._client)
        if not evidence:
            return
        now = self.clock()

        def run() -> None:
            with self.sessions.begin() as s:
                row = s.get(IncidentRow, incident_id)
                if row is not None:
                    append(s, row, "enrichment", Action.EVIDENCE.value, evidence, now)

        await self._write(run)

    # ------------------------------------------------------------------ escalation

    async def _escalate_loop(self) -> None:
        while self._running:
            try:
                await self.escalate_due()
            except Exception:
                log.exception("escalation pass failed")
            # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancellation
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.config.escalation_tick_s):
                    await self._wake.wait()
            self._wake.clear()

    async def escalate_due(self) -> int:
        """Send every page that is due now; return how many incidents were paged. Passes never
        overlap (one page per step)."""
        async with self._paging:
            return await self._escalate_due()

    async def _escalate_due(self) -> int:
        now = self.clock()
        stamp = iso(now)

        def due(s: Any) -> list[tuple[int, int, str, str, str | None, str]]:
            rows = s.scalars(select(IncidentRow).where(IncidentRow.status == Status.TRIGGERED.value,
                                                       IncidentRow.next_escalation_at.is_not(None),
                                                       IncidentRow.next_escalation_at <= stamp)
                             .order_by(IncidentRow.id).limit(200)).all()
            return [(r.id, r.escalation_step, r.title, r.severity, r.desk, r.status) for r in rows]

        paged = 0
        for incident_id, step, title, severity, desk, status in await self.read(due):
            page = page_for(self.estate, desk, severity, step, now) if desk else None
            deliveries: list[Delivery] = []
            if page is not None:
                message = Message(incident_id, title, severity, status, desk,
                                  self._summary(desk, page.market_basis, step),
                                  self._link(incident_id))
                deliveries = await self._send(page.recipients, message)
            await self._write(partial(self._record_page, incident_id, step, page, deliveries, now))
            paged += 1
        return paged

    def _summary(self, desk: str | None, market: str, step: int) -> str:
        return (f"desk {desk or '-'}; escalation step {step + 1}; market {market}. "
                "Acknowledge to stop the escalation.")

    def _link(self, incident_id: int) -> str:
        base = self.config.notify.console_url.rstrip("/")
        return f"{base}/api/v1/incidents/{incident_id}" if base else ""

    async def _send(self, recipients: Sequence[Any], message: Message) -> list[Delivery]:
        assert self._client is not None
        jobs = []
        hooks_sent: set[str] = set()
        for r in recipients:
            if "webhook" in r.channels:
                hook = r.webhook or self.config.notify.webhook or ""
                if hook not in hooks_sent:  # one chat message per channel, not one per person
                    hooks_sent.add(hook)
                    jobs.append(self.notifier.webhook(r.webhook, message, self._client))
            if "email" in r.channels:
                jobs.append(self.notifier.email(r.email, message))
        return list(await asyncio.gather(*jobs))

    def _record_page(self, incident_id: int, step: int, page: Any, deliveries: list[Delivery],
                     now: datetime) -> None:
        with self.sessions.begin() as s:
            row = s.get(IncidentRow, incident_id)
            if row is None or row.escalation_step != step:
                return
            if page is None:
                why = (f"no escalation policy for desk {row.desk}" if step == 0
                       else "the escalation policy is exhausted; nobody acknowledged")
                append(s, row, "escalation", Action.ESCALATE.value, {"step": step, "exhausted": True, "why": why},
                       now)
                row.next_escalation_at = None
                return
            append(s, row, "escalation", Action.PAGE.value if step == 0 else Action.ESCALATE.value,
                   {**page.to_json(), "deliveries": [d.to_json() for d in deliveries]}, now)
            row.escalation_step = step + 1
            if row.status == Status.TRIGGERED.value:
                row.next_escalation_at = iso(page.next_at) if page.next_at else None
