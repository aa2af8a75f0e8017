"""The rendered READMEs tell the operator what each stage needs and in which order to apply the stages.

Read back from the rendered text: every input a stage's variables.tf declares (other than those wired
from earlier stages) is in its cloud's README with the right sensitive flag and the keys the stage
reads from it; the apply order holds every stage once, each cloud's stages in order, and puts the
Google end of a Cross-Cloud Interconnect before the AWS end."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from tradeplane.estate.model import CrossCloud, Vpn
from tradeplane.terraform import Rendered, render
from tradeplane.terraform.readme import apply_order
from tradeplane.terraform.stages import Stage

from .estates import ALL as FOCUSED


def _variables(rendered: Rendered, module: str) -> dict[str, dict[str, Any]]:
    return {b.labels[0]: b.body() for b in rendered.blocks.get(f"{module}/variables.tf", []) if b.type == "variable"}


def _rows(readme: str, module: str) -> dict[str, list[str]]:
    section = readme.split(f"### {module}\n", 1)[1].split("\n### ", 1)[0]
    rows = {}
    for line in section.splitlines():
        m = re.match(r"\| `(\w+)` \| (.*) \|$", line)
        if m:
            rows[m.group(1)] = [c.strip() for c in m.group(2).split(" | ")]
    return rows


@pytest.mark.parametrize("which", ["reference", *sorted(FOCUSED)])
def test_each_clouds_readme_lists_every_operator_input(which: str, reference_rendered: Rendered) -> None:
    rendered = reference_rendered if which == "reference" else render(FOCUSED[which]())
    for module in rendered.modules():
        cloud = module.split("/")[0]
        readme = rendered.files[f"{cloud}/README.md"]
        rows = _rows(readme, module)
        variables = _variables(rendered, module)
        wired = {n for n, v in variables.items() if v["description"].startswith("output '")}
        assert set(rows) == set(variables) - wired, module
        for name, row in rows.items():
            assert row[1] == ("yes" if variables[name].get("sensitive") else "no"), (module, name)
            assert row[2] == ("required" if "default" not in variables[name] else row[2]), (module, name)
            read = set(re.findall(rf'\bvar\.{name}\["([^"]+)"\]',
                                  "".join(t for p, t in rendered.files.items() if p.startswith(f"{module}/"))))
            assert set(re.findall(r"`([^`]+)`", row[4])) == read, (module, name)
        for name in wired:
            assert f"`{name}` (" in readme.split(f"### {module}\n", 1)[1].split("\n### ", 1)[0], (module, name)


def test_the_reference_readme_names_the_sensitive_keys_and_the_amis(reference_rendered: Rendered) -> None:
    aws = _rows(reference_rendered.files["aws/README.md"], "aws/10-networking")
    assert aws["cross_cloud_bgp_md5_keys"][1] == "yes"
    gcp = _rows(reference_rendered.files["gcp/README.md"], "gcp/10-networking")
    assert gcp["cross_cloud_bgp_md5_keys"][1] == "yes" and gcp["vpn_shared_secrets"][1] == "yes"
    amis = _rows(reference_rendered.files["aws/README.md"], "aws/30-compute")["ami_ids"]
    assert "`binance-mm`" in amis[4]


def _order(readme: str) -> list[str]:
    return re.findall(r"^\d+\. `([\w/-]+)`", readme.split("## Apply order", 1)[1], re.M)


def test_the_reference_apply_order_puts_the_google_end_of_the_cross_cloud_link_first(
        reference_rendered: Rendered) -> None:
    order = _order(reference_rendered.files["README.md"])
    assert sorted(order) == sorted(rendered_modules(reference_rendered))
    assert order.index("gcp/10-networking") < order.index("aws/10-networking")
    for cloud in ("aws", "gcp"):
        own = [p for p in order if p.startswith(f"{cloud}/")]
        assert own == sorted(own), cloud
        assert _order(reference_rendered.files[f"{cloud}/README.md"]) == own


def rendered_modules(rendered: Rendered) -> list[str]:
    return [m for m in rendered.modules() if not m.endswith("/globals")]


@dataclass
class _Net:
    name: str
    cloud: str


@dataclass
class _Estate:
    """The two things apply_order reads: the networks and the links of a kind."""

    networks: list[_Net]
    links: list[Any] = field(default_factory=list)

    def links_of(self, kind: type) -> list[Any]:
        return [x for x in self.links if isinstance(x, kind)]


ALL_STAGES = [Stage.BOOTSTRAP, Stage.ORG, Stage.NETWORKING, Stage.SECURITY]


def test_a_vpn_between_the_clouds_splits_the_networking_stages_in_three_steps() -> None:
    vpn = Vpn(kind="vpn", name="x-vpn", network="gcp-net", remote="aws-net", router="r", remote_asn=64512,
              tunnels=({"name": "t0", "peer_address": "var.peer0"},))
    estate = _Estate([_Net("gcp-net", "gcp"), _Net("aws-net", "aws")], [vpn])
    order = [p for p, _ in apply_order(estate, {"aws": ALL_STAGES, "gcp": ALL_STAGES})]  # type: ignore[arg-type]
    assert order == ["aws/00-bootstrap", "aws/00-org-guardrails", "gcp/00-bootstrap", "gcp/00-org-guardrails",
                     "gcp/10-networking", "aws/10-networking", "gcp/10-networking", "aws/20-security",
                     "gcp/20-security"]
    alone = _Estate([_Net("gcp-net", "gcp"), _Net("aws-net", "aws")])
    order = [p for p, _ in apply_order(alone, {"aws": ALL_STAGES, "gcp": ALL_STAGES})]  # type: ignore[arg-type]
    assert order == [f"{c}/{s.value}" for c in ("aws", "gcp") for s in ALL_STAGES]
    assert CrossCloud  # the other coupling, proven on the reference estate above


def test_the_gcp_readme_names_every_cmek_grant_the_service_agents_need(reference_rendered: Rendered) -> None:
    """VM and GKE node boot disks encrypted with an operator key need the project's Compute Engine service
    agent, GKE's etcd secrets the GKE service agent, to hold cryptoKeyEncrypterDecrypter on that key; the
    compute stage cannot grant it, so the README lists each key the rendered resources use, once."""
    text = reference_rendered.files["gcp/README.md"]
    section = text.split("### gcp/30-compute", 1)[1].split("### ", 1)[0]
    used = sorted(set(re.findall(r'var\.((?:disk|gke)_kms_keys)\["([^"]+)"\]',
                                 "".join(t for p, t in reference_rendered.files.items()
                                         if p.startswith("gcp/30-compute/")))))
    assert used == [("disk_kms_keys", "futures"), ("gke_kms_keys", "futures-gke")]
    for var, key in used:
        agent = "compute-system" if var == "disk_kms_keys" else "container-engine-robot"
        lines = [ln for ln in section.splitlines() if ln.startswith(f'- `{var}["{key}"]`')]
        assert len(lines) == 1 and "roles/cloudkms.cryptoKeyEncrypterDecrypter" in lines[0], lines
        assert f"@{agent}.iam.gserviceaccount.com" in lines[0] and "dvt-futures-prod" in lines[0]
