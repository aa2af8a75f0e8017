"""The runtimes' side of the intake: post alerts to the incidents service without ever waiting.

A runtime (the feeds gateway, the security watchers) calls :meth:`IntakePoster.offer` with
Alertmanager alert objects (``{"status", "labels", "annotations", "startsAt", "endsAt",
"generatorURL", "fingerprint"}``); the call appends them to a bounded queue and returns at
once, from any thread or event loop. One worker thread takes what is queued (up to ``batch``
alerts) and POSTs it as one Alertmanager webhook payload (version 4) to the intake
(``POST /api/v1/alerts/alertmanager``), exactly as Alertmanager would:

- a connection error, a timeout, 408, 429 or a 5xx is retried with exponential backoff
  (``retry_s`` doubling up to ``retry_cap_s``) until it is accepted — the intake is
  idempotent (fingerprint + startsAt), so a retry never duplicates;
- any other 4xx is the payload's fault and will not improve: the batch goes to ``fallback``;
- when the queue is full the *oldest* alerts go to ``fallback`` (the newest state wins);
- :meth:`close` drains: it keeps posting for up to ``drain_s``, then hands what is left to
  ``fallback``. The default fallback writes one webhook payload per line to stderr, so an
  alert is never silently lost.

Counters (``posted``, ``batches``, ``retries``, ``fallback``) say what happened.
"""

from __future__ import annotations

import collections
import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["IntakePoster", "webhook_payload"]

log = logging.getLogger("tradeplane.incidents.poster")


def webhook_payload(alerts: Sequence[dict[str, Any]], receiver: str) -> dict[str, Any]:
    """The Alertmanager webhook payload (version 4) carrying ``alerts``."""
    return {"version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0, "receiver": receiver,
            "status": "firing" if any(a.get("status") == "firing" for a in alerts) else "resolved",
            "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "",
            "alerts": list(alerts)}


def _stderr_lines(alerts: Sequence[dict[str, Any]]) -> None:
    sys.stderr.write(json.dumps(webhook_payload(alerts, "tradeplane-undelivered"), sort_keys=True) + "\n")
    sys.stderr.flush()


class IntakePoster:
    """A bounded queue of alerts and one thread that posts them (see the module docstring).

    ``url`` is the intake's base (``http://host:port``) or its full Alertmanager endpoint;
    ``token`` is sent as ``Authorization: Bearer``. Use as a context manager or call
    :meth:`start` and :meth:`close`."""

    def __init__(self, url: str, token: str | None = None, *, receiver: str = "tradeplane",
                 maxsize: int = 10_000, batch: int = 500, timeout_s: float = 5.0, retry_s: float = 0.2,
                 retry_cap_s: float = 5.0, drain_s: float = 5.0,
                 fallback: Callable[[Sequence[dict[str, Any]]], None] | None = None) -> None:
        base = url.rstrip("/")
        self.url = base if base.endswith("/api/v1/alerts/alertmanager") else base + "/api/v1/alerts/alertmanager"
        self.token, self.receiver = token, receiver
        self.maxsize, self.batch, self.timeout_s = maxsize, batch, timeout_s
        self.retry_s, self.retry_cap_s, self.drain_s = retry_s, retry_cap_s, drain_s
        self.fallback = fallback or _stderr_lines
        self.posted = self.batches = self.retries = self.fallback_count = 0
        self._queue: collections.deque[dict[str, Any]] = collections.deque()
        self._cond = threading.Condition()
        self._closing = False
        self._stop = threading.Event()  # wakes a backoff wait when close() is called
        self._deadline = float("inf")
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ the caller's side

    def offer(self, alerts: Sequence[dict[str, Any]]) -> None:
        """Queue ``alerts``; returns at once. Over ``maxsize``, the oldest go to the fallback."""
        if not alerts:
            return
        overflow: list[dict[str, Any]] = []
        with self._cond:
            self._queue.extend(alerts)
            while len(self._queue) > self.maxsize:
                overflow.append(self._queue.popleft())
            self._cond.notify()
        if overflow:
            self._give_up(overflow, "the queue is full")

    @property
    def pending(self) -> int:
        return len(self._queue)

    def start(self) -> IntakePoster:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="incidents-poster", daemon=True)
            self._thread.start()
        return self

    def close(self, drain_s: float | None = None) -> None:
        """Post what is queued for up to ``drain_s`` (default the constructor's), then hand the
        rest to the fallback and stop the thread."""
        wait = self.drain_s if drain_s is None else drain_s
        with self._cond:
            self._closing = True
            self._deadline = time.monotonic() + wait
            self._cond.notify_all()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(wait + self.timeout_s + 1)
            self._thread = None
        with self._cond:
            rest = list(self._queue)
            self._queue.clear()
        if rest:
            self._give_up(rest, "the service is stopping and the intake did not take them in time")

    def __enter__(self) -> IntakePoster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def counters(self) -> dict[str, int]:
        return {"posted": self.posted, "batches": self.batches, "retries": self.retries,
                "fallback": self.fallback_count, "pending": self.pending}

    # ------------------------------------------------------------------ the worker thread

    def _give_up(self, alerts: Sequence[dict[str, Any]], why: str) -> None:
        self.fallback_count += len(alerts)
        log.warning("%d alert(s) not posted to %s: %s; written to the fallback", len(alerts), self.url, why)
        try:
            self.fallback(alerts)
        except Exception:  # a broken fallback must not kill the thread
            log.exception("the poster's fallback failed")

    def _take(self) -> list[dict[str, Any]] | None:
        with self._cond:
            while not self._queue:
                if self._closing:
                    return None
                self._cond.wait()
            return [self._queue.popleft() for _ in range(min(self.batch, len(self._queue)))]

    def _run(self) -> None:
        import httpx

        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        with httpx.Client(timeout=self.timeout_s, headers=headers) as client:
            while (alerts := self._take()) is not None:
                if not self._deliver(client, alerts):
                    with self._cond:  # closing and out of time: the rest too
                        self._queue.extendleft(reversed(alerts))
                    return

    def _deliver(self, client: Any, alerts: list[dict[str, Any]]) -> bool:
        """POST until accepted (True), refused for good (True, to the fallback), or out of drain time (False)."""
        import httpx

        delay = self.retry_s
        body = webhook_payload(alerts, self.receiver)
        while True:
            try:
                r = client.post(self.url, json=body)
                if r.status_code < 300:
                    self.posted += len(alerts)
                    self.batches += 1
                    return True
                if r.status_code < 500 and r.status_code not in (408, 429):
                    self._give_up(alerts, f"the intake answered {r.status_code}: {r.text[:200]}")
                    return True
            except httpx.HTTPError as exc:
                log.debug("posting to %s failed: %s", self.url, exc)
            self.retries += 1
            if self._closing:  # draining: keep trying while the drain time lasts
                if time.monotonic() + delay > self._deadline:
                    return False
                time.sleep(delay)
            else:
                self._stop.wait(delay)  # close() cuts a long backoff short
            delay = min(delay * 2, self.retry_cap_s)
