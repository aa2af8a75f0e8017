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


def _node_pool_zones(gke_tf: str) -> dict[str, set[str]]:
    """node pool name -> its node_locations, from a rendered gke.tf."""
    out: dict[str, set[str]] = {}
    for block in gke_tf.split('resource "google_container_node_pool"')[1:]:
        name = block.split('name           = "', 1)[1].split('"', 1)[0]
        locations = block.split("node_locations = [", 1)[1].split("]", 1)[0]
        out[name] = {z.strip().strip('"') for z in locations.split(",") if z.strip()}
    return out


def test_render_plan_and_k8s_put_every_workload_in_the_same_zones(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Found in a fresh-clone trial: `terraform render` (without --place) put node pool cme-md-feed-a in
    us-central1-a and -b in -b, while `plan -o`, `terraform render --place` and `k8s render` put them in b
    and a. Every output now takes its zones from the one placement (plan.placed_zones): the trees
    `terraform render` and `plan -o` write are identical, and each GKE node pool's node_locations are the
    zones k8s render annotates its Deployment with."""
    rendered, placed, planned, kube = (tmp_path / x for x in ("render", "place", "plan", "k8s"))
    assert main(["terraform", "render", str(REFERENCE), "-o", str(rendered)]) == 0
    assert main(["terraform", "render", str(REFERENCE), "-o", str(placed), "--place"]) == 0
    assert main(["plan", str(REFERENCE), "-o", str(planned), "--json"]) in (0, 1)
    assert main(["k8s", "render", str(REFERENCE), "-o", str(kube)]) == 0
    capsys.readouterr()

    def tree(root: Path) -> dict[str, str]:
        return {str(f.relative_to(root)): f.read_text() for f in sorted(root.rglob("*.tf"))}

    assert tree(rendered) == tree(planned) == tree(placed)
    pools = _node_pool_zones((rendered / "gcp" / "30-compute" / "gke.tf").read_text())
    annotated = {}
    for f in kube.rglob("*.yaml"):
        for doc in yaml.safe_load_all(f.read_text()):
            if doc and doc.get("kind") == "Deployment":
                zones = doc["metadata"]["annotations"]["tradeplane.io/zones"]
                annotated[doc["metadata"]["name"]] = {z.strip() for z in zones.split(",")}
    assert pools["cme-md-feed-a"] == annotated["cme-md-feed-a"] == {"us-central1-b"}, (pools, annotated)
    assert pools["cme-md-feed-b"] == annotated["cme-md-feed-b"] == {"us-central1-a"}
    assert {k: v for k, v in pools.items() if k in annotated} == annotated


def test_with_no_placement_render_writes_what_plan_writes_and_place_refuses(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """When the solver cannot place the estate, `terraform render` writes the Terraform `plan -o` writes (the
    estate's own zones) and says so; `--place` refuses: one line per explanation, exit 2, nothing written."""
    estate = tmp_path / "small"
    estate.mkdir()
    text = (REFERENCE.parent / "small" / "estate.yaml").read_text()
    assert "rtt_us: 20000}" in text
    (estate / "estate.yaml").write_text(text.replace("rtt_us: 20000}", "rtt_us: 1}", 1))
    assert main(["terraform", "render", str(estate), "-o", str(tmp_path / "render")]) == 0
    out = capsys.readouterr().out
    assert "placement infeasible: replicas are in the estate's own zones" in " ".join(out.split())
    assert main(["plan", str(estate), "-o", str(tmp_path / "plan"), "--json"]) in (0, 1)
    capsys.readouterr()

    def tree(root: Path) -> dict[str, str]:
        return {str(f.relative_to(root)): f.read_text() for f in sorted(root.rglob("*.tf"))}

    assert tree(tmp_path / "render") == tree(tmp_path / "plan") != {}
    assert main(["terraform", "render", str(estate), "-o", str(tmp_path / "strict"), "--place"]) == 2
    err = capsys.readouterr().err
    assert "the placement solver found no placement (infeasible); nothing written" in err
    assert "estate.yaml:" in err and "Traceback" not in err
    assert not (tmp_path / "strict").exists()
