"""The plan is cached per version of the estate files; an estate that stops loading shows located errors."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from fastapi.testclient import TestClient

from tests.console.conftest import ROOT
from tradeplane.console import create_app


def test_a_broken_estate_shows_located_errors_then_recovers(tmp_path: Path):
    estate = tmp_path / "small"
    shutil.copytree(ROOT / "examples" / "small", estate)
    good = (estate / "estate.yaml").read_text()
    broken = good.replace("desks:\n", "desks:\n  - {name: futures, owner: nobody}\n", 1)
    (estate / "estate.yaml").write_text(broken)
    app = create_app(estate)
    with TestClient(app) as c:
        r = c.get("/")
        assert r.status_code == 200
        assert "INVALID" in r.text and 'id="errors"' in r.text
        data = c.get("/api/overview").json()
        assert data["verdict"] == "invalid" and data["errors"]
        assert any(f"{estate / 'estate.yaml'}:" in line for line in data["errors"]), data["errors"]
        for path in ("/topology", "/network", "/placement", "/terraform", "/cost", "/migration",
                     "/api/network", "/api/placement", "/api/terraform", "/api/topology", "/api/cost"):
            assert c.get(path).status_code == 200, path
        assert c.get("/api/reach", params={"src": "a", "dst": "b"}).status_code == 400
        (estate / "estate.yaml").write_text(good)
        st = (estate / "estate.yaml").stat()
        os.utime(estate / "estate.yaml", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        data = c.get("/api/overview").json()
        assert data["verdict"] in ("ready", "blocked") and data["errors"] == []
        builds = app.state.cache.builds
        for _ in range(3):
            c.get("/api/overview")
        assert app.state.cache.builds == builds


def test_no_estate_at_all_is_an_error_on_the_overview(tmp_path: Path):
    with TestClient(create_app(tmp_path / "missing")) as c:
        data = c.get("/api/overview").json()
        assert data["verdict"] == "invalid" and "no estate at" in data["errors"][0]
