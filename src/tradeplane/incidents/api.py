"""The HTTP API (FastAPI; OpenAPI at ``/openapi.json``, docs at ``/docs``).

Intake (Alertmanager credentials: bearer or basic, per ``intake`` in the config):

- ``POST /api/v1/alerts/alertmanager`` — the Alertmanager webhook payload, version 4;
- ``POST /api/v1/alerts/events`` — a list of tradeplane :class:`~tradeplane.incidents.alerts.Event`;
- ``POST /api/v1/alerts/generic`` — one :class:`~tradeplane.incidents.alerts.GenericAlert`.

Incidents (API tokens: ``Authorization: Bearer TOKEN``; viewer reads, responder acts, admin
also exports the audit trail; a token sees only its desks' incidents):

- ``GET /api/v1/incidents`` (``status``, ``desk``, ``limit``, ``offset``), ``GET /api/v1/incidents/{id}``
- ``POST /api/v1/incidents/{id}/{ack|note|action|action_done|mitigate|resolve|reopen}``
- ``GET /api/v1/incidents/{id}/verify``, ``/postmortem`` (markdown), ``/audit`` (admin)
- ``GET /api/v1/report`` — MTTA and MTTR by desk and month
- ``GET /healthz``

Every request body is limited to ``max_body_bytes`` (413 beyond). Errors are
``{"detail": "..."}`` (one line) with 400, 401, 403, 404, 409, 413 or 422; a body or parameter
that does not validate is 422 with its problems on that line (``body.severity: unknown severity ...``),
not FastAPI's list.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import pathlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tradeplane.errors import ConfigError, InputError, TradeplaneError
from tradeplane.incidents.alerts import Alert, AlertmanagerWebhook, Event, GenericAlert
from tradeplane.incidents.config import Role, TokenConfig
from tradeplane.incidents.lifecycle import Action, LifecycleError
from tradeplane.incidents.postmortem import postmortem, report
from tradeplane.incidents.service import Service
from tradeplane.incidents.store import IncidentRow
from tradeplane.incidents.timeline import verify
from tradeplane.incidents.views import NotFound, incident_json, list_incidents, load_incident
from tradeplane.incidents.views import Scope as DeskScope

__all__ = ["create_app"]

log = logging.getLogger("tradeplane.incidents")

_RANK = {"viewer": 0, "responder": 1, "admin": 2}
IncidentId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the incident's id")]


# ---------------------------------------------------------------------- response shapes


class Problem(BaseModel):
    detail: str


class IntakeResponse(BaseModel):
    received: int
    new: int
    duplicates: int
    resolved: int
    incidents: list[int]
    opened: list[int]


class IncidentSummary(BaseModel):
    id: int
    title: str
    severity: Literal["critical", "high", "warning", "info"]
    status: Literal["triggered", "acknowledged", "mitigated", "resolved"]
    desk: str | None
    team: str | None
    venue: str | None
    link: str | None
    workload: str | None
    network: str | None
    group_key: str
    opened_at: str
    acknowledged_at: str | None
    mitigated_at: str | None
    resolved_at: str | None
    last_alert_at: str
    escalation_step: int
    next_escalation_at: str | None


class AlertView(BaseModel):
    fingerprint: str
    status: Literal["firing", "resolved"]
    starts_at: str
    ends_at: str | None
    source: str
    labels: dict[str, str]
    annotations: dict[str, str]
    generator_url: str
    receipts: int
    first_received_at: str
    last_received_at: str


class TimelineEntry(BaseModel):
    seq: int
    at: str
    actor: str
    kind: str
    body: dict[str, Any]
    prev_hash: str
    hash: str


class OpenAction(BaseModel):
    seq: int
    text: str
    actor: str
    at: str


class IncidentView(IncidentSummary):
    owner: dict[str, Any]
    alerts: list[AlertView]
    timeline: list[TimelineEntry]
    open_actions: list[OpenAction]


class ActionRequest(BaseModel):
    text: str = Field(default="", max_length=20_000)
    item: int | None = Field(default=None, ge=1, le=2**31 - 1, description="action_done: the seq of the action item")


class ActionResult(BaseModel):
    seq: int
    at: str
    actor: str
    kind: str
    body: dict[str, Any]
    hash: str


class VerifyView(BaseModel):
    incident: int
    entries: int
    head: str
    ok: bool
    problems: list[str]


class ReportRow(BaseModel):
    desk: str
    month: str
    incidents: int
    acknowledged: int
    resolved: int
    mtta_s: float | None
    mttr_s: float | None


class ReportView(BaseModel):
    rows: list[ReportRow]


class AuditView(BaseModel):
    incident: IncidentView
    verification: VerifyView


def validation_line(errors: Any) -> str:
    """FastAPI's validation errors as the one line of ``{"detail": ...}``: each problem as
    ``where.field: message``, the first three joined by "; " and a count of the rest."""
    parts = []
    for err in errors:
        loc = ".".join(str(p) for p in err.get("loc", ()))
        msg = " ".join(str(err.get("msg", "invalid")).removeprefix("Value error, ").split())
        parts.append(f"{loc}: {msg}" if loc else msg)
    shown = "; ".join(parts[:3]) + (f"; and {len(parts) - 3} more" if len(parts) > 3 else "")
    return shown or "the request is not valid"


# ---------------------------------------------------------------------- body size limit


class BodyLimit:
    """Reject request bodies over ``limit`` bytes with 413, whether or not Content-Length is sent."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await _too_large(send, self.limit)
                return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            body = message.get("body", b"")
            size += len(body)
            if size > self.limit:
                await _too_large(send, self.limit)
                return
            chunks.append(body)
            more = message.get("more_body", False)
        data = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": data, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _too_large(send: Send, limit: int) -> None:
    body = f'{{"detail":"request body over {limit} bytes"}}'.encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


# ---------------------------------------------------------------------- the app


def create_app(service: Service, *, manage_lifecycle: bool = True) -> FastAPI:
    """The ASGI app over ``service`` (started and stopped with the app when ``manage_lifecycle``)."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if manage_lifecycle:
            await service.start()
        try:
            yield
        finally:
            if manage_lifecycle:
                await service.stop()

    app = FastAPI(title="tradeplane incidents", version="1",
                  description="Alerts in, owned incidents out: intake, lifecycle, timeline, postmortems.",
                  lifespan=lifespan)
    app.add_middleware(BodyLimit, limit=service.config.max_body_bytes)
    errors: dict[int | str, dict[str, Any]] = {
        400: {"model": Problem}, 401: {"model": Problem}, 403: {"model": Problem}, 404: {"model": Problem},
        409: {"model": Problem}, 413: {"model": Problem}, 422: {"model": Problem}}
    infra = service.estate.oncall.infrastructure_desk

    @app.exception_handler(NotFound)
    async def _not_found(_r: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=404)

    @app.exception_handler(LifecycleError)
    async def _conflict(_r: Request, exc: LifecycleError) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=409)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_r: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_line(exc.errors())}, status_code=422)

    @app.exception_handler(InputError)
    async def _bad(_r: Request, exc: InputError) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=400)

    def _authorization(request: Request) -> tuple[str, str]:
        header = request.headers.get("authorization", "")
        scheme, _, credentials = header.partition(" ")
        return scheme.lower(), credentials.strip()

    async def intake_auth(request: Request) -> str:
        scheme, credentials = _authorization(request)
        if not service.config.intake_ok(scheme, credentials):
            raise HTTPException(401, "intake needs the configured bearer token or basic credentials",
                                headers={"WWW-Authenticate": 'Bearer, Basic realm="incidents"'})
        return "alertmanager" if scheme == "basic" or "alertmanager" in request.headers.get(
            "user-agent", "").lower() else "intake"

    def role(needed: Role) -> Callable[[Request], Awaitable[tuple[TokenConfig, DeskScope]]]:
        async def check(request: Request) -> tuple[TokenConfig, DeskScope]:
            scheme, credentials = _authorization(request)
            token = service.config.token(credentials) if scheme == "bearer" and credentials else None
            if token is None:
                raise HTTPException(401, "give an API token: Authorization: Bearer TOKEN",
                                    headers={"WWW-Authenticate": "Bearer"})
            if _RANK[token.role] < _RANK[needed]:
                raise HTTPException(403, f"token '{token.name}' is {token.role}; this needs {needed}")
            desks = set(token.desks)
            scope = DeskScope(None if not desks or (infra is not None and infra in desks) else frozenset(desks))
            return token, scope

        return check

    viewer, responder, admin = role("viewer"), role("responder"), role("admin")

    @app.get("/healthz", tags=["service"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/v1/alerts/alertmanager", tags=["intake"], response_model=IntakeResponse, responses=errors)
    async def alertmanager(payload: AlertmanagerWebhook, source: str = Depends(intake_auth)) -> dict[str, Any]:
        """The Alertmanager webhook payload (version 4), firing and resolved."""
        if payload.version != "4":
            raise HTTPException(400, f"webhook payload version {payload.version!r}; this intake reads version 4")
        result = await service.ingest(payload.alerts, source if payload.receiver == "" else
                                      f"{source}:{payload.receiver}"[:200])
        return result.to_json()

    @app.post("/api/v1/alerts/events", tags=["intake"], response_model=IntakeResponse, responses=errors)
    async def events(payload: list[Event], _source: str = Depends(intake_auth)) -> dict[str, Any]:
        """Tradeplane's own events (feed health, net findings, budgets, cost anomalies, security)."""
        if len(payload) > 5000:
            raise HTTPException(400, f"{len(payload)} events in one request; send at most 5000")
        alerts = [e.to_alert() for e in payload]
        sources = sorted({e.source for e in payload}) or ["tradeplane"]
        result = await service.ingest(alerts, ",".join(sources)[:200])
        return result.to_json()

    @app.post("/api/v1/alerts/generic", tags=["intake"], response_model=IntakeResponse, responses=errors)
    async def generic(payload: GenericAlert, _source: str = Depends(intake_auth)) -> dict[str, Any]:
        """Any JSON alert: title, severity, labels, an optional dedup key."""
        alert: Alert = payload.to_alert(service.clock())
        result = await service.ingest([alert], payload.source)
        return result.to_json()

    @app.get("/api/v1/incidents", tags=["incidents"], response_model=list[IncidentSummary], responses=errors)
    async def incidents(status: Literal["triggered", "acknowledged", "mitigated", "resolved"] | None = None,
                        desk: str | None = Query(default=None, max_length=63),
                        limit: int = Query(default=100, ge=1, le=1000), offset: int = Query(default=0, ge=0, le=2**31 - 1),
                        who: tuple[TokenConfig, DeskScope] = Depends(viewer)) -> list[dict[str, Any]]:
        """Incidents visible to the token, newest first."""
        return await service.read(lambda s: list_incidents(s, who[1], status=status, desk=desk, limit=limit,
                                                             offset=offset))

    @app.get("/api/v1/incidents/{incident_id}", tags=["incidents"], response_model=IncidentView,
             responses=errors)
    async def incident(incident_id: IncidentId, who: tuple[TokenConfig, DeskScope] = Depends(viewer)) -> dict[str, Any]:
        """One incident with its owner, alerts, timeline and open action items."""
        return await service.read(lambda s: incident_json(s, load_incident(s, incident_id, who[1])))

    def _action(action: Action) -> None:
        async def run(incident_id: IncidentId, body: ActionRequest | None = None,
                      who: tuple[TokenConfig, DeskScope] = Depends(responder)) -> dict[str, Any]:
            req = body or ActionRequest()
            return await service.act(incident_id, action, f"token:{who[0].name}", who[1], text=req.text,
                                     item=req.item)

        run.__name__ = f"incident_{action.value}"
        run.__doc__ = f"{action.value.replace('_', ' ').capitalize()}: one timeline entry by the token's name."
        app.post(f"/api/v1/incidents/{{incident_id}}/{action.value}", tags=["incidents"],
                 response_model=ActionResult, responses=errors)(run)

    for a in (Action.ACK, Action.NOTE, Action.ACTION_ITEM, Action.ACTION_DONE, Action.MITIGATE, Action.RESOLVE,
              Action.REOPEN):
        _action(a)

    @app.get("/api/v1/incidents/{incident_id}/verify", tags=["audit"], response_model=VerifyView,
             responses=errors)
    async def verify_chain(incident_id: IncidentId,
                           who: tuple[TokenConfig, DeskScope] = Depends(viewer)) -> dict[str, Any]:
        """Recompute the timeline's hash chain; ``ok`` false names each edited or deleted entry."""
        return await service.read(lambda s: verify(s, load_incident(s, incident_id, who[1])).to_json())

    @app.get("/api/v1/incidents/{incident_id}/audit", tags=["audit"], response_model=AuditView, responses=errors)
    async def audit(incident_id: IncidentId, who: tuple[TokenConfig, DeskScope] = Depends(admin)) -> dict[str, Any]:
        """The incident, every timeline entry with its hashes, and the chain's verification."""
        def run(s: Any) -> dict[str, Any]:
            row: IncidentRow = load_incident(s, incident_id, who[1])
            return {"incident": incident_json(s, row), "verification": verify(s, row).to_json()}

        return await service.read(run)

    @app.get("/api/v1/incidents/{incident_id}/postmortem", tags=["reports"], response_model=None,
             responses={**errors, 200: {"description": "the postmortem draft",
                                        "content": {"text/markdown": {"schema": {"type": "string"}}}}})
    async def postmortem_md(incident_id: IncidentId,
                            who: tuple[TokenConfig, DeskScope] = Depends(viewer)) -> PlainTextResponse:
        """The postmortem draft in markdown."""
        text = await service.read(lambda s: postmortem(service.estate, incident_json(
            s, load_incident(s, incident_id, who[1]))))
        return PlainTextResponse(text, media_type="text/markdown")

    @app.get("/api/v1/report", tags=["reports"], response_model=ReportView, responses=errors)
    async def report_view(who: tuple[TokenConfig, DeskScope] = Depends(viewer)) -> dict[str, Any]:
        """MTTA and MTTR (seconds) by desk and month of opening."""
        return await service.read(lambda s: {"rows": report(s, who[1])})

    return app


def listen_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` and listening (``port`` 0: any free port, chosen by
    the kernel at bind time, so nobody can take it between choosing and binding)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=2048)


def serve(config_path: str, *, host: str | None = None, port: int | None = None, fd: int | None = None,
          ready_file: str | None = None, warn: Callable[[str], None] | None = None) -> None:
    """Load the config and its estate, and serve the API on uvicorn until interrupted.

    The listening socket exists before the app starts: ``fd`` is one inherited from the
    parent (bound by it: the parent keeps the port across restarts of the service, as with
    systemd socket activation), else it is bound here to ``host:port`` (``port`` 0: a free
    one). Once the service accepts requests, ``ready_file`` (when given) receives
    ``{"url", "host", "port", "pid"}`` as JSON, written atomically: a supervisor or a test reads
    the port there instead of guessing one, and never races for it.

    Refuses to start, with ``ConfigError`` (one line, exit 2 in the CLI), when no intake credential
    is set (:meth:`Config.credential_problems`: it would answer 401 to every alert), when the
    database cannot be opened, or when the port cannot be bound (already in use). Credentials
    that are unset while another way works go to ``warn`` (default: the log), one line each."""

    import uvicorn

    from tradeplane.estate import load
    from tradeplane.incidents.config import load_config

    config = load_config(config_path)
    fatal, warnings = config.credential_problems()
    if fatal:
        raise ConfigError(fatal[0])
    for line in warnings:
        (warn or log.warning)(line)
    estate = load(config.estate_path())
    service = Service(config, estate)  # the database opens (or fails in one line) before the port is taken
    if fd is not None:
        try:
            sock = socket.socket(fileno=fd)
        except OSError as exc:
            raise ConfigError.single(f"--fd {fd}: not an inherited listening socket ({exc.strerror})",
                                     hint="pass the descriptor of a socket the parent bound and listens on") from None
    else:
        bind_host, bind_port = host or config.listen.host, config.listen.port if port is None else port
        try:
            sock = listen_socket(bind_host, bind_port)
        except OSError as exc:
            raise _listen_error(exc, bind_host, bind_port, host, port, config) from None
    app = create_app(service)
    from tradeplane.jsonlog import configure

    configure()
    server = _ready_server()(uvicorn.Config(app, log_level="warning", access_log=False,
                                            timeout_graceful_shutdown=5), ready_file)
    server.run(sockets=[sock])


def _listen_error(exc: OSError, bind_host: str, bind_port: int, host: str | None, port: int | None,
                  config: Any) -> TradeplaneError:
    """The one line for a socket that cannot be bound: the port is taken or privileged (the port's
    option or config line), else the address is not this machine's or does not resolve (the host's)."""
    reason = (os.strerror(exc.errno) if isinstance(exc.errno, int) and exc.errno > 0
              else str(exc.strerror or exc).split(" (while attempting")[0])
    if exc.errno in (errno.EADDRINUSE, errno.EACCES):
        source = "--port" if port is not None else config.where("listen", "port")
        hint = ("another process holds the port: stop it, or choose another port (--port 0: any free one, "
                "reported with --ready-file)" if exc.errno == errno.EADDRINUSE
                else "ports below 1024 need privileges: choose a port above 1023")
    else:
        source = "--host" if host is not None else config.where("listen", "host")
        hint = "give an address of this machine (127.0.0.1, ::1, 0.0.0.0)"
    return ConfigError.single(f"{source}: cannot listen on {bind_host}:{bind_port}: {reason}", hint=hint)


def _ready_server() -> Any:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server that says where it listens once it does."""

        def __init__(self, config: uvicorn.Config, ready_file: str | None) -> None:
            super().__init__(config)
            self.ready_file = ready_file

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.ready_file and not self.should_exit and sockets:
                host, port = sockets[0].getsockname()[:2]
                shown = f"[{host}]" if ":" in host else host
                data = {"url": f"http://{shown}:{port}", "host": host, "port": port, "pid": os.getpid()}
                tmp = pathlib.Path(self.ready_file + ".tmp")
                tmp.write_text(json.dumps(data) + "\n")
                tmp.replace(self.ready_file)

    return Server

