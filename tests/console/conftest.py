"""Console fixtures: one app over the reference estate (its plan built once per session), tokens per role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tradeplane.console import Role, create_app

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "examples" / "dv-trading"
TOKENS = {"t-viewer-0001": Role.VIEWER, "t-requester-01": Role.REQUESTER, "t-approver-001": Role.APPROVER,
          "t-crypto-0001": Role.CRYPTO, "t-platform-01": Role.PLATFORM}
NAMES = {"t-viewer-0001": "vera", "t-requester-01": "rick", "t-approver-001": "anna", "t-crypto-0001": "cory",
         "t-platform-01": "pat"}
BY_ROLE = {role.value: token for token, role in TOKENS.items()}


def auth(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {BY_ROLE[role]}"}


@pytest.fixture(scope="session")
def console_app(tmp_path_factory):  # type: ignore[no-untyped-def]
    # requests and their audit log go to a temporary state dir, never into the checkout
    return create_app(REFERENCE, tokens=TOKENS, token_names=NAMES,
                      selfserve_state=tmp_path_factory.mktemp("selfserve-state"))


@pytest.fixture(scope="session")
def client(console_app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(console_app) as c:
        yield c
