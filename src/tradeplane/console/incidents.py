"""The incidents page's client of the incidents service's HTTP API (``tradeplane.incidents.api``).

The console holds one service token (``TRADEPLANE_INCIDENTS_TOKEN`` or ``incidents_token``); what a
console user may see and do is decided by the console's roles on top: the crypto desk's incidents
only for crypto and platform, acknowledge and resolve for requester rank and above, each action
written to the timeline with the console actor's name in its text.
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["IncidentsClient", "NotConnected"]


class NotConnected(Exception):
    """No incidents URL configured, or the service does not answer."""


class IncidentsClient:
    def __init__(self, url: str | None, token: str | None, timeout: float = 5.0) -> None:
        self.url = url.rstrip("/") if url else None
        self.token = token
        self.timeout = timeout

    @property
    def connected(self) -> bool:
        return self.url is not None

    async def _call(self, method: str, path: str, **kw: Any) -> Any:
        if self.url is None:
            raise NotConnected("no incidents service configured (--incidents URL)")
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as c:
                resp = await c.request(method, f"{self.url}{path}", headers=headers, **kw)
        except httpx.HTTPError as exc:
            raise NotConnected(f"{self.url}: {type(exc).__name__} {exc}".strip()) from None
        if resp.status_code >= 400:
            try:
                detail = resp.json().get("detail", resp.text)
            except ValueError:
                detail = resp.text
            raise IncidentsError(resp.status_code, str(detail))
        return resp.json()

    async def list(self, status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"limit": limit}
        if status:
            params["status"] = status
        return list(await self._call("GET", "/api/v1/incidents", params=params))

    async def get(self, incident_id: int) -> dict[str, Any]:
        return dict(await self._call("GET", f"/api/v1/incidents/{incident_id}"))

    async def act(self, incident_id: int, action: str, actor: str, text: str = "") -> dict[str, Any]:
        body = {"text": f"{text} (by {actor} via the console)".strip()}
        return dict(await self._call("POST", f"/api/v1/incidents/{incident_id}/{action}", json=body))


class IncidentsError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
