"""Notifications: a generic webhook (Slack-compatible payload) and e-mail over SMTP.

A :class:`Message` is rendered once and sent to each recipient on the channels its escalation
level names. The webhook body is Slack's incoming-webhook shape (``text`` plus ``blocks`` of
``section``/``context`` with ``mrkdwn``), which Mattermost, Rocket.Chat and most chat bridges
also accept. E-mail is a plain-text message (``smtplib`` in a worker thread, STARTTLS and login
when configured). Every send returns a :class:`Delivery`; failures are reported, never raised,
so one dead channel cannot stop the others or the escalation.
"""

from __future__ import annotations

import asyncio
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

import httpx

from tradeplane.incidents.config import NotifyConfig

__all__ = ["Delivery", "Message", "Notifier", "slack_payload"]


@dataclass(frozen=True)
class Message:
    incident: int
    title: str
    severity: str
    status: str
    desk: str | None
    summary: str  # a few lines: owner, why you, the market state
    link: str = ""

    @property
    def subject(self) -> str:
        return f"[{self.severity.upper()}] incident {self.incident}: {self.title}"[:250]


@dataclass(frozen=True)
class Delivery:
    channel: str
    to: str
    ok: bool
    detail: str = ""

    def to_json(self) -> dict[str, object]:
        return {"channel": self.channel, "to": self.to, "ok": self.ok, "detail": self.detail}


def slack_payload(m: Message) -> dict[str, object]:
    """Slack incoming-webhook JSON for a message."""
    head = f"*{m.subject}*"
    blocks: list[dict[str, object]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": head}},
        {"type": "section", "text": {"type": "mrkdwn", "text": m.summary}},
        {"type": "context", "elements": [{"type": "mrkdwn",
                                          "text": f"status: {m.status} | desk: {m.desk or '-'}"
                                                  + (f" | <{m.link}|open>" if m.link else "")}]},
    ]
    return {"text": f"{m.subject}\n{m.summary}", "blocks": blocks}


class Notifier:
    """Sends messages over the configured channels."""

    def __init__(self, config: NotifyConfig) -> None:
        self.config = config

    async def webhook(self, url: str | None, m: Message, client: httpx.AsyncClient) -> Delivery:
        target = url or self.config.webhook
        if not target:
            return Delivery("webhook", "-", False, "no webhook configured (team, contact or notify.webhook)")
        try:
            r = await client.post(target, json=slack_payload(m), timeout=self.config.timeout_s)
        except httpx.HTTPError as exc:
            return Delivery("webhook", target, False, f"{type(exc).__name__}: {exc}")
        return Delivery("webhook", target, r.is_success, f"HTTP {r.status_code}")

    async def email(self, to: str, m: Message) -> Delivery:
        smtp = self.config.smtp
        if smtp is None:
            return Delivery("email", to, False, "no SMTP server configured (notify.smtp)")
        msg = EmailMessage()
        msg["From"] = smtp.sender
        msg["To"] = to
        msg["Subject"] = m.subject
        msg["X-Tradeplane-Incident"] = str(m.incident)
        msg.set_content(f"{m.subject}\n\n{m.summary}\n\nstatus: {m.status}\ndesk: {m.desk or '-'}\n"
                        + (f"\n{m.link}\n" if m.link else ""))

        def send() -> None:
            import os

            with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s) as conn:
                if smtp.starttls:
                    conn.starttls()
                if smtp.username and smtp.password_env:
                    conn.login(smtp.username, os.environ.get(smtp.password_env, ""))
                conn.send_message(msg)

        try:
            await asyncio.to_thread(send)
        except (OSError, smtplib.SMTPException) as exc:
            return Delivery("email", to, False, f"{type(exc).__name__}: {exc}")
        return Delivery("email", to, True, "sent")
