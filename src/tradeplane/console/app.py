"""The console: a FastAPI app over what tradeplane knows about one estate.

``create_app(estate_path, tokens=..., gateway_url=..., incidents_url=..., migrate_state=...)``
builds it. Every page is rendered on the server from the same data as its ``/api/...`` twin
(``tradeplane.console.views``); the plan is built once per version of the estate files
(``state.EstateCache``). OpenAPI at ``/openapi.json``. Bad input is a 4xx naming the field
(``{"detail": ..., "field": ...}``), never a 500; an estate that stops loading shows its located
errors on the overview.
"""

# No "from __future__ import annotations": FastAPI reads the route signatures, whose aliases are local.

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from tradeplane.console import assets, views
from tradeplane.console.auth import ANONYMOUS, COOKIE, Principal, Role, TokenBook, bearer, book_from
from tradeplane.console.cost import cost as cost_view
from tradeplane.console.incidents import IncidentsClient, IncidentsError, NotConnected
from tradeplane.console.live import FeedPoller, sse
from tradeplane.console.state import EstateCache, Snapshot
from tradeplane.console.topology import graph, subnets_of
from tradeplane.errors import InputError
from tradeplane.selfserve import Actor
from tradeplane.selfserve.api import make_router

__all__ = ["PAGES", "create_app"]

log = logging.getLogger("tradeplane.console")
audit_log = logging.getLogger("tradeplane.console.audit")
HERE = Path(__file__).parent

PAGES = (("overview", "/", "Overview"), ("topology", "/topology", "Topology"), ("network", "/network", "Network"),
         ("placement", "/placement", "Placement"), ("terraform", "/terraform", "Terraform"),
         ("feeds", "/feeds", "Feeds"), ("cost", "/cost", "Cost"), ("incidents", "/incidents", "Incidents"),
         ("migration", "/migration", "Migration"), ("requests", "/requests", "Requests"))
"""(key, path, title) of every page, in the navigation's order."""

Name = Annotated[str, Query(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:/@-]+$")]


class Problem(BaseModel):
    detail: str
    field: str | None = None


class ActionBody(BaseModel):
    text: str = Field(default="", max_length=2000)


ERRORS: dict[int | str, dict[str, Any]] = {400: {"model": Problem}, 401: {"model": Problem},
                                           403: {"model": Problem}, 404: {"model": Problem},
                                           502: {"model": Problem}, 503: {"model": Problem}}


def create_app(estate_path: Path, *, tokens: Mapping[str, Role] | None = None, gateway_url: str | None = None,
               incidents_url: str | None = None, migrate_state: Path | None = None,
               token_names: Mapping[str, str] | None = None, incidents_token: str | None = None,
               billing: Sequence[Path] = (), selfserve_state: Path | None = None) -> FastAPI:
    """The console for the estate at ``estate_path``.

    ``tokens``: token -> role (``None``: no tokens, everyone an anonymous viewer; keys ``sha256:HEX``
    match a token by its hash); ``token_names``: token -> the actor name logged for it.
    ``gateway_url``: the feed gateway's metrics address (``/status`` is polled for the live page).
    ``incidents_url``/``incidents_token``: the incidents service and the token the console calls it with.
    ``migrate_state``: a migration state file (``tradeplane migrate advance``) for the waves' status.
    ``billing``: FOCUS files or directories for the cost page's history, budget burn and anomalies.
    """
    estate_path = Path(estate_path)
    cache = EstateCache(estate_path)
    book: TokenBook | None = book_from(tokens, token_names)
    poller = FeedPoller(gateway_url) if gateway_url else None
    incidents = IncidentsClient(incidents_url, incidents_token)
    roots = sorted({estate_path.resolve().parent, Path.cwd().resolve()})
    audit: deque[dict[str, Any]] = deque(maxlen=1000)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Build the plan now, in a worker thread, so the first visitor does not wait for it.
        warm = asyncio.get_running_loop().run_in_executor(None, cache.snapshot)
        if poller is not None:
            await poller.start()
        try:
            yield
        finally:
            if poller is not None:
                await poller.stop()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(warm), 0.1)

    app = FastAPI(title="tradeplane console", version="1", lifespan=lifespan,
                  description="The estate in a browser: plan verdict, topology, network proofs, placement, "
                              "Terraform, live feeds, cost, incidents, migration, self-serve requests.")
    app.state.cache = cache
    app.state.audit = audit
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["tojson_pretty"] = lambda v: json.dumps(v, indent=2, sort_keys=True, default=str)
    templates.env.globals["PAGES"] = PAGES
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    # ----------------------------------------------------------------- who is asking

    def _principal(request: Request) -> Principal:
        token = (bearer(request.headers.get("authorization", "")) or request.query_params.get("token")
                 or request.cookies.get(COOKIE))
        if book is None or not token:
            return ANONYMOUS
        who = book.lookup(token)
        if who is None:
            raise HTTPException(401, "unknown token: give a console token (Authorization: Bearer, ?token= or "
                                     "the cookie), or none to read as an anonymous viewer",
                                headers={"WWW-Authenticate": "Bearer"})
        return who

    def principal(request: Request) -> Principal:
        who = _principal(request)
        request.state.principal = who
        return who

    def needs(role: Role) -> Callable[[Request], Principal]:
        def check(request: Request) -> Principal:
            who = principal(request)
            if not who.may(role):
                raise HTTPException(403, f"{who.name} is {who.role.value}; this needs {role.value} or above")
            return who
        return check

    Who = Annotated[Principal, Depends(principal)]

    @app.middleware("http")
    async def _audit_and_cookie(request: Request, call_next: Callable[[Request], Any]) -> Response:
        start = time.perf_counter()
        response: Response = await call_next(request)
        token = request.query_params.get("token")
        if token and book is not None and book.lookup(token) is not None and response.status_code < 400:
            response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            who = getattr(request.state, "principal", None)
            if who is None:
                try:
                    who = _principal(request)
                except HTTPException:
                    who = Principal("unknown-token", Role.VIEWER)
            entry = {"at": time.time(), "actor": who.name, "role": who.role.value, "method": request.method,
                     "path": request.url.path, "status": response.status_code,
                     "ms": round((time.perf_counter() - start) * 1000, 1)}
            audit.append(entry)
            audit_log.info(entry)
        return response

    # ----------------------------------------------------------------- errors: 4xx with the field, never 500

    def _field_of(message: str) -> str | None:
        head = message.split(":", 1)[0]
        return head if head and " " not in head and len(head) < 40 else None

    @app.exception_handler(InputError)
    async def _bad_input(_r: Request, exc: InputError) -> JSONResponse:
        field = next((p.field for p in exc.problems if p.field), None) or _field_of(exc.message)
        return JSONResponse({"detail": "; ".join(exc.lines()), "field": field}, status_code=400)

    @app.exception_handler(PermissionError)
    async def _forbidden(_r: Request, exc: PermissionError) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "field": None}, status_code=403)

    @app.exception_handler(NotConnected)
    async def _not_connected(_r: Request, exc: NotConnected) -> JSONResponse:
        return JSONResponse({"detail": f"incidents service not connected: {exc}", "field": None}, status_code=503)

    @app.exception_handler(IncidentsError)
    async def _incidents_error(_r: Request, exc: IncidentsError) -> JSONResponse:
        status = exc.status if exc.status in (400, 404, 409, 422) else 502
        return JSONResponse({"detail": f"incidents service: {exc.detail}", "field": None}, status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_r: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc.detail, list):  # a structured detail (the self-serve router's): kept as is
            first = exc.detail[0] if exc.detail and isinstance(exc.detail[0], dict) else {}
            return JSONResponse({"detail": exc.detail, "field": first.get("field")}, status_code=exc.status_code,
                                headers=getattr(exc, "headers", None))
        detail = str(exc.detail)
        field = "body" if "parsing the body" in detail else (_field_of(detail) if exc.status_code < 500 else None)
        return JSONResponse({"detail": detail, "field": field}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_r: Request, exc: RequestValidationError) -> JSONResponse:
        errs = exc.errors()
        first = errs[0] if errs else {}
        field = ".".join(str(x) for x in first.get("loc", ()) if x not in ("query", "body", "path")) or None
        return JSONResponse({"detail": f"{field}: {first.get('msg', 'invalid')}" if field else str(first.get("msg")),
                             "field": field, "errors": json.loads(json.dumps(errs, default=str))}, status_code=422)

    # ----------------------------------------------------------------- helpers

    def snap() -> Snapshot:
        return cache.snapshot()

    def page(request: Request, name: str, who: Principal, **ctx: Any) -> HTMLResponse:
        s = snap()
        return templates.TemplateResponse(request, f"{name}.html", {
            "page": name, "who": who, "estate_name": s.estate.name if s.estate else str(s.path),
            "estate_ok": s.ok, **ctx})

    def cached_json(view: str, who: Principal, make: Callable[[Snapshot], Any]) -> Response:
        """A view's JSON, serialised once per snapshot and visibility (the plan does not change between)."""
        s = snap()
        body = s.memo(f"json:{view}:{who.role.sees_crypto}",
                      lambda: json.dumps(make(s), sort_keys=True, default=str).encode())
        return Response(body, media_type="application/json")

    def cached_page(request: Request, name: str, who: Principal, make: Callable[[Snapshot], dict[str, Any]]
                    ) -> Response:
        """A page without query parameters, rendered once per snapshot and principal."""
        s = snap()

        def render() -> bytes:
            return bytes(page(request, name, who, **make(s)).body)

        body = s.memo(f"html:{name}:{who.name}:{who.role.value}", render)
        return HTMLResponse(body)

    # ----------------------------------------------------------------- vendor assets

    @app.get("/vendor/cytoscape.min.js", include_in_schema=False)
    def cytoscape_js() -> Response:
        path = assets.cytoscape()
        if path is None:
            return Response("// cytoscape.js is not installed: run ./dev (npm install into .tools/node)\n",
                            media_type="text/javascript", status_code=404)
        return FileResponse(path, media_type="text/javascript")

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> Response:
        path = assets.plotly()
        if path is None:
            return Response("// plotly.js not found in the plotly package\n", media_type="text/javascript",
                            status_code=404)
        return FileResponse(path, media_type="text/javascript")

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    # ----------------------------------------------------------------- JSON API

    @app.get("/api/whoami", tags=["access"], responses=ERRORS)
    def whoami(who: Who) -> dict[str, Any]:
        """The actor, role and what the role may do."""
        return {"name": who.name, "role": who.role.value, "authenticated": who.authenticated,
                "may_request": who.may(Role.REQUESTER), "may_approve": who.may(Role.APPROVER),
                "sees_crypto": who.role.sees_crypto}

    @app.get("/api/overview", tags=["pages"], responses=ERRORS)
    def api_overview(who: Who) -> Response:
        """The plan's verdict, counts by desk and cloud, what blocks an apply (or the estate's errors)."""
        return cached_json("overview", who, lambda s: views.overview(s, who))

    @app.get("/api/topology", tags=["pages"], responses=ERRORS)
    def api_topology(who: Who, expand: Name | None = None) -> Any:
        """The graph (cytoscape.js elements, grouped); ``expand=VPC``: that VPC's subnet nodes."""
        s = snap()
        if expand is not None:
            try:
                return {"nodes": subnets_of(s, who, expand), "edges": []}
            except KeyError:
                raise HTTPException(404, f"expand: no network {expand!r} (or not visible to {who.role.value})") from None
        return cached_json("topology", who, lambda s: graph(s, who))

    @app.get("/api/network", tags=["pages"], responses=ERRORS)
    def api_network(who: Who) -> Response:
        """Verify findings with hop-by-hop traces, the properties that hold, the endpoints to query."""
        return cached_json("network", who, lambda s: views.network(s, who))

    @app.get("/api/reach", tags=["pages"], responses=ERRORS)
    def api_reach(who: Who, src: Name, dst: Name, port: Annotated[str, Query(max_length=40, pattern=r"^[0-9,\- ]*$")] = "",
                  protocol: Literal["tcp", "udp", "icmp", "all"] = "tcp") -> dict[str, Any]:
        """Can SRC reach DST on PORT (and get replies)? The verdict and every trace (``net reach``)."""
        return views.reach(snap(), who, src, dst, port, protocol)

    @app.get("/api/placement", tags=["pages"], responses=ERRORS)
    def api_placement(who: Who) -> Response:
        """Where each workload runs, its round trip to each venue with the basis, and why."""
        return cached_json("placement", who, lambda s: views.placement(s, who))

    @app.get("/api/terraform", tags=["pages"], responses=ERRORS)
    def api_terraform(who: Who, against: Annotated[str | None, Query(min_length=1, max_length=400)] = None) -> dict[str, Any]:
        """Stages, resources by type and module; with ``against=ESTATE`` the resource diff from it."""
        s = snap()
        out = views.terraform(s, who)
        if against is not None:
            other = cache.other(views.allowed_against(Path(against), roots))
            out["diff"] = views.terraform_diff(s, other, who)
        return out

    @app.get("/api/cost", tags=["pages"], responses=ERRORS)
    def api_cost(who: Who) -> dict[str, Any]:
        """The estimate by desk, cloud and kind against budgets; billing history, burn and anomalies."""
        data = cost_view(snap(), who, billing)
        return {k: v for k, v in data.items() if k != "charts"}

    @app.get("/api/migration", tags=["pages"], responses=ERRORS)
    def api_migration(who: Who) -> Any:
        """The colocation's waves, each with its checks, window and Terraform diff."""
        if migrate_state is not None:  # the state file changes without the estate: read it each time
            return views.migration(snap(), who, migrate_state)
        return cached_json("migration", who, lambda s: views.migration(s, who, None))

    @app.get("/api/feeds", tags=["feeds"], responses=ERRORS)
    def api_feeds(_who: Who) -> dict[str, Any]:
        """The latest picture of every venue, stream and leg (``connected: false`` without a gateway)."""
        if poller is None:
            return {"connected": False, "error": "no feed gateway configured (--gateway URL)", "legs": [],
                    "streams": []}
        return poller.latest

    @app.get("/api/feeds/stream", tags=["feeds"], responses={**ERRORS, 200: {"content": {"text/event-stream": {}}}})
    async def api_feeds_stream(_who: Who) -> StreamingResponse:
        """Server-Sent Events: ``event: status`` with the picture, about once a second."""
        if poller is None:
            raise HTTPException(503, "feeds not connected: no feed gateway configured (--gateway URL)")
        return StreamingResponse(sse(poller.subscribe()), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def _restricted() -> Any:
        return (await run_in_threadpool(snap)).restricted()

    def _visible_incident(who: Principal, inc: Mapping[str, Any], r: Any) -> bool:
        if who.role.sees_crypto:
            return True
        return not (inc.get("desk") in r.desks or r.mentions(inc.get("workload"), inc.get("network")))

    @app.get("/api/incidents", tags=["incidents"], responses=ERRORS)
    async def api_incidents(who: Who, status: Literal["triggered", "acknowledged", "mitigated", "resolved"] | None = None
                            ) -> dict[str, Any]:
        """Incidents from the incidents service (the crypto desk's only for crypto and platform)."""
        if not incidents.connected:
            return {"connected": False, "incidents": [], "hidden": 0}
        rows = await incidents.list(status)
        r = await _restricted()
        shown = [i for i in rows if _visible_incident(who, i, r)]
        return {"connected": True, "incidents": shown, "hidden": len(rows) - len(shown)}

    IncidentId = Annotated[int, PathParam(ge=1, le=2**31 - 1, description="the incident's id")]

    async def _incident(who: Principal, incident_id: int) -> dict[str, Any]:
        inc = await incidents.get(incident_id)
        if not _visible_incident(who, inc, await _restricted()):
            raise HTTPException(403, "the crypto desk's incidents are shown only to the crypto and platform roles")
        return inc

    @app.get("/api/incidents/{incident_id}", tags=["incidents"], responses=ERRORS)
    async def api_incident(who: Who, incident_id: IncidentId) -> dict[str, Any]:
        """One incident with its owner, alerts and hash-chained timeline."""
        return await _incident(who, incident_id)

    @app.post("/api/incidents/{incident_id}/{action}", tags=["incidents"], responses=ERRORS)
    async def api_incident_action(incident_id: IncidentId, action: Literal["ack", "resolve"],
                                  who: Annotated[Principal, Depends(needs(Role.REQUESTER))],
                                  body: ActionBody | None = None) -> dict[str, Any]:
        """Acknowledge or resolve (requester rank and above); logged with the actor."""
        await _incident(who, incident_id)
        return await incidents.act(incident_id, action, who.name, (body or ActionBody()).text)

    @app.get("/api/audit", tags=["access"], responses=ERRORS)
    def api_audit(_who: Annotated[Principal, Depends(needs(Role.APPROVER))]) -> list[dict[str, Any]]:
        """Every mutating call this console served (newest last), with its actor (approver rank)."""
        return list(audit)

    # ----------------------------------------------------------------- self-serve (tradeplane.selfserve)

    def actor(request: Request) -> Actor:
        """The self-serve actor of the caller: the console principal's name and role."""
        who = principal(request)
        return Actor(who.name, who.role.value)

    app.include_router(make_router(estate_path, actor, selfserve_state))

    # ----------------------------------------------------------------- pages

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def overview_page(request: Request, who: Who) -> Response:
        return cached_page(request, "overview", who, lambda s: {"data": views.overview(s, who)})

    @app.get("/topology", response_class=HTMLResponse, include_in_schema=False)
    def topology_page(request: Request, who: Who) -> Response:
        def ctx(s: Snapshot) -> dict[str, Any]:
            g = graph(s, who)
            return {"counts": g["counts"], "layout": g["layout"], "collapsed": g["collapsed"],
                    "cytoscape": assets.cytoscape() is not None}
        return cached_page(request, "topology", who, ctx)

    @app.get("/network", response_class=HTMLResponse, include_in_schema=False)
    def network_page(request: Request, who: Who, src: str = "", dst: str = "", port: str = "",
                     protocol: str = "tcp") -> Response:
        if not (src or dst or port) and protocol == "tcp":
            return cached_page(request, "network", who, lambda s: {
                "data": views.network(s, who), "answer": None, "error": None,
                "form": {"src": "", "dst": "", "port": "", "protocol": "tcp"}})
        answer, error = None, None
        if src and dst:
            try:
                answer = views.reach(snap(), who, src, dst, port, protocol)
            except (InputError, PermissionError) as exc:
                error = "; ".join(exc.lines()) if isinstance(exc, InputError) else str(exc)
        return page(request, "network", who, data=views.network(snap(), who), answer=answer, error=error,
                    form={"src": src, "dst": dst, "port": port, "protocol": protocol})

    @app.get("/placement", response_class=HTMLResponse, include_in_schema=False)
    def placement_page(request: Request, who: Who) -> Response:
        return cached_page(request, "placement", who, lambda s: {"data": views.placement(s, who)})

    @app.get("/terraform", response_class=HTMLResponse, include_in_schema=False)
    def terraform_page(request: Request, who: Who, against: str = "") -> Response:
        if not against:
            return cached_page(request, "terraform", who, lambda s: {
                "data": views.terraform(s, who), "diff": None, "error": None, "against": ""})
        s = snap()
        diff, error = None, None
        if against:
            try:
                diff = views.terraform_diff(s, cache.other(views.allowed_against(Path(against), roots)), who)
            except InputError as exc:
                error = "; ".join(exc.lines())
        return page(request, "terraform", who, data=views.terraform(s, who), diff=diff, error=error, against=against)

    @app.get("/cost", response_class=HTMLResponse, include_in_schema=False)
    def cost_page(request: Request, who: Who) -> Response:
        return cached_page(request, "cost", who, lambda s: {"data": cost_view(s, who, billing)})

    @app.get("/feeds", response_class=HTMLResponse, include_in_schema=False)
    def feeds_page(request: Request, who: Who) -> HTMLResponse:
        latest = poller.latest if poller is not None else None
        return page(request, "feeds", who, gateway=gateway_url, latest=latest)

    @app.get("/incidents", response_class=HTMLResponse, include_in_schema=False)
    async def incidents_page(request: Request, who: Who) -> HTMLResponse:
        data: dict[str, Any] = {"connected": incidents.connected, "incidents": [], "hidden": 0, "error": None}
        if incidents.connected:
            try:
                data = {**data, **await api_incidents(who)}
            except (NotConnected, IncidentsError) as exc:
                data["error"] = str(exc)
        return page(request, "incidents", who, data=data, url=incidents_url)

    @app.get("/incidents/{incident_id}", response_class=HTMLResponse, include_in_schema=False)
    async def incident_page(request: Request, who: Who, incident_id: IncidentId) -> HTMLResponse:
        inc, error = None, None
        try:
            inc = await _incident(who, incident_id)
        except (NotConnected, IncidentsError, HTTPException) as exc:
            error = getattr(exc, "detail", None) or str(exc)
        return page(request, "incident", who, inc=inc, error=error, connected=incidents.connected)

    @app.get("/migration", response_class=HTMLResponse, include_in_schema=False)
    def migration_page(request: Request, who: Who) -> HTMLResponse:
        return page(request, "migration", who, data=views.migration(snap(), who, migrate_state))

    @app.get("/requests", response_class=HTMLResponse, include_in_schema=False)
    def requests_page(request: Request, who: Who) -> HTMLResponse:
        s = snap()
        e = s.estate
        r = s.restricted()
        hide = not who.role.sees_crypto

        def names(items: Sequence[Any]) -> list[str]:  # the crypto desk's workloads and networks: its roles only
            return sorted(x.name for x in items if not (hide and r.touches(x.name)))

        choices = {"desks": names(e.desks) if e else [], "venues": names(e.venues) if e else [],
                   "networks": names(e.networks) if e else [], "workloads": names(e.workloads) if e else []}
        return page(request, "requests", who, choices=choices)

    return app
