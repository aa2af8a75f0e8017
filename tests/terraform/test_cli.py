"""`tradeplane terraform render|guardrails` through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tradeplane.cli import main

from .conftest import REFERENCE


def test_render_writes_stages_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "tf"
    assert main(["terraform", "render", str(REFERENCE), "-o", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["total"] > 400
    assert set(report["by_cloud"]) == {"aws", "gcp"}
    assert (out / "aws" / "10-networking" / "vpc.tf").is_file()
    assert (out / "gcp" / "00-org-guardrails" / "org_policies.tf").is_file()
    (out / "aws" / "10-networking" / "stale.tf").write_text("# left from an older render\n")
    assert main(["terraform", "render", str(REFERENCE), "-o", str(out)]) == 0
    assert not (out / "aws" / "10-networking" / "stale.tf").exists()
    assert "every reference resolves" in capsys.readouterr().out


def test_guardrails_mapping_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["terraform", "guardrails", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    controls = {row["control"]: row for row in data["mapping"]}
    assert len(controls) == 13
    assert controls["no_external_ips"]["gcp_constraints"] == ["compute.vmExternalIpAccess"]
    assert controls["require_imdsv2"]["gcp_fidelity"] == "built-in"


def test_guardrails_with_estate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["terraform", "guardrails", str(REFERENCE)]) == 0
    assert "guardrails on both clouds" in capsys.readouterr().out
    assert main(["terraform", "guardrails", str(REFERENCE), "--json"]) == 0
    used = json.loads(capsys.readouterr().out)["estate_guardrails"]
    assert used["restrict_regions"] == ["approved-regions"]
    assert len(used) == 13


def test_unsupported_guardrail_exits_2_with_the_cloud_named(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    for f in REFERENCE.glob("*.yaml"):
        (tmp_path / f.name).write_text(f.read_text())
    rails = yaml.safe_load((tmp_path / "guardrails.yaml").read_text())
    rails["guardrails"][0]["regions"] = ["us-east-1"]
    (tmp_path / "guardrails.yaml").write_text(yaml.safe_dump(rails, sort_keys=False))
    assert main(["terraform", "render", str(tmp_path), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "cannot render on gcp" in err and "guardrails.yaml:" in err
    assert "Traceback" not in err


def test_render_with_solver_placement(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["terraform", "render", str(REFERENCE), "-o", str(tmp_path), "--place", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] > 400
    assert "us-central1-b" in (tmp_path / "gcp" / "30-compute" / "instances.tf").read_text()
