"""GKE scheduling: manifests valid for the cluster's Kubernetes, legs that survive one failure, and
what GKE cannot give explained with the estate line."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tradeplane import estate as est
from tradeplane import k8s, placement
from tradeplane.cli import main
from tradeplane.estate.scheduling import node_taints

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES_VERSIONS = ("1.30", "1.31")


@pytest.fixture(scope="module")
def reference() -> est.Estate:
    return est.load(ROOT / "examples/dv-trading")


@pytest.fixture(scope="module")
def zones(reference: est.Estate) -> dict[str, tuple[str, ...]]:
    return placement.zones_by_workload(placement.solve(reference))


@pytest.fixture(scope="module")
def rendered(reference: est.Estate, zones: dict[str, tuple[str, ...]]) -> list[k8s.ClusterManifests]:
    return k8s.render(reference, zones)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_manifest_validates_against_the_kubernetes_schema(rendered: list[k8s.ClusterManifests],
                                                                version: str) -> None:
    documents = [d for m in rendered for d in m.documents()]
    assert {d["kind"] for d in documents} == {"Namespace", "PriorityClass", "Deployment", "PodDisruptionBudget"}
    for doc in documents:
        kubernetes_validate.validate(doc, version, strict=True)


def deployment(rendered: list[k8s.ClusterManifests], name: str) -> dict:  # type: ignore[type-arg]
    return next(d for m in rendered for d in m.documents() if d["kind"] == "Deployment" and d["metadata"]["name"] == name)


def test_latency_critical_pods_are_guaranteed_and_pinned(reference: est.Estate,
                                                        rendered: list[k8s.ClusterManifests]) -> None:
    spec = deployment(rendered, "cme-md-feed-a")["spec"]["template"]["spec"]
    resources = spec["containers"][0]["resources"]
    assert resources["requests"] == resources["limits"] == {"cpu": "6", "memory": "16384Mi"}
    assert spec["priorityClassName"] == "tradeplane-latency-critical"
    terms = spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert terms == [{"matchExpressions": [{"key": "cloud.google.com/gke-nodepool", "operator": "In",
                                            "values": ["cme-md-feed-a"]}]}]
    tolerated = {(t["key"], t["value"], t["effect"]) for t in spec["tolerations"]}
    assert tolerated == set(node_taints(reference.workload("cme-md-feed-a")))
    other = deployment(rendered, "futures-risk")["spec"]["template"]["spec"]
    assert "cpu" not in other["containers"][0]["resources"]["limits"]  # no CPU limit on standard pods
    assert other["priorityClassName"] == "tradeplane-standard"
    assert [c["topologyKey"] for c in other["topologySpreadConstraints"]] == ["kubernetes.io/hostname"]


def test_redundant_legs_survive_any_single_zone_or_node_failure(reference: est.Estate,
                                                                rendered: list[k8s.ClusterManifests]) -> None:
    assert k8s.single_failure_violations(reference, rendered) == []
    budgets = [d for m in rendered for d in m.documents() if d["kind"] == "PodDisruptionBudget"]
    legs = next(b for b in budgets if b["metadata"]["name"] == "cme-md-feed-a-legs")
    assert legs["spec"] == {"maxUnavailable": 1, "selector": {"matchLabels": {
        "tradeplane.io/redundancy-group": "cme-md-feed-a"}}}


def test_the_proof_fails_when_legs_share_a_zone(reference: est.Estate, zones: dict[str, tuple[str, ...]]) -> None:
    same = dict(zones, **{"cme-md-feed-b": zones["cme-md-feed-a"]})
    broken = k8s.render(reference, same)
    assert any("both node pools are in" in v for v in k8s.single_failure_violations(reference, broken))
    problems = [p.render() for p in k8s.problems(reference, same)]
    assert any("one zone failure takes both legs" in p and "workloads.yaml" in p for p in problems)


def test_what_gke_cannot_give_is_located(tmp_path: Path, reference: est.Estate,
                                         zones: dict[str, tuple[str, ...]]) -> None:
    data = reference.model_dump(mode="json")
    for w in data["workloads"]:
        if w["name"] == "futures-risk":
            w["placement"] = {"strategy": "compact"}
            w["pods"]["cpu"] = 16
    changed = est.Estate.model_validate(data)
    spread = dict(zones, **{"futures-risk": ("us-central1-a", "us-central1-b", "us-central1-c")})
    messages = [p.message for p in k8s.problems(changed, spread)]
    assert any("compact placement across us-central1-a, us-central1-b, us-central1-c" in m for m in messages)
    assert any("asks for 16 whole CPUs but a n2-standard-16 node has 15" in m for m in messages)


def test_allocatable_cpu_follows_gke_reservation() -> None:
    assert k8s.allocatable_cpu("n2-standard-16") == pytest.approx(16 - 0.06 - 0.01 - 0.01 - 0.03)
    assert k8s.allocatable_cpu("c2-standard-8") == pytest.approx(8 - 0.06 - 0.01 - 0.01 - 0.01)
    assert k8s.allocatable_cpu("e2-micro") is None


def test_cli_writes_one_folder_per_cluster(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "k8s"
    assert main(["k8s", "render", str(ROOT / "examples/dv-trading"), "-o", str(out), "--json"]) == 0
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.yaml"))
    assert files == ["futures-gke/00-namespaces.yaml", "futures-gke/01-priority-classes.yaml",
                     "futures-gke/02-disruption-budgets.yaml", "futures-gke/futures/cme-md-feed-a.yaml",
                     "futures-gke/futures/cme-md-feed-b.yaml", "futures-gke/futures/futures-risk.yaml"]
    docs = list(yaml.safe_load_all((out / "futures-gke/01-priority-classes.yaml").read_text()))
    assert [d["metadata"]["name"] for d in docs] == ["tradeplane-latency-critical", "tradeplane-standard"]
    capsys.readouterr()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["k8s", "render", str(ROOT / "examples/dv-trading"), "-o", str(blocker)]) == 2
    assert f"-o {blocker}: cannot write: it is a file, not a directory" in capsys.readouterr().err
    assert blocker.read_text() == "x"


def test_terraform_node_pools_carry_the_same_taints(reference: est.Estate, zones: dict[str, tuple[str, ...]]) -> None:
    from tradeplane import terraform

    text = terraform.render(reference, zones=zones).files["gcp/30-compute/gke.tf"]
    block = text[text.index('resource "google_container_node_pool" "futures_gke__cme_md_feed_a"'):]
    block = block[: block.index("\nresource ")] if "\nresource " in block else block
    assert 'key    = "tradeplane.io/latency-class"' in block and 'cpu_manager_policy = "static"' in block
