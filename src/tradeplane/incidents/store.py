"""Storage of incidents, their alerts and their hash-chained timelines (SQLAlchemy 2).

SQLite (WAL journal) is the embedded default; PostgreSQL by URL
(``postgresql+psycopg://user@host:port/db``). The schema is created and upgraded by the
Alembic migrations under ``tradeplane/incidents/migrations`` (:func:`migrate`).

Times are stored as fixed-width ISO 8601 UTC text (``2026-11-30T14:05:00.000000+00:00``), so
they sort as text and read back identically on both databases; the hash chain covers them
byte for byte.

Idempotent intake: an alert is identified by ``(fingerprint, starts_at)`` (unique index); a
repeat of the pair only counts a receipt. The intake transaction commits before the HTTP
answer, so an alert acknowledged with 200 survives a SIGKILL, and a batch that was not
acknowledged is sent again by Alertmanager and finds its alerts once.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

__all__ = [
    "AlertRow",
    "Base",
    "IncidentRow",
    "TimelineRow",
    "canonical",
    "chain_hash",
    "dumps",
    "engine_for",
    "iso",
    "migrate",
    "open_database",
    "parse_iso",
    "sessions",
]

GENESIS = "0" * 64


def iso(when: datetime) -> str:
    """Fixed-width UTC text of an aware ``datetime``."""
    if when.tzinfo is None:
        raise ValueError(f"naive datetime {when!r}: give a timezone")
    # isoformat pads the year to four digits (strftime's %Y does not, for years before 1000)
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


def dumps(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)


def canonical(incident_id: int, seq: int, at: str, actor: str, kind: str, body: str) -> str:
    return dumps([incident_id, seq, at, actor, kind, body])


def chain_hash(prev: str, incident_id: int, seq: int, at: str, actor: str, kind: str, body: str) -> str:
    """SHA-256 over the previous entry's hash and this entry's canonical JSON."""
    return hashlib.sha256((prev + canonical(incident_id, seq, at, actor, kind, body)).encode()).hexdigest()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    })


class IncidentRow(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_key: Mapped[str] = mapped_column(String(300), index=True)
    title: Mapped[str] = mapped_column(String(1000))
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    desk: Mapped[str | None] = mapped_column(String(63), index=True)
    team: Mapped[str | None] = mapped_column(String(63))
    venue: Mapped[str | None] = mapped_column(String(63))
    link: Mapped[str | None] = mapped_column(String(200))
    workload: Mapped[str | None] = mapped_column(String(63))
    network: Mapped[str | None] = mapped_column(String(63))
    owner: Mapped[str] = mapped_column(Text, default="{}")
    opened_at: Mapped[str] = mapped_column(String(32), index=True)
    acknowledged_at: Mapped[str | None] = mapped_column(String(32))
    mitigated_at: Mapped[str | None] = mapped_column(String(32))
    resolved_at: Mapped[str | None] = mapped_column(String(32))
    last_alert_at: Mapped[str] = mapped_column(String(32))
    escalation_step: Mapped[int] = mapped_column(Integer, default=0)
    next_escalation_at: Mapped[str | None] = mapped_column(String(32), index=True)
    events: Mapped[int] = mapped_column(Integer, default=0)
    head_hash: Mapped[str] = mapped_column(String(64), default=GENESIS)


class AlertRow(Base):
    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("fingerprint", "starts_at", name="uq_alerts_fingerprint_starts_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fingerprint: Mapped[str] = mapped_column(String(128), index=True)
    starts_at: Mapped[str] = mapped_column(String(32))
    ends_at: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    source: Mapped[str] = mapped_column(String(200))
    labels: Mapped[str] = mapped_column(Text)
    annotations: Mapped[str] = mapped_column(Text)
    generator_url: Mapped[str] = mapped_column(Text, default="")
    first_received_at: Mapped[str] = mapped_column(String(32))
    last_received_at: Mapped[str] = mapped_column(String(32))
    receipts: Mapped[int] = mapped_column(Integer, default=1)


class TimelineRow(Base):
    __tablename__ = "timeline"
    __table_args__ = (UniqueConstraint("incident_id", "seq", name="uq_timeline_incident_id_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


def engine_for(url: str) -> Engine:
    """An engine for ``url``; a bare path means SQLite. SQLite runs in WAL mode with a busy
    timeout; PostgreSQL URLs use psycopg 3 (``postgresql://`` is read as ``postgresql+psycopg://``)."""
    if "://" not in url:
        url = f"sqlite:///{Path(url).resolve()}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(conn: Any, _record: Any) -> None:  # pragma: no cover - driver callback
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")  # durable across a process kill in WAL mode
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    # A server that does not answer fails the connection after 10 s instead of the OS's minutes.
    connect = {"connect_timeout": 10} if url.startswith("postgresql+psycopg") else {}
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, connect_args=connect)


def open_database(url: str, where: str = "") -> Engine:
    """:func:`engine_for` ``url`` and :func:`migrate` it to head, or ``ConfigError`` in one line when the
    database cannot be opened: a SQLite file in a folder that does not exist or cannot be written, a
    server that refuses or does not answer, bad credentials. ``where`` names where the URL was given
    (``incidents.yaml:4:11: database`` or ``--db``); the URL is shown without its password."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from tradeplane.errors import ConfigError

    prefix = f"{where}: " if where else ""
    if "://" not in url:
        folder = Path(url).resolve().parent
        if not folder.is_dir():
            raise ConfigError.single(f"{prefix}cannot open the incidents database {url}: the folder {folder} "
                                     "does not exist", hint="create the folder, or give another database path "
                                     "or URL (the config's database:, or --db)")
    try:
        shown = make_url(url).render_as_string(hide_password=True) if "://" in url else url
    except ArgumentError:
        raise ConfigError.single(f"{prefix}{url!r} is not a database path or URL",
                                 hint="a path (SQLite) or postgresql+psycopg://user@host:port/db") from None
    try:
        engine = engine_for(url)
        migrate(engine)
    except (SQLAlchemyError, OSError, ImportError) as exc:
        cause = getattr(exc, "orig", None) or exc
        text = " ".join(str(cause).split()) or type(cause).__name__
        raise ConfigError.single(f"{prefix}cannot open the incidents database {shown}: {text[:300]}",
                                 hint="check that the database is running and reachable and the credentials are "
                                      "right, or give another one (the config's database:, or --db)") from None
    return engine


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` with the package's Alembic migrations."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
