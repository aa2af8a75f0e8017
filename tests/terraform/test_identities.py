"""One automation identity per stage: the bootstrap stage's rendered grants, walked as rendered.

The proofs read the rendered blocks (what `terraform apply` would create), not the table they
come from: the networking identity has no Organizations/SCP, Organization Policy or IAM-admin
permission, the organisation identity touches no network, every stage's providers use its own
identity, and every role a stage creates stays under its path and inside its boundary."""

from __future__ import annotations

import json
import re
import shutil
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest

from tradeplane.estate import Estate
from tradeplane.terraform import Rendered, render
from tradeplane.terraform.aws_actions import (
    NAME_ATTRS,
    NAME_PREFIXES,
    READ_JUSTIFICATION,
    SERVICE_READS,
    TYPE_ACTIONS,
    iam_reference,
    name_matches,
)
from tradeplane.terraform.identities import (
    GRANTS,
    INLINE_POLICY_LIMIT,
    desk_secrets,
    grants_table,
    policy_size,
    uncovered,
)
from tradeplane.terraform.stages import Stage

from .estates import ALL as FOCUSED
from .test_stages import _terraform, _variable_text

DOCS = Path(__file__).resolve().parents[2] / "docs" / "terraform.md"
ORG_ADMIN_AWS = ("organizations:", "account:")
# GCP roles that change Organization Policy, the hierarchy or anyone's IAM
ORG_ADMIN_GCP = re.compile(r"^roles/(orgpolicy\.|resourcemanager\.(organizationAdmin|folderAdmin|folderIamAdmin|"
                           r"projectIamAdmin)|iam\.|owner$|editor$|billing\.)")


def _bodies(rendered: Rendered, module: str, type_: str, kind: str = "resource") -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for path, blocks in rendered.blocks.items():
        if path.startswith(f"{module}/"):
            for b in blocks:
                if b.type == kind and b.labels[0] == type_:
                    out[b.labels[1]] = b.body()
    return out


def _statements(rendered: Rendered, stage: Stage) -> dict[str, list[dict[str, Any]]]:
    """account -> the statements of the stage role's inline policy, as rendered in aws/00-bootstrap."""
    docs = _bodies(rendered, "aws/00-bootstrap", "aws_iam_policy_document", "data")
    policies = _bodies(rendered, "aws/00-bootstrap", "aws_iam_role_policy")
    roles = _bodies(rendered, "aws/00-bootstrap", "aws_iam_role")
    out: dict[str, list[dict[str, Any]]] = {}
    for name, policy in policies.items():
        role = roles[name]
        if role["name"] != f"tradeplane-terraform-{stage.slug}":
            continue
        doc = re.fullmatch(r"\$\{data\.aws_iam_policy_document\.(\w+)\.json\}", policy["policy"])
        assert doc, policy
        out[name] = docs[doc.group(1)]["statement"]
    return out


def _gcp_roles(rendered: Rendered, stage: Stage) -> list[dict[str, Any]]:
    return [b for b in _bodies(rendered, "gcp/00-bootstrap", "google_organization_iam_member").values()
            if b["member"] == f"serviceAccount:${{google_service_account.{stage.short}.email}}"]


def test_every_stage_has_an_identity_on_each_cloud(reference_rendered: Rendered) -> None:
    for stage in GRANTS:
        assert _statements(reference_rendered, stage), stage
        assert _gcp_roles(reference_rendered, stage), stage
    sas = _bodies(reference_rendered, "gcp/00-bootstrap", "google_service_account")
    assert sorted(b["account_id"] for b in sas.values()) == sorted(f"tradeplane-{s.slug}" for s in GRANTS)


def test_the_networking_identity_cannot_change_organisation_policy_scps_or_iam(reference_rendered: Rendered) -> None:
    for account, statements in _statements(reference_rendered, Stage.NETWORKING).items():
        for st in statements:
            if st["effect"] != "Allow":
                continue
            for action in st["actions"]:
                assert not action.startswith(ORG_ADMIN_AWS), (account, st["sid"], action)
                if action.startswith("iam:"):  # only its own delivery roles, never '*' or a stage identity
                    assert all("role/tradeplane/networking/" in r or "role/aws-service-role/" in r
                               for r in st["resources"]), (account, st["sid"], st["resources"])
            if any(a in st["actions"] for a in ("iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy")):
                (cond,) = st["condition"]
                assert cond["variable"] == "iam:PermissionsBoundary"
                assert cond["values"][0].endswith(":policy/tradeplane/boundary-networking")
        denies = {(a, r) for st in statements if st["effect"] == "Deny" for a in st["actions"] for r in st["resources"]}
        assert ("organizations:*", "*") in denies
        assert any(a == "iam:*" and r.endswith(":role/tradeplane-terraform-*") for a, r in denies)
    for grant in _gcp_roles(reference_rendered, Stage.NETWORKING):
        if grant["role"] == "roles/resourcemanager.projectIamAdmin":  # only with the roles it grants listed
            (cond,) = grant["condition"]
            listed = re.findall(r"'(roles/[^']+)'", cond["expression"])
            assert "hasOnly" in cond["expression"] and listed
            assert not any(ORG_ADMIN_GCP.match(r) for r in listed), listed
        else:
            assert not ORG_ADMIN_GCP.match(grant["role"]), grant["role"]


def test_the_organisation_identity_cannot_touch_a_network(reference_rendered: Rendered) -> None:
    for statements in _statements(reference_rendered, Stage.ORG).values():
        for st in statements:
            if st["effect"] == "Allow":
                assert not any(a.split(":")[0] in ("ec2", "directconnect", "ram") for a in st["actions"]), st
    assert not any(g["role"].startswith("roles/compute.") for g in _gcp_roles(reference_rendered, Stage.ORG))


NETWORK_CHANGES = ("ec2:CreateVpc", "ec2:CreateSubnet", "ec2:CreateRoute", "ec2:AuthorizeSecurityGroupIngress",
                   "ec2:CreateTransitGateway", "ec2:CreateNetworkAclEntry", "ec2:DeleteVpc", "directconnect:CreateConnection")


def test_only_the_networking_identity_changes_networks(reference_rendered: Rendered) -> None:
    for stage in GRANTS:
        for statements in _statements(reference_rendered, stage).values():
            allowed = [a for st in statements if st["effect"] == "Allow" for a in st["actions"]]
            denied = [a for st in statements if st["effect"] == "Deny" for a in st["actions"]]
            changes = [c for c in NETWORK_CHANGES if any(fnmatchcase(c, a) for a in allowed)]
            assert bool(changes) == (stage is Stage.NETWORKING), (stage, changes)
            if stage is Stage.NETWORKING:  # and it launches no instance
                assert "ec2:RunInstances" in denied


def test_no_stage_identity_may_change_the_identities_or_read_a_secret_value(reference_rendered: Rendered) -> None:
    for stage in GRANTS:
        for statements in _statements(reference_rendered, stage).values():
            allowed = [a for st in statements if st["effect"] == "Allow" for a in st["actions"]]
            assert not any(fnmatchcase("secretsmanager:GetSecretValue", a) for a in allowed), stage
            if stage is not Stage.ORG:
                assert not any(a.startswith(ORG_ADMIN_AWS) for a in allowed), stage
            sids = {st["sid"] for st in statements if st["effect"] == "Deny"}
            assert {"NeverTheAutomationIdentities", "NeverReadSecretValues", "NeverSecretResourcePolicies"} <= sids
            # a secret's resource policy could grant anyone read access to a venue key: no stage renders one
            assert not any(fnmatchcase("secretsmanager:PutResourcePolicy", a) for a in allowed), stage


def test_each_stage_provider_uses_its_own_identity(reference_rendered: Rendered) -> None:
    for path, blocks in reference_rendered.blocks.items():
        if not path.endswith("/providers.tf"):
            continue
        cloud, stage_dir = path.split("/")[:2]
        stage = Stage(stage_dir)
        for p in blocks:
            if cloud == "gcp":
                got = p.value("impersonate_service_account")
                assert got == (None if stage is Stage.BOOTSTRAP else f"var.{stage.short}_service_account"), path
                continue
            assume = p.child("assume_role")
            if stage is Stage.BOOTSTRAP:
                assert assume is None or "var.bootstrap_role_name" in (assume.value("role_arn") or "")
                continue
            assert assume is not None, (path, p.value("alias"))
            account = re.fullmatch(r'var\.(\w+)_role_arns\["([\w-]+)"\]', assume.value("role_arn") or "")
            assert account and account.group(1) == stage.short, (path, assume.value("role_arn"))
            assert (p.value("alias") or "").strip('"').startswith(account.group(2).replace("-", "_") + "__")
        # the input is validated to be this stage's identity, not another's
        variables = {b.labels[0]: b for b in reference_rendered.blocks[f"{cloud}/{stage_dir}/variables.tf"]
                     if b.type == "variable"}
        if stage is not Stage.BOOTSTRAP:
            name = f"{stage.short}_{'role_arns' if cloud == 'aws' else 'service_account'}"
            conditions = " ".join(v.value("condition") or "" for v in variables[name].children("validation"))
            assert (f"tradeplane-terraform-{stage.slug}$" if cloud == "aws" else f"^tradeplane-{stage.slug}@") \
                in conditions


def test_each_stage_identity_is_trusted_by_its_own_principal_only(reference_rendered: Rendered) -> None:
    """Per-stage trust: the AWS role of a stage trusts only that stage's CI role, the GCP service account
    of a stage may be impersonated only by that stage's CI member (one map input per cloud, keyed by
    stage, which refuses one principal for two stages: below, under terraform)."""
    docs = _bodies(reference_rendered, "aws/00-bootstrap", "aws_iam_policy_document", "data")
    slugs = {f"tradeplane-terraform-{s.slug}": s.slug for s in GRANTS}
    for name, role in _bodies(reference_rendered, "aws/00-bootstrap", "aws_iam_role").items():
        trust = docs[re.fullmatch(r"\$\{data\.aws_iam_policy_document\.(\w+)\.json\}",
                                  role["assume_role_policy"]).group(1)]  # type: ignore[union-attr]
        principals = [p for st in trust["statement"] for p in st["principals"]]
        own = slugs[role["name"]]
        assert principals == [{"type": "AWS", "identifiers": [f'${{var.automation_principal_arns["{own}"]}}']}], name
    members = _bodies(reference_rendered, "gcp/00-bootstrap", "google_service_account_iam_member")
    assert len(members) == len(GRANTS)
    for name, m in members.items():
        own = Stage(next(s.value for s in GRANTS if s.short == name)).slug
        assert (m["role"], m["member"]) == ("roles/iam.serviceAccountTokenCreator",
                                            f'${{var.automation_principals["{own}"]}}'), name


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is needed to run the validations")
@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_one_principal_for_two_stages_is_refused_under_terraform(reference_rendered: Rendered, tmp_path: Path,
                                                                 cloud: str) -> None:
    name = "automation_principal_arns" if cloud == "aws" else "automation_principals"
    text = _variable_text(reference_rendered.files[f"{cloud}/00-bootstrap/variables.tf"], {name})
    (tmp_path / "variables.tf").write_text(text)
    slugs = [s.slug for s in GRANTS]
    own = {s: (f"arn:aws:iam::111122223333:role/ci-{s}" if cloud == "aws"
               else f"serviceAccount:ci-{s}@ci-project.iam.gserviceaccount.com") for s in slugs}
    assert _terraform(tmp_path, "init", "-backend=false").returncode == 0

    def plan(values: dict[str, str]) -> str:
        (tmp_path / "terraform.tfvars.json").write_text(json.dumps({name: values}))
        run = _terraform(tmp_path, "plan")
        return "" if run.returncode == 0 else " ".join(run.stderr.split())

    assert plan(own) == ""
    assert "No principal may serve two stages" in plan({**own, "networking": own["org-guardrails"]})
    missing = dict(own)
    del missing["compute"]
    assert "must name exactly one principal for each stage" in plan(missing)
    assert "must name exactly one principal for each stage" in plan({**own, "everything": own["compute"] + "x"})


def test_roles_a_stage_creates_stay_under_its_path_and_inside_its_boundary(reference_rendered: Rendered) -> None:
    for (cloud, stage_dir) in {tuple(p.split("/")[:2]) for p in reference_rendered.blocks}:
        if cloud != "aws" or stage_dir in ("globals", Stage.BOOTSTRAP.value):
            continue
        stage = Stage(stage_dir)
        module = f"aws/{stage_dir}"
        roles = _bodies(reference_rendered, module, "aws_iam_role")
        docs = _bodies(reference_rendered, module, "aws_iam_policy_document", "data")
        for name, role in roles.items():
            assert role["path"] == f"/tradeplane/{stage.slug}/", (module, name)
            own = f"boundary-{stage.slug}-{role['tags']['desk']}" if GRANTS[stage].boundary_per_desk \
                else f"boundary-{stage.slug}"
            assert role["permissions_boundary"].endswith(f":policy/tradeplane/{own}"), (module, name)
        boundaries = _boundaries(reference_rendered)
        for name, rp in _bodies(reference_rendered, module, "aws_iam_role_policy").items():
            role = roles[re.fullmatch(r"\$\{aws_iam_role\.(\w+)\.id\}", rp["role"]).group(1)]  # type: ignore[union-attr]
            limit = boundaries[role["permissions_boundary"]]
            doc = docs[re.fullmatch(r"\$\{data\.aws_iam_policy_document\.(\w+)\.json\}", rp["policy"]).group(1)]  # type: ignore[union-attr]
            for st in doc["statement"]:
                for action in st["actions"]:
                    for resource in st["resources"]:
                        assert any(fnmatchcase(action, b["action"]) and _glob(b["resource"], resource)
                                   for b in limit), (module, name, action, resource)


def _glob(pattern: str, value: str) -> bool:
    """IAM's wildcard match (``*``, ``?``), nothing else special (ARNs hold ``[`` and ``]`` here)."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value) is not None


def _boundaries(rendered: Rendered) -> dict[str, list[dict[str, str]]]:
    """The ARN a role names as its permissions boundary -> the (action, resource) pairs that boundary allows."""
    docs = _bodies(rendered, "aws/00-bootstrap", "aws_iam_policy_document", "data")
    out: dict[str, list[dict[str, str]]] = {}
    for p in _bodies(rendered, "aws/00-bootstrap", "aws_iam_policy").values():
        doc = docs[re.fullmatch(r"\$\{data\.aws_iam_policy_document\.(\w+)\.json\}", p["policy"]).group(1)]  # type: ignore[union-attr]
        pairs = [{"action": a, "resource": r} for st in doc["statement"] if st["effect"] == "Allow"
                 for a in st["actions"] for r in st["resources"]]
        alias = p["provider"].strip("${}").removeprefix("aws.")
        acct = alias.split("__")[0].replace("_", "-")  # the provider alias is account__region
        out[f'arn:aws:iam::${{module.globals.aws_account_ids["{acct}"]}}:policy/tradeplane/{p["name"]}'] = pairs
    return out


@pytest.mark.parametrize("name", sorted(FOCUSED))
def test_every_rendered_type_is_covered_by_its_stages_grants(name: str) -> None:
    """render() refuses a type no grant covers; here the same on the focused estates' renders."""
    rendered = render(FOCUSED[name]())
    for cloud, stages in rendered.counts.items():
        for stage_dir, types in stages.items():
            if stage_dir != Stage.BOOTSTRAP.value:
                granted = {"roles/resourcemanager.projectIamAdmin"}  # conditional: proven above
                assert uncovered(Stage(stage_dir), cloud, types, granted) == [], (cloud, stage_dir)


def test_an_uncovered_type_is_named() -> None:
    assert "aws_lambda_function" not in TYPE_ACTIONS
    # unknown; an instance profile without instance-profile grants; Organizations outside the organisation
    # stage and an instance in networking (both refused by the stage's explicit denies)
    assert uncovered(Stage.NETWORKING, "aws", ["aws_vpc", "aws_lambda_function", "aws_iam_instance_profile",
                                                "aws_organizations_policy", "aws_instance"]) == [
        "aws_iam_instance_profile", "aws_instance", "aws_lambda_function", "aws_organizations_policy"]
    assert uncovered(Stage.ORG, "aws", ["aws_organizations_policy"]) == []
    assert uncovered(Stage.NETWORKING, "gcp", ["google_compute_network", "google_org_policy_policy"]) == [
        "google_org_policy_policy"]


def test_the_compute_identity_attaches_service_accounts_only_in_its_projects(reference_rendered: Rendered,
                                                                            reference_estate: Estate) -> None:
    grants = _bodies(reference_rendered, "gcp/00-org-guardrails", "google_project_iam_member")
    users = [g for g in grants.values() if g["role"] == "roles/iam.serviceAccountUser"]
    assert users and all(g["member"] == "serviceAccount:${var.compute_service_account}" for g in users)
    assert not any(g["role"] == "roles/iam.serviceAccountUser" for g in _gcp_roles(reference_rendered, Stage.COMPUTE))
    compute = {m for text in (t for p, t in reference_rendered.files.items() if p.startswith("gcp/30-compute/"))
               for m in re.findall(r'project_ids\["([^"]+)"\]', text)}
    assert {re.search(r'project_ids\["([^"]+)"\]', g["project"]).group(1) for g in users} == compute  # type: ignore[union-attr]


def test_the_documented_grant_table_is_the_code() -> None:
    assert grants_table() in DOCS.read_text(encoding="utf-8")


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is needed to run the validations")
def test_a_stage_refuses_another_stages_identity_under_terraform(reference_rendered: Rendered,
                                                                  tmp_path: Path) -> None:
    """`terraform plan` of the networking stage's identity input (no provider needed): its own
    roles pass; the organisation stage's role, given by mistake, is refused before any call."""
    text = _variable_text(reference_rendered.files["aws/10-networking/variables.tf"], {"networking_role_arns"})
    (tmp_path / "variables.tf").write_text(text)
    accounts = re.findall(r'"([\w-]+)"', re.search(r"setsubtract\(\[([^]]*)\]", text).group(1))  # type: ignore[union-attr]
    own = {a: f"arn:aws:iam::{100000000000 + i}:role/tradeplane-terraform-networking" for i, a in enumerate(accounts)}
    (tmp_path / "00-bootstrap.auto.tfvars.json").write_text(json.dumps({"networking_role_arns": own}))
    assert _terraform(tmp_path, "init", "-backend=false").returncode == 0
    good = _terraform(tmp_path, "plan")
    assert good.returncode == 0, good.stderr
    wrong = {**own, accounts[0]: own[accounts[0]].replace("networking", "org-guardrails")}
    (tmp_path / "00-bootstrap.auto.tfvars.json").write_text(json.dumps({"networking_role_arns": wrong}))
    bad = _terraform(tmp_path, "plan")
    assert bad.returncode != 0
    assert "Every value of the input networking_role_arns must match" in " ".join(bad.stderr.split())


def test_project_iam_is_held_only_for_the_roles_each_stage_grants(reference_rendered: Rendered) -> None:
    for stage in GRANTS:
        granted = {b["role"] for b in _bodies(reference_rendered, f"gcp/{stage.value}",
                                               "google_project_iam_member").values()}
        held = [g for g in _gcp_roles(reference_rendered, stage) if g["role"] == "roles/resourcemanager.projectIamAdmin"]
        audits = _bodies(reference_rendered, f"gcp/{stage.value}", "google_project_iam_audit_config")
        if not granted and not audits:
            assert held == [], stage
            continue
        (cond,) = held[0]["condition"]
        assert set(re.findall(r"'(roles/[^']+)'", cond["expression"])) == granted, stage
        # the organisation stage grants the compute identity Service Account User in the compute projects
        allowed = {"roles/iam.serviceAccountUser"} if stage is Stage.ORG else set()
        assert not any(ORG_ADMIN_GCP.match(r) for r in granted - allowed), stage


IAM_ADMIN_GCP = re.compile(r"^roles/(resourcemanager\.(organizationAdmin|folderAdmin|folderIamAdmin|projectIamAdmin)|"
                           r"iam\.(securityAdmin|serviceAccountAdmin|serviceAccountTokenCreator|organizationRoleAdmin)|"
                           r"owner$)")


@pytest.mark.parametrize("name", ["reference", *sorted(FOCUSED)])
def test_no_identity_holds_an_iam_admin_role_without_a_condition(name: str, reference_rendered: Rendered) -> None:
    """An unconditioned IAM-admin grant at the organisation lets an identity grant itself Token Creator
    on every other stage's service account (and so be every stage)."""
    rendered = reference_rendered if name == "reference" else render(FOCUSED[name]())
    grants = _bodies(rendered, "gcp/00-bootstrap", "google_organization_iam_member").values()
    for g in grants:
        if IAM_ADMIN_GCP.match(g["role"]):
            (cond,) = g.get("condition", [None])
            assert cond is not None, g
            assert "modifiedGrantsByRole" in cond["expression"] and ".hasOnly([" in cond["expression"], g
            assert "roles/iam.serviceAccountTokenCreator" not in cond["expression"], g


# predefined roles whose permissions include setIamPolicy on the organisation, a folder or a project
# (Google Cloud IAM roles reference: Resource Manager, IAM and basic roles)
SETS_HIERARCHY_IAM = frozenset({
    "roles/owner", "roles/resourcemanager.organizationAdmin", "roles/resourcemanager.folderAdmin",
    "roles/resourcemanager.folderIamAdmin", "roles/resourcemanager.projectIamAdmin", "roles/iam.securityAdmin"})


@pytest.mark.parametrize("name", ["reference", *sorted(FOCUSED)])
def test_no_identity_may_set_a_folders_iam_policy(name: str, reference_rendered: Rendered) -> None:
    """The organisation identity manages folders with Folder Creator/Editor/Mover, never Folder Admin
    (which holds resourcemanager.folders.setIamPolicy); a role that sets hierarchy IAM is held only
    under a condition that limits the roles it may grant."""
    rendered = reference_rendered if name == "reference" else render(FOCUSED[name]())
    grants = list(_bodies(rendered, "gcp/00-bootstrap", "google_organization_iam_member").values())
    assert not any(g["role"] == "roles/resourcemanager.folderAdmin" for g in grants)
    for g in grants:
        if g["role"] in SETS_HIERARCHY_IAM:
            assert g.get("condition"), g
    folders = _bodies(rendered, "gcp/00-org-guardrails", "google_folder")
    if folders:  # the folders it renders are still covered
        held = {g["role"] for g in _gcp_roles(rendered, Stage.ORG)}
        assert {"roles/resourcemanager.folderCreator", "roles/resourcemanager.folderEditor"} <= held


# ---------------------------------------------------------------- AWS grants derived from what each stage renders

SCHEMA = Path(__file__).resolve().parents[2] / "src" / "tradeplane" / "terraform" / "provider_schema.json"


def _all_renders(reference_rendered: Rendered) -> list[tuple[str, Rendered]]:
    return [("reference", reference_rendered), *((n, render(FOCUSED[n]())) for n in sorted(FOCUSED))]


def _stage_policies(rendered: Rendered) -> dict[str, list[dict[str, Any]]]:
    """'<stage role name>/<account>' -> the statements of its inline policy."""
    return {f"{stage.slug}/{name}": sts for stage in GRANTS for name, sts in _statements(rendered, stage).items()}


def test_every_aws_type_tradeplane_renders_has_its_actions_in_the_one_table() -> None:
    """A family that adds an AWS type (the provider-schema build lists every type rendered) adds its
    IAM actions to aws_actions.TYPE_ACTIONS, and every action there is one the Service Authorization
    Reference knows (iam_reference.json, rebuilt by build_iam_reference.py when the table moves)."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    types = {t for kind in ("resource", "data") for t in schema[kind] if t.startswith("aws_")}
    assert types - set(TYPE_ACTIONS) == set()
    known = iam_reference()["actions"]
    assert isinstance(known, dict)
    assert {a for acts in TYPE_ACTIONS.values() for a in acts} - set(known) == set()
    assert not any(a.startswith("iam:") for acts in TYPE_ACTIONS.values() for a in acts)  # own-role statements only


def test_read_wildcards_are_read_only_and_never_secret_values() -> None:
    reads = iam_reference()["read_wildcards"]
    assert isinstance(reads, dict)
    for service, patterns in SERVICE_READS.items():
        for pattern in patterns:
            assert pattern.startswith(f"{service}:")
            assert set(reads[pattern]) <= {"List", "Read"}, (pattern, reads[pattern])
            assert not fnmatchcase("secretsmanager:GetSecretValue", pattern) and not fnmatchcase("s3:GetObject", pattern)
            assert ("*" in pattern) == (pattern in READ_JUSTIFICATION), pattern


@pytest.mark.parametrize("which", ["reference", *sorted(FOCUSED)])
def test_no_stage_role_allows_a_wildcard_action_on_every_resource(which: str, reference_rendered: Rendered) -> None:
    """No stage role allows 'Service:*' or '*' on Resource '*' -- nor any other wildcard action there
    except the named, justified read-only ones (READ_JUSTIFICATION); an action granted on '*' is one the
    Service Authorization Reference gives no required resource type (so it cannot be scoped)."""
    rendered = reference_rendered if which == "reference" else render(FOCUSED[which]())
    known = iam_reference()["actions"]
    assert isinstance(known, dict)
    for role, statements in _stage_policies(rendered).items():
        for st in statements:
            if st["effect"] != "Allow" or "*" not in st["resources"]:
                continue
            for action in st["actions"]:
                assert action != "*" and not action.endswith(":*"), (role, st["sid"], action)
                if "*" in action:
                    assert action in READ_JUSTIFICATION, (role, st["sid"], action)
                elif action in known:
                    assert not any(required for _, required in known[action]["resources"]), (role, st["sid"], action)


def test_the_stage_roles_hold_no_service_wide_grants_they_used_to(reference_rendered: Rendered) -> None:
    """Issue #13's reviewer: kms:*, logs:*, s3:* on '*' and networking's ec2:* narrowed only by denies."""
    for role, statements in _stage_policies(reference_rendered).items():
        allowed = [(a, r) for st in statements if st["effect"] == "Allow" for a in st["actions"] for r in st["resources"]]
        for action, resource in allowed:
            assert action not in ("kms:*", "logs:*", "s3:*", "ec2:*", "directconnect:*", "ram:*", "sns:*",
                                  "cloudwatch:*", "organizations:*", "config:*", "guardduty:*", "cloudtrail:*"), role
            if action.startswith(("kms:", "logs:", "s3:", "sns:", "secretsmanager:", "cloudwatch:Put")) \
                    and resource != "*":
                assert ":${module.globals.aws_account_ids[" in resource or resource.startswith("arn:aws:s3:::"), \
                    (role, action, resource)


def test_each_stage_role_gets_the_actions_of_the_types_it_renders_in_that_account(
        reference_rendered: Rendered) -> None:
    """Derived, not listed: the networking role of an account with VPCs may create subnets, the one of
    an account without (the Direct Connect / transit gateway hub) may not; observability may put alarms
    only under the estate's metric prefix."""
    networking = _statements(reference_rendered, Stage.NETWORKING)
    per_account = {name: {a for st in sts if st["effect"] == "Allow" for a in st["actions"]}
                   for name, sts in networking.items()}
    vpc_accounts = {b["provider"].split(".")[1].split("__")[0]
                    for b in _bodies(reference_rendered, "aws/10-networking", "aws_subnet").values()}
    for name, actions in per_account.items():
        account = name.removeprefix("networking__")
        assert ("ec2:CreateSubnet" in actions) == (account in vpc_accounts), name
    for sts in _statements(reference_rendered, Stage.OBSERVABILITY).values():
        for st in sts:
            if "cloudwatch:PutMetricAlarm" in st["actions"]:
                assert all(r.endswith(":alarm:tradeplane-*") for r in st["resources"]), st


@pytest.mark.parametrize("which", ["reference", *sorted(FOCUSED)])
def test_name_scoped_grants_cover_every_name_rendered(which: str, reference_rendered: Rendered,
                                                      reference_estate: Estate) -> None:
    """A grant narrowed to a name prefix must still cover what the stage renders, or the apply fails
    with AccessDenied: every rendered log group, topic, alarm, trail (and the audit bucket's input,
    by its validation) falls under its type's prefixes."""
    estate = reference_estate if which == "reference" else FOCUSED[which]()
    rendered = reference_rendered if which == "reference" else render(estate)
    values = {"estate": estate.name, "metric_prefix": estate.observability.metric_prefix}
    for _var, (types, prefixes) in NAME_PREFIXES.items():
        if not prefixes:
            continue
        filled = [p.format(**values) for p in prefixes]
        for path, blocks in rendered.blocks.items():
            for b in blocks:
                if b.type != "resource" or b.labels[0] not in types:
                    continue
                name = b.body()[NAME_ATTRS.get(b.labels[0], "name")]
                if name.startswith("${var."):
                    conditions = " ".join(v.value("condition") or "" for blocks2 in [rendered.blocks[path.rsplit("/", 1)[0] + "/variables.tf"]]
                                          for v in blocks2 if v.type == "variable" and v.labels[0] == name[6:-1]
                                          for v in v.children("validation"))
                    assert any(f'startswith(var.{name[6:-1]}, "{p}")' in conditions for p in filled), (path, name)
                    continue
                assert name_matches(name, filled), (path, b.labels, name, filled)


def test_each_compute_boundary_reads_only_its_desks_venue_keys(reference_rendered: Rendered,
                                                               reference_estate: Estate) -> None:
    """Item 1 of the reviewer's list: the compute boundary allowed secretsmanager:GetSecretValue and
    kms:Decrypt on '*'. Now each desk has its own boundary per account, naming its venue keys' secrets
    exactly (from the estate) and kms:Decrypt only through Secrets Manager in their region; every
    instance role carries its own desk's boundary."""
    secrets = desk_secrets(reference_estate)
    assert secrets
    docs = _bodies(reference_rendered, "aws/00-bootstrap", "aws_iam_policy_document", "data")
    policies = _bodies(reference_rendered, "aws/00-bootstrap", "aws_iam_policy")
    boundaries = {p["name"]: (p, docs[re.fullmatch(r"\$\{data\.aws_iam_policy_document\.(\w+)\.json\}",
                                                   p["policy"]).group(1)]["statement"])  # type: ignore[union-attr]
                  for p in policies.values()}
    seen = set()
    for name, (_policy, statements) in boundaries.items():
        for st in statements:
            for action in st["actions"]:
                if action.startswith(("secretsmanager:", "kms:")):
                    assert "*" not in st["resources"], (name, action)
            if "kms:Decrypt" in st["actions"]:
                (cond,) = st["condition"]
                assert cond["variable"] == "kms:ViaService" and cond["values"][0].startswith("secretsmanager.")
        if not name.startswith("boundary-compute-"):
            continue
        desk = name.removeprefix("boundary-compute-")
        account = re.search(r'aws_account_ids\["([\w-]+)"\]', str(statements)).group(1) if any(  # type: ignore[union-attr]
            "secretsmanager:GetSecretValue" in st["actions"] for st in statements) else None
        if account is None:
            continue
        read = sorted(r for st in statements if "secretsmanager:GetSecretValue" in st["actions"] for r in st["resources"])
        want = sorted(f'arn:aws:secretsmanager:{region}:${{module.globals.aws_account_ids["{account}"]}}:secret:{s}-??????'
                      for region, s in secrets[(account, desk)])
        assert read == want, name
        seen.add((account, desk))
    assert seen == set(secrets)
    roles = _bodies(reference_rendered, "aws/30-compute", "aws_iam_role")
    assert roles
    for role in roles.values():
        assert role["permissions_boundary"].endswith(f":policy/tradeplane/boundary-compute-{role['tags']['desk']}"), role


def _iam_shape(st: dict[str, Any]) -> dict[str, Any]:
    return {"sid": st.get("sid"), "effect": st["effect"], "actions": st["actions"], "resources": st["resources"],
            "conditions": [(c["test"], c["variable"], c["values"]) for c in st.get("condition", [])]}


def test_every_stage_role_policy_fits_iams_inline_policy_quota(reference_rendered: Rendered) -> None:
    """IAM refuses a role whose inline policies exceed 10,240 characters (whitespace excluded); the
    derived policies list many actions and ARNs, so their size is a property to hold."""
    sizes = {role: policy_size([_iam_shape(st) for st in sts])
             for role, sts in _stage_policies(reference_rendered).items()}
    assert max(sizes.values()) <= INLINE_POLICY_LIMIT, max(sizes.items(), key=lambda kv: kv[1])
    assert policy_size([{"sid": "X", "actions": ["ec2:" + "A" * 11000], "resources": ["*"]}]) > INLINE_POLICY_LIMIT


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is needed to run the validations")
def test_an_audit_bucket_outside_the_estates_prefix_is_refused_under_terraform(reference_rendered: Rendered,
                                                                              tmp_path: Path) -> None:
    """The organisation identity may manage buckets named '<estate>-...' only; a bucket name it could
    not create is refused at plan, not with AccessDenied halfway through the apply."""
    text = _variable_text(reference_rendered.files["aws/00-org-guardrails/variables.tf"], {"audit_bucket_name"})
    (tmp_path / "variables.tf").write_text(text)
    assert _terraform(tmp_path, "init", "-backend=false").returncode == 0
    (tmp_path / "terraform.tfvars.json").write_text(json.dumps({"audit_bucket_name": "dv-trading-audit-2026"}))
    assert _terraform(tmp_path, "plan").returncode == 0
    (tmp_path / "terraform.tfvars.json").write_text(json.dumps({"audit_bucket_name": "someone-elses-bucket"}))
    bad = _terraform(tmp_path, "plan")
    assert bad.returncode != 0 and "starts with 'dv-trading-'" in " ".join(bad.stderr.split())


_KEY_WRITES = ("kms:CancelKeyDeletion", "kms:DisableKey", "kms:DisableKeyRotation", "kms:EnableKey",
               "kms:EnableKeyRotation", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:TagResource",
               "kms:UntagResource", "kms:UpdateKeyDescription", "kms:CreateKey")


@pytest.mark.parametrize("which", ["reference", *sorted(FOCUSED)])
def test_no_stage_may_administer_a_key_another_stage_creates(which: str, reference_rendered: Rendered) -> None:
    """Every AWS KMS key carries the tag of the stage that renders it, and every grant a stage role holds
    to change, re-policy, disable, delete or (un)tag a key is conditioned on that tag being its own
    (creating and tagging a new key: the tag it requests is its own). A key policy delegating to the
    account makes such an IAM grant effective, so account-wide grants would reach the crypto desk's
    venue keys from the networking role."""
    rendered = reference_rendered if which == "reference" else render(FOCUSED[which]())
    checked = 0
    for path, blocks in rendered.blocks.items():
        stage = path.split("/")[1]
        for b in blocks:
            if b.type == "resource" and b.labels[0] == "aws_kms_key":
                assert b.body()["tags"]["tradeplane-stage"] == stage.split("-", 1)[1], (path, b.labels)
    for stage in Stage:
        for role, statements in _statements(rendered, stage).items():
            for st in statements:
                writes = [a for a in st["actions"] if a in _KEY_WRITES or a in ("kms:*", "*")]
                if st["effect"] != "Allow" or not writes:
                    continue
                conds = {(c["test"], c["variable"]): c["values"] for c in st.get("condition", [])}
                own = [stage.slug]
                checked += 1
                assert "kms:*" not in writes and "*" not in writes, (role, st["sid"])
                if st["sid"] == "TagNewKeys":
                    assert conds[("Null", "aws:ResourceTag/tradeplane-stage")] == ["true"], role
                    assert conds[("StringEquals", "aws:RequestTag/tradeplane-stage")] == own, role
                elif writes == ["kms:CreateKey"]:
                    assert conds[("StringEquals", "aws:RequestTag/tradeplane-stage")] == own, role
                else:
                    assert conds[("StringEquals", "aws:ResourceTag/tradeplane-stage")] == own, (role, st["sid"])
                    if "kms:TagResource" in writes:
                        assert conds[("StringEqualsIfExists", "aws:RequestTag/tradeplane-stage")] == own, role
                    if "kms:UntagResource" in writes:
                        assert conds[("ForAllValues:StringNotEquals", "aws:TagKeys")] == ["tradeplane-stage"], role
    if which == "reference":
        assert checked > 0


@pytest.mark.parametrize("which", ["reference", *sorted(FOCUSED)])
def test_kms_grants_only_for_aws_services_and_compute_tags_only_its_own(which: str,
                                                                        reference_rendered: Rendered) -> None:
    """kms:CreateGrant only when an AWS service asks on the role's behalf (kms:GrantIsForAWSResource: EC2
    attaching an encrypted volume), never a grant to a principal of the role's choosing; the compute role
    tags EC2 resources only in the call that creates them (ec2:CreateAction) or, later, only its own kinds
    (instances, volumes, interfaces, launch templates, placement groups) that carry managed-by =
    tradeplane, never on Resource '*'."""
    rendered = reference_rendered if which == "reference" else render(FOCUSED[which]())
    seen_grant = seen_tags = 0
    for stage in Stage:
        for role, statements in _statements(rendered, stage).items():
            for st in statements:
                if st["effect"] != "Allow":
                    continue
                conds = {(c["test"], c["variable"]): c["values"] for c in st.get("condition", [])}
                if "kms:CreateGrant" in st["actions"]:
                    seen_grant += 1
                    assert conds.get(("Bool", "kms:GrantIsForAWSResource")) == ["true"], (role, st["sid"])
                tags = [a for a in st["actions"] if a in ("ec2:CreateTags", "ec2:DeleteTags")]
                if stage is Stage.COMPUTE and tags:
                    seen_tags += 1
                    assert "*" not in st["resources"], (role, st["sid"])
                    kinds = {r.rsplit(":", 1)[1].split("/")[0] for r in st["resources"]}
                    assert kinds <= {"instance", "volume", "network-interface", "launch-template",
                                     "placement-group"}, (role, kinds)
                    if tags == ["ec2:CreateTags"] and ("StringEquals", "ec2:CreateAction") in conds:
                        assert set(conds[("StringEquals", "ec2:CreateAction")]) <= {
                            "RunInstances", "CreateLaunchTemplate", "CreateLaunchTemplateVersion",
                            "CreatePlacementGroup"}, role
                    else:
                        assert conds[("StringEquals", "aws:ResourceTag/managed-by")] == ["tradeplane"], (role, st)
    if which == "reference":
        assert seen_grant and seen_tags


def test_no_stage_may_destroy_what_prevent_destroy_protects(reference_rendered: Rendered) -> None:
    """Every aws_organizations_account has prevent_destroy, so the organisation role may not remove an
    account from the organisation (aws_actions.DESTROY_ONLY); without the lifecycle block it would."""
    from tradeplane.terraform.aws_actions import DESTROY_ONLY, stage_statements

    accounts = _bodies(reference_rendered, "aws/00-org-guardrails", "aws_organizations_account")
    assert accounts and all(b["lifecycle"][0]["prevent_destroy"] is True for b in accounts.values())
    destroy_only = {a for acts in DESTROY_ONLY.values() for a in acts}
    for stage in Stage:
        for role, statements in _statements(reference_rendered, stage).items():
            granted = {a for st in statements if st["effect"] == "Allow" for a in st["actions"]}
            assert not granted & destroy_only, role

    def granted(protected: tuple[str, ...]) -> set[str]:
        grants = stage_statements(["aws_organizations_account"], "management", ["us-east-1"], {}, ["management"],
                                  ["us-east-1"], {"estate": "e", "metric_prefix": "m"}, protected)
        return {a for g in grants for a in g.actions}

    assert "organizations:RemoveAccountFromOrganization" in granted(())
    assert "organizations:RemoveAccountFromOrganization" not in granted(("aws_organizations_account",))
    assert "organizations:CreateAccount" in granted(("aws_organizations_account",))
