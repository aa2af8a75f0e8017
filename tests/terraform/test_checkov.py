"""Posture: checkov (run as an isolated tool) finds nothing on the reference estate's Terraform.

Checkov conflicts with python-hcl2 in one environment, so it never enters the project's
environment: ``uv tool run`` installs the pinned version on first use into uv's tool cache.
The only skips allowed are the ones written inside a resource with their reason.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tradeplane.terraform import Rendered, write

CHECKOV = "checkov==3.3.30"
pytestmark = pytest.mark.integration


def _uv() -> str | None:
    return os.environ.get("UV") or shutil.which("uv")


@pytest.mark.skipif(_uv() is None, reason="uv is needed to run checkov isolated")
def test_checkov_reports_no_failed_checks(reference_rendered: Rendered, tmp_path: Path) -> None:
    write(reference_rendered, tmp_path)
    done = subprocess.run(
        [str(_uv()), "tool", "run", "--from", CHECKOV, "checkov", "-d", str(tmp_path), "--framework", "terraform",
         "--quiet", "--compact", "-o", "json"],
        capture_output=True, text=True, check=False, timeout=900)
    assert done.stdout.strip(), done.stderr[-2000:]
    reports = json.loads(done.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [f"{f['check_id']} {f['resource']} ({f['file_path']})"
              for r in reports for f in r["results"]["failed_checks"]]
    assert failed == []
    assert sum(r["summary"]["passed"] for r in reports) > 1000
    for r in reports:
        assert r["summary"]["parsing_errors"] == 0


def test_every_skip_sits_inside_a_resource_with_a_reason(reference_rendered: Rendered) -> None:
    skips = 0
    for path, text in reference_rendered.files.items():
        for line in text.splitlines():
            if "checkov:skip" in line:
                skips += 1
                assert line.startswith("  # "), f"{path}: skip outside a block: {line}"
                assert re.match(r"^  # checkov:skip=CKV2?_[A-Z]+_\d+:\S.{10,}$", line), f"{path}: {line}"
    assert skips > 0
