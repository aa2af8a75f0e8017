"""Conformance: what must hold between rendered resources, on the reference, goldens and the old defects."""

from __future__ import annotations

import re
from collections import Counter
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from tradeplane.estate import Estate
from tradeplane.estate.model import Control
from tradeplane.terraform import Rendered, render
from tradeplane.terraform.aws.scps import PROTECT_SID, PROTECTED_ROLE_ACTIONS
from tradeplane.terraform.conformance import check_conformance, literal
from tradeplane.terraform.guardrails import ScpStatement, scoping_problems, scp_statement
from tradeplane.terraform.hcl import HclBlock

from . import estates

HERE = Path(__file__).parent
DEFECTS = HERE / "defects" / "dv-trading"
GOLDEN = HERE / "golden"


def _files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text(encoding="utf-8") for p in root.rglob("*.tf")}


def test_reference_render_conforms(reference_estate: Estate, reference_rendered: Rendered) -> None:
    findings = check_conformance(reference_rendered, reference_estate)
    assert findings == [], "\n".join(map(str, findings))


@pytest.mark.parametrize("name", sorted(estates.ALL))
def test_every_golden_estate_conforms(name: str) -> None:
    findings = check_conformance(_files(GOLDEN / name), estates.ALL[name]())
    assert findings == [], "\n".join(map(str, findings))


@pytest.fixture(scope="module")
def old(reference_estate: Estate) -> list[tuple[str, int, str, str]]:
    return [(f.file, f.line, f.rule, f.message) for f in check_conformance(_files(DEFECTS), reference_estate)]


def _has(found: list[tuple[str, int, str, str]], file: str, line: int, rule: str, text: str) -> bool:
    return any(f == file and ln == line and r == rule and text in m for f, ln, r, m in found)


def test_defect_1_alerts_that_reach_nobody(old: list[tuple[str, int, str, str]]) -> None:
    assert _has(old, "aws/40-observability/alarms.tf", 17, "alert-delivery", '"alias/aws/sns"')
    assert _has(old, "aws/40-observability/alarms.tf", 17, "alert-delivery", "has no subscription")
    assert _has(old, "gcp/40-observability/monitoring.tf", 66, "alert-delivery", "reaches nobody")
    counts = Counter(f for f, _, r, _ in old if r == "alert-delivery")
    assert counts["gcp/40-observability/monitoring.tf"] == 9  # every GCP alert policy
    assert counts["aws/40-observability/alarms.tf"] == 2 * 25  # every alarm: wrong key and no subscriber


def test_defect_2_shared_compute_in_the_host_project(old: list[tuple[str, int, str, str]]) -> None:
    assert _has(old, "gcp/30-compute/instances.tf", 13, "placement", "us_central1__cme_compact is in "
                'var.project_ids["gcp-net-host"], not the VM\'s project var.project_ids["gcp-futures-prod"]')
    assert _has(old, "gcp/30-compute/instances.tf", 177, "placement", "node group "
                "google_compute_node_group.us_central1_a__st_pricing")


def test_defect_3_macsec_without_keys(old: list[tuple[str, int, str, str]]) -> None:
    assert _has(old, "gcp/10-networking/interconnect.tf", 39, "half-configured", "pre_shared_keys")
    assert _has(old, "aws/10-networking/direct_connect.tf", 27, "half-configured", "aws_dx_macsec_key_association")
    assert _has(old, "aws/10-networking/cross_cloud.tf", 18, "half-configured", "aws_dx_macsec_key_association")


def test_defect_4_gke_breaks_the_cmek_policy_and_runs_as_the_default_account(
        old: list[tuple[str, int, str, str]]) -> None:
    assert _has(old, "gcp/30-compute/gke.tf", 45, "guardrail", "cmek-everywhere (customer_managed_keys): GKE nodes'")
    assert _has(old, "gcp/30-compute/gke.tf", 45, "guardrail", "default service account")
    assert any(f == "gcp/30-compute/gke.tf" and r == "guardrail" and "boot_disk_kms_key" in m and ln > 90
               for f, ln, r, m in old)  # the node pool too


def test_defect_6_bgp_sessions_that_never_agree(old: list[tuple[str, int, str, str]]) -> None:
    assert _has(old, "aws/10-networking/cross_cloud.tf", 35, "link-agreement", "MD5 key is not set on both ends")
    assert _has(old, "aws/10-networking/cross_cloud.tf", 47, "link-agreement", "MD5 key is not set on both ends")


def test_defect_7_secret_access_inverted(old: list[tuple[str, int, str, str]]) -> None:
    assert _has(old, "aws/20-security/desk_roles.tf", 407, "secret-access", "is assumed by people")
    assert _has(old, "aws/30-compute/instances.tf", 180, "secret-access",
                "the instance role of coinbase-mm cannot read its venue key 'crypto/coinbase/mm-trade'")


def test_scp_statements_are_scoped_to_the_resources_of_their_condition_keys(reference_estate: Estate) -> None:
    ids = ("100000000001", "100000000002")
    for g in reference_estate.guardrails:
        if g.control is Control.RESTRICT_REGIONS and not any(r.count("-") == 2 for r in g.regions):
            continue
        st = scp_statement(reference_estate, g, (), ids)
        assert scoping_problems(st) == [], g.name


def test_defect_5_the_old_peering_statement_is_caught() -> None:
    old = ScpStatement("RestrictVpcPeering", actions=("ec2:CreateVpcPeeringConnection",),
                       conditions=(("StringNotLike", "ec2:AccepterVpc", ("arn:aws:ec2:*:1:vpc/*",)),))
    (problem,) = scoping_problems(old)
    assert "ec2:AccepterVpc" in problem and "'*'" in problem
    ok = ScpStatement("x", actions=("ec2:RunInstances",), resources=("arn:aws:ec2:*:*:instance/*",),
                      conditions=(("StringNotEquals", "ec2:MetadataHttpTokens", ("required",)),
                                  ("StringNotEquals", "aws:PrincipalAccount", ("1",))))
    assert scoping_problems(ok) == []


def test_guardrails_respect_exemptions_and_scopes(reference_estate: Estate, reference_rendered: Rendered) -> None:
    files = dict(reference_rendered.files)
    path = "gcp/30-compute/instances.tf"
    files[path] = files[path].replace("enable_secure_boot          = true", "enable_secure_boot          = false", 1)
    found = check_conformance(files, reference_estate)
    assert [f.rule for f in found] == ["guardrail"] and "secure boot" in found[0].message


def test_ha_vpn_tunnels_agree_at_both_ends(reference_estate: Estate) -> None:
    """Each kind of HA VPN disagreement is reported at its line: another tunnel's pre-shared key, a
    BGP peer address outside the interface's /30, a peer ASN that is not the VPN's remote ASN."""
    path = "dv-trading/gcp/10-networking/ha_vpn.tf"
    good = (GOLDEN / path).read_text(encoding="utf-8")
    assert [f for f in check_conformance({path: good}, reference_estate) if f.rule == "link-agreement"] == []
    bad = (good.replace('var.vpn_shared_secrets["vpn-aurora-backup/vpn-aurora-t1"]',
                        'var.vpn_shared_secrets["vpn-aurora-backup/vpn-aurora-t0"]')
           .replace('peer_ip_address           = "169.254.119.6"', 'peer_ip_address           = "169.254.119.10"')
           .replace("peer_asn                  = 65010\n  advertised_route_priority = 200\n}\n\nresource "
                    '"google_compute_vpn_tunnel"', "peer_asn                  = 65011\n  advertised_route_priority = "
                    '200\n}\n\nresource "google_compute_vpn_tunnel"'))
    lines = bad.splitlines()
    found = {(f.line, f.message.split(" ")[0]) for f in check_conformance({path: bad}, reference_estate)
             if f.rule == "link-agreement"}
    secret = next(i + 1 for i, line in enumerate(lines) if '"vpn-aurora-backup/vpn-aurora-t0"]' in line
                  and i > next(j for j, x in enumerate(lines) if '"vpn_aurora_backup__vpn_aurora_t1" {' in x
                               and "vpn_tunnel" in x))
    address = next(i + 1 for i, line in enumerate(lines) if '"169.254.119.10"' in line)
    asn = next(i + 1 for i, line in enumerate(lines) if "65011" in line)
    assert (secret, "the") in found
    assert (address, "peer") in found
    assert (asn, "peer") in found


def test_defect_8_cross_cloud_ports_without_lacp(old: list[tuple[str, int, str, str]]) -> None:
    """The old render put each cross-cloud leg's transit VIF on a bare connection (no LACP)."""
    assert _has(old, "aws/10-networking/cross_cloud.tf", 38, "cross-cloud-port", "aws_dx_connection.xc_gcp__a")
    assert _has(old, "aws/10-networking/cross_cloud.tf", 50, "cross-cloud-port", "aws_dx_connection.xc_gcp__b")


@pytest.fixture(scope="module")
def cross_cloud(reference_rendered: Rendered) -> dict[str, str]:
    """Both ends of the reference estate's cross-cloud link, as rendered."""
    return {p: reference_rendered.files[p] for p in ("aws/10-networking/cross_cloud.tf", "gcp/10-networking/cross_cloud.tf")}


def _ports(files: dict[str, str]) -> list[tuple[int, str, str]]:
    return [(f.line, f.address, f.message) for f in check_conformance(files)
            if f.rule in ("cross-cloud-port", "half-configured")]


def _line(text: str, needle: str, after: str = "") -> int:
    lines = text.splitlines()
    start = next(i for i, x in enumerate(lines) if after in x) if after else 0
    return next(i + 1 for i, x in enumerate(lines) if i >= start and needle in x)


def test_cross_cloud_legs_sit_on_lags_of_one_connection(cross_cloud: dict[str, str]) -> None:
    """Google's "Order AWS ports" for Cross-Cloud Interconnect: one LAG per leg, one connection in it,
    the VIF on the LAG. The reference render holds that; each way of breaking it is reported."""
    path = "aws/10-networking/cross_cloud.tf"
    good = cross_cloud[path]
    assert good.count('resource "aws_dx_lag"') == 2
    assert "connection_id         = aws_dx_connection.xc_gcp__a.id" in good
    assert "connection_id    = aws_dx_lag.xc_gcp__a.id" in good
    assert _ports(cross_cloud) == []

    def bad(text: str) -> list[tuple[int, str, str]]:
        return _ports({**cross_cloud, path: text})

    # the VIF on the bare connection
    on_conn = good.replace("connection_id    = aws_dx_lag.xc_gcp__a.id", "connection_id    = aws_dx_connection.xc_gcp__a.id")
    ((line, address, message),) = bad(on_conn)
    assert (line, address) == (_line(on_conn, "aws_dx_connection.xc_gcp__a.id", 'interface" "xc_gcp__a"'),
                               "aws_dx_transit_virtual_interface.xc_gcp__a")
    assert "bare Direct Connect connection" in message and "Order AWS ports" in message
    # a LAG without its connection: the provider would delete the one CreateLag made
    empty = good.replace("  connection_id         = aws_dx_connection.xc_gcp__b.id\n", "")
    ((line, address, message),) = bad(empty)
    assert address == "aws_dx_lag.xc_gcp__b" and "holds no connection" in message
    # both legs on one LAG
    shared = good.replace("connection_id    = aws_dx_lag.xc_gcp__b.id", "connection_id    = aws_dx_lag.xc_gcp__a.id")
    found = bad(shared)
    assert {a for _, a, _ in found} == {"aws_dx_transit_virtual_interface.xc_gcp__a",
                                        "aws_dx_transit_virtual_interface.xc_gcp__b"}
    assert all("carries 2 cross-cloud legs" in m for _, _, m in found)
    # two connections in one LAG, and a connection of another bandwidth
    two = good + ('\nresource "aws_dx_connection_association" "extra" {\n'
                  "  connection_id = aws_dx_connection.xc_gcp__b.id\n  lag_id        = aws_dx_lag.xc_gcp__a.id\n}\n")
    ((_, address, message),) = bad(two)
    assert address == "aws_dx_lag.xc_gcp__a" and "holds 2 connections" in message
    slow = good.replace('connections_bandwidth = "10Gbps"', 'connections_bandwidth = "1Gbps"', 1)
    ((_, address, message),) = bad(slow)
    assert address == "aws_dx_lag.xc_gcp__a" and "bandwidth" in message


def test_macsec_on_a_lag_needs_its_key_on_the_lag_or_its_connection(cross_cloud: dict[str, str]) -> None:
    path = "aws/10-networking/cross_cloud.tf"
    good = cross_cloud[path]
    asked = good.replace('  connection_id         = aws_dx_connection.xc_gcp__a.id\n',
                         '  connection_id         = aws_dx_connection.xc_gcp__a.id\n  request_macsec        = true\n')
    found = _ports({**cross_cloud, path: asked})
    assert {(a, m.split(" but ")[1][:10]) for _, a, m in found} == {("aws_dx_lag.xc_gcp__a", "no aws_dx_"),
                                                                     ("aws_dx_lag.xc_gcp__a", "encryption")}
    keyed = asked.replace('  request_macsec        = true\n', '  request_macsec        = true\n'
                          '  encryption_mode       = "must_encrypt"\n') + (
        '\nresource "aws_dx_macsec_key_association" "xc_gcp__a" {\n'
        "  connection_id = aws_dx_connection.xc_gcp__a.id\n  secret_arn    = var.arn\n}\n")
    assert _ports({**cross_cloud, path: keyed}) == []


def _connection_alarms(text: str) -> dict[str, str]:
    """The ``AWS/DX ConnectionState`` alarms of a rendered alarms.tf: the connection-id input they read
    (``var.<output>["<key>"]``) -> the alarm block without its per-connection lines."""
    out: dict[str, str] = {}
    for m in re.finditer(r'(?ms)^resource "aws_cloudwatch_metric_alarm" "\w+" \{\n(.*?)^\}\n', text):
        body = m.group(1)
        if '"ConnectionState"' not in body:
            continue
        dim = re.search(r"ConnectionId = (var\.\w+\[\"[^\"]+\"\])", body)
        assert dim is not None, body
        same = [x for x in body.splitlines() if not re.match(r"\s*(alarm_name|alarm_description|dimensions|tags) ", x)]
        out[dim.group(1)] = "\n".join(same)
    return out


def test_every_direct_connect_connection_has_a_connection_down_alarm(reference_rendered: Rendered) -> None:
    """Site connections and each cross-cloud leg's connection (the one its LAG holds) alike: one
    ConnectionState alarm each, on the connection id the networking stage outputs, same thresholds
    and actions."""
    alarms = _connection_alarms(reference_rendered.files["aws/40-observability/alarms.tf"])
    assert sorted(alarms) == [
        'var.cross_cloud_connection_ids["xc-gcp/a"]', 'var.cross_cloud_connection_ids["xc-gcp/b"]',
        'var.dx_connection_ids["dx-chicago/dxcon-ch1-a"]', 'var.dx_connection_ids["dx-chicago/dxcon-ch1-b"]',
        'var.dx_connection_ids["dx-new-york/dxcon-ny4-a"]', 'var.dx_connection_ids["dx-new-york/dxcon-ny4-b"]']
    assert len(set(alarms.values())) == 1  # same provider, namespace, statistic, threshold, topic
    outputs = reference_rendered.files["aws/10-networking/outputs.tf"]
    assert '"xc-gcp/a" = aws_dx_connection.xc_gcp__a.id' in outputs
    assert '"xc-gcp/b" = aws_dx_connection.xc_gcp__b.id' in outputs
    assert "tradeplane-platform-xc-gcp-b-connection-down" in reference_rendered.files["aws/40-observability/alarms.tf"]


def test_no_scp_denies_outright_what_a_stage_renders_under_it(reference_estate: Estate,
                                                              reference_rendered: Rendered) -> None:
    """The organisation stage sets S3 Block Public Access in every member account through its own role,
    which the NoPublicStorage SCP would deny: the statement exempts exactly that role, and the check
    reports every resource the SCP would block when the exemption is missing or names another role."""
    path = "aws/00-org-guardrails/scps.tf"
    good = reference_rendered.files[path]
    exemption = ('\n    condition {\n      test     = "ArnNotLike"\n      variable = "aws:PrincipalArn"\n'
                 '      values   = ["arn:aws:iam::*:role/tradeplane-terraform-org-guardrails"]\n    }\n')
    assert exemption in good

    def conflicts(text: str) -> list[tuple[str, str]]:
        return [(f.file, f.message) for f in check_conformance({**reference_rendered.files, path: text},
                                                                reference_estate) if f.rule == "scp-conflict"]

    assert conflicts(good) == []
    found = conflicts(good.replace(exemption, ""))
    # the 8 member accounts' account-level blocks and the audit bucket's block in the log archive
    assert len(found) == 9 and all(f == "aws/00-org-guardrails/audit_baseline.tf" for f, _ in found)
    assert all("NoPublicStorage" in m and "tradeplane-terraform-org-guardrails" in m for _, m in found)
    assert len(conflicts(good.replace("tradeplane-terraform-org-guardrails", "tradeplane-terraform-compute"))) == 9


def _strings(value: str | None) -> list[str]:
    """The string literals of a rendered list (``["a", "b"]``)."""
    return re.findall(r'"((?:[^"\\]|\\.)*)"', value or "")


def _scp_statements(rendered: Rendered) -> dict[str, list[HclBlock]]:
    """SCP document name (``root__scp1``) -> its statements, from the organisation stage."""
    return {b.labels[1]: b.children("statement") for b in rendered.blocks["aws/00-org-guardrails/scps.tf"]
            if b.type == "data" and b.labels[0] == "aws_iam_policy_document"}


@pytest.mark.parametrize("which", ["reference", "guardrails"])
def test_the_roles_scps_exempt_by_name_only_their_creator_may_change(which: str, reference_rendered: Rendered) -> None:
    """An ``ArnNotLike aws:PrincipalArn`` exemption by role name is sound only while no one else in a
    member account can create, re-trust or re-permission a role of that name (AWS's sample SCP "Deny
    modifications to specific IAM roles"): the root's SCP denies every IAM write on the stage roles'
    name pattern, which every exemption of every statement matches, and on the bootstrap's own role,
    to every principal but ``role/${var.bootstrap_role_name}``: the role every bootstrap provider in a
    member account assumes to create the stage roles, wired from the bootstrap's output of that name."""
    rendered = reference_rendered if which == "reference" else render(estates.ALL[which]())
    docs = _scp_statements(rendered)
    protect = [st for st in docs["root__scp1"] + docs.get("root__scp2", []) if literal(st.value("sid")) == PROTECT_SID]
    assert len(protect) == 1
    [st] = protect
    boot_role = "arn:aws:iam::*:role/${var.bootstrap_role_name}"
    assert _strings(st.value("actions")) == list(PROTECTED_ROLE_ACTIONS)
    assert {"iam:CreateRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy", "iam:AttachRolePolicy",
            "iam:DetachRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:PutRolePermissionsBoundary",
            "iam:DeleteRolePermissionsBoundary", "iam:TagRole", "iam:UntagRole"} <= set(PROTECTED_ROLE_ACTIONS)
    assert _strings(st.value("resources")) == ["arn:aws:iam::*:role/tradeplane-terraform-*", boot_role]
    [cond] = st.children("condition")
    assert (literal(cond.value("test")), literal(cond.value("variable"))) == ("ArnNotLike", "aws:PrincipalArn")
    assert _strings(cond.value("values")) == [boot_role]
    # every other exemption by role name is a stage role the statement protects
    exempted = [v for statements in docs.values() for s in statements if s is not st for c in s.children("condition")
                if literal(c.value("variable")) == "aws:PrincipalArn" for v in _strings(c.value("values"))]
    assert which == "guardrails" or exempted  # the reference exempts the organisation stage from NoPublicStorage
    assert all(any(fnmatchcase(v, r) for r in _strings(st.value("resources"))) for v in exempted), exempted
    # the principal exempted is the one that creates the stage roles in member accounts
    providers = {literal(p.value("alias")): p for p in rendered.blocks["aws/00-bootstrap/providers.tf"]}
    creators = set()
    for b in rendered.blocks["aws/00-bootstrap/identities.tf"]:
        if b.labels[0] == "aws_iam_role" and (literal(b.value("name")) or "").startswith("tradeplane-terraform-"):
            alias = (b.value("provider") or "").removeprefix("aws.")
            assume = providers[alias].child("assume_role")
            if alias.startswith("management__"):
                assert assume is None  # the administrator's own credentials, outside every SCP
            else:
                assert assume is not None
                creators.add((assume.value("role_arn") or "").strip('"').split(":role/", 1)[1])
    assert creators == {"${var.bootstrap_role_name}"}
    outputs = {b.labels[0]: b for b in rendered.blocks["aws/00-bootstrap/outputs.tf"]}
    assert outputs["bootstrap_role_name"].value("value") == "var.bootstrap_role_name"
    assert "bootstrap_role_name" in rendered.inputs["aws/00-org-guardrails"]["aws/00-bootstrap"]


def test_both_ends_of_a_cross_cloud_leg_carry_the_same_mtu(reference_rendered: Rendered) -> None:
    """AWS transit VIFs take 1500 or 8500, GCP attachments 1440/1460/1500/8896: 1500 is the one value
    both accept, rendered from links.CROSS_CLOUD_MTU on both ends; a mismatch is reported."""
    from tradeplane.terraform.links import AWS_TRANSIT_VIF_MTUS, CROSS_CLOUD_MTU, GCP_ATTACHMENT_MTUS

    assert CROSS_CLOUD_MTU == 1500 and CROSS_CLOUD_MTU in AWS_TRANSIT_VIF_MTUS and CROSS_CLOUD_MTU in GCP_ATTACHMENT_MTUS
    aws, gcp = "aws/10-networking/cross_cloud.tf", "gcp/10-networking/cross_cloud.tf"
    cross_cloud = dict(reference_rendered.files)
    assert re.findall(r"mtu\s+= (\S+)", cross_cloud[aws]) == ["1500", "1500"]
    assert re.findall(r"mtu\s+= (\S+)", cross_cloud[gcp]) == ['"1500"', '"1500"']

    def agreement(files: dict[str, str]) -> list[str]:
        return [f.message for f in check_conformance(files) if f.rule == "link-agreement"]

    assert agreement(cross_cloud) == []
    jumbo = {**cross_cloud, gcp: re.sub(r'(mtu\s+= )"1500"', r'\1"8896"', cross_cloud[gcp])}
    found = agreement(jumbo)
    assert len(found) == 2 and all(m.startswith("MTU differs: 1500 here, 8896 on") for m in found)


def test_every_located_gcp_resource_is_inside_the_rendered_resource_locations(reference_estate: Estate,
                                                                            reference_rendered: Rendered) -> None:
    """gcp.resourceLocations governs Cloud Logging buckets too: the org audit bucket sits in the estate's
    primary GCP region (us-central1), and a bucket at "global" (as rendered before) or a VM in a region
    the policy does not list is reported at its line."""
    from tradeplane.terraform.conformance import location_allowed

    groups = frozenset({"in:us-central1-locations", "in:us-east4-locations"})
    assert location_allowed("us-central1", groups) and location_allowed("us-east4-b", groups)
    assert not location_allowed("global", groups) and not location_allowed("europe-west1", groups)
    path = "gcp/40-observability/log_sinks.tf"
    good = reference_rendered.files[path]
    assert 'location       = "us-central1"' in good

    def located(text: str) -> list[tuple[str, int, str]]:
        return [(f.file, f.line, f.message) for f in check_conformance({**reference_rendered.files, path: text},
                                                                       reference_estate)
                if f.rule == "resource-location"]

    assert located(good) == []
    ((file, line, message),) = located(good.replace('"us-central1"', '"global"'))
    assert file == path and line == 14 and "location 'global' is outside gcp.resourceLocations" in message


def test_cross_cloud_bfd_is_the_fastest_cloud_router_accepts(reference_rendered: Rendered) -> None:
    """Cloud Router BFD intervals must be 1000-30000 ms and the multiplier 5-16 (Compute Engine API,
    RouterBgpPeerBfd); AWS DX is fixed at 300 ms x 3, so 1000 ms x 5 is the fastest both ends agree on."""
    text = reference_rendered.files["gcp/10-networking/cross_cloud.tf"]
    blocks = re.findall(r"bfd \{(.*?)\}", text, re.S)
    assert len(blocks) == 2
    for b in blocks:
        values = dict(re.findall(r"(\w+)\s+= (\d+)", b))
        assert values == {"min_receive_interval": "1000", "min_transmit_interval": "1000", "multiplier": "5"}
