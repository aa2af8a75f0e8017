"""The self-serve HTTP API, as a FastAPI router the console (or any app) mounts.

``make_router(estate_path, get_actor, state_dir)``; ``get_actor`` is a FastAPI dependency
returning the ``Actor`` of the call (the console maps its tokens to actors):

- ``POST /api/requests`` — body ``{"kind": "workload"|"venue"|"flow"|"budget", ...fields}``;
  201 with the stored outcome (verdict, reasons, findings new/removed, trace, placement,
  terraform diff, cost delta, estate diff); 422 ``{"detail": [{"field", "reason", "hint"}]}``
  for bad input (never 500); 403 unless the actor is a requester, crypto, approver or platform;
  503 when the estate itself does not load (its located errors in ``detail``).
- ``GET /api/requests`` — every request's summary.
- ``GET /api/requests/{id}`` — one outcome; 404 unknown.

Every answer shows the crypto desk's details to the crypto and platform roles only: for anyone
else they are left out and counted (``hidden``, ``redacted: true``; ``tradeplane.selfserve.redact``).
- ``POST /api/requests/{id}/approve`` — body ``{"branch": NAME}`` optional; approver/platform only, and
  never the request's own requester (403 ``{"detail": [{"field": "actor", "reason", "hint"}]}``:
  separation of duties); ``{"id", "patch", "branch", "commit"}``; 409 when refused, already approved
  or the estate moved.

Evaluation runs the whole plan twice (seconds): the handlers are plain functions, which FastAPI
runs in its thread pool, so the event loop keeps serving other calls.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException
from fastapi import Path as PathParam
from pydantic import BaseModel, Field, ValidationError

from tradeplane.errors import EstateError, InputError, Problem, TradeplaneError
from tradeplane.selfserve.roles import Actor, Conflict, Forbidden, NotFound
from tradeplane.selfserve.store import ID_PATTERN, Store
from tradeplane.selfserve.workflow import approve, show, submit, visible

__all__ = ["ERRORS", "ApproveBody", "ProblemItem", "Problems", "make_router"]

RequestIdParam = Annotated[str, PathParam(description=f"a request id ({ID_PATTERN})")]


class ProblemItem(BaseModel):
    """One thing wrong with a call: the field, why, and what to do."""

    field: str
    reason: str
    hint: str = ""
    location: str | None = Field(default=None, description="file:line:column, when the problem is in a file")


class Problems(BaseModel):
    """The body of every 4xx/503 this router answers."""

    detail: list[ProblemItem]


#: The error responses of every route, declared so that clients (and schemathesis) can rely on them.
ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": Problems} for code in (403, 404, 409, 422, 503)}


class ApproveBody(BaseModel):
    branch: str | None = Field(default=None, description="also create this branch (one commit) in the estate's repo")


def _problems(exc: TradeplaneError) -> list[dict[str, str]]:
    if not exc.problems:
        return [{"field": "", "reason": exc.message, "hint": ""}]
    return [{"field": p.field, "reason": p.message, "hint": p.hint,
             **({"location": str(p.location)} if p.location else {})} for p in exc.problems]


def _http(exc: TradeplaneError) -> HTTPException:
    if isinstance(exc, Forbidden):
        return HTTPException(403, _problems(exc))
    if isinstance(exc, NotFound):
        return HTTPException(404, _problems(exc))
    if isinstance(exc, Conflict):
        return HTTPException(409, _problems(exc))
    if isinstance(exc, EstateError):
        return HTTPException(503, [{"field": "estate", "reason": line, "hint": ""} for line in exc.lines()])
    if isinstance(exc, InputError):
        return HTTPException(422, _problems(exc))
    return HTTPException(422, _problems(exc))


def make_router(estate_path: Path, get_actor: Callable[..., Actor], state_dir: Path | None = None) -> APIRouter:
    """The router over one estate; requests and the audit log live in ``state_dir`` (``store``)."""
    store = Store(state_dir)
    router = APIRouter(tags=["self-serve requests"], responses=ERRORS)
    who = Depends(_guarded(get_actor))

    @router.post("/api/requests", status_code=201)
    def create_request(actor: Actor = who, body: Annotated[Any, Body()] = None) -> dict[str, Any]:
        """Evaluate a request (patch a copy, run the whole plan) and store it."""
        try:
            return submit(Path(estate_path), body if isinstance(body, dict) else _not_mapping(body), actor, store)
        except TradeplaneError as exc:
            raise _http(exc) from None

    @router.get("/api/requests")
    def list_requests(actor: Actor = who) -> list[dict[str, Any]]:
        """Every request's summary, oldest first (the crypto desk's names masked unless the actor sees it)."""
        return visible(store, actor)

    @router.get("/api/requests/{request_id}")
    def get_request(request_id: RequestIdParam, actor: Actor = who) -> dict[str, Any]:
        """One request's outcome (the crypto desk's details left out unless the actor sees it)."""
        try:
            return show(store, request_id, actor)
        except TradeplaneError as exc:
            raise _http(exc) from None

    @router.post("/api/requests/{request_id}/approve")
    def approve_request(request_id: RequestIdParam, actor: Actor = who,
                        body: Annotated[Any, Body()] = None) -> dict[str, Any]:
        """Approve an acceptable request: its patch file, and a branch when asked (body ``ApproveBody``)."""
        try:
            return approve(store, request_id, actor, branch=_approve_body(body).branch)
        except TradeplaneError as exc:
            raise _http(exc) from None

    return router


def _guarded(get_actor: Callable[..., Any]) -> Callable[..., Any]:
    """``get_actor`` with the same signature (FastAPI injects its own dependencies), whose
    ``TradeplaneError`` (an unknown role, a bad name) becomes a 403 instead of a 500."""
    if inspect.iscoroutinefunction(get_actor):
        @functools.wraps(get_actor)
        async def async_inner(*args: Any, **kwargs: Any) -> Actor:
            try:
                actor: Actor = await get_actor(*args, **kwargs)
            except TradeplaneError as exc:
                raise HTTPException(403, _problems(exc)) from None
            return actor

        return async_inner

    @functools.wraps(get_actor)
    def inner(*args: Any, **kwargs: Any) -> Actor:
        try:
            actor: Actor = get_actor(*args, **kwargs)
        except TradeplaneError as exc:
            raise HTTPException(403, _problems(exc)) from None
        return actor

    return inner


def _approve_body(body: Any) -> ApproveBody:
    if body is None:
        return ApproveBody()
    try:
        return ApproveBody.model_validate(body)
    except ValidationError as exc:
        problems = [_p(e) for e in exc.errors(include_url=False)]
        raise InputError(problems[0].message, problems) from None


def _p(err: Any) -> Problem:
    return Problem(str(err.get("msg", "invalid")), None, ".".join(str(x) for x in err.get("loc", ())) or "body")


def _not_mapping(body: Any) -> dict[str, Any]:
    raise InputError.single(f"the body must be a JSON object with a 'kind', not {type(body).__name__}",
                            field="body", hint='e.g. {"kind": "budget", "desk": "futures", "amount": 250000}')
