"""One automation identity per stage, made by the bootstrap stage from one table of grants.

Every stage of a cloud runs as its own identity, so the networking stage cannot change
organisation policy or SCPs and the organisation stage cannot touch a network:

- AWS: the role ``tradeplane-terraform-<stage>`` in every account the stage manages, trusted
  only by that stage's CI role (``var.automation_principal_arns["<stage>"]``), with an
  inline policy derived from what the stage renders in that account (``aws_actions``: each type's
  actions, on the estate's account, regions and name prefixes), ``GRANTS``' extras, roles it creates only
  under its own path (``/tradeplane/<stage>/``) and only with its own permissions boundary
  (``tradeplane/boundary-<stage>``: the most those roles may ever do), and explicit denies of
  the automation identities themselves and, outside the organisation stage, of Organizations.
- GCP: the service account ``tradeplane-<stage>@<automation project>``, which only that stage's CI
  member may impersonate (``var.automation_principals["<stage>"]`` holds
  ``roles/iam.serviceAccountTokenCreator`` on it), holding the
  organisation-level roles of ``GRANTS``; a stage that grants project roles (the organisation
  stage included) holds ``roles/resourcemanager.projectIamAdmin`` only under a condition listing
  the roles it grants (IAM's ``modifiedGrantsByRole``), so none can grant itself Token Creator. The compute stage may attach service accounts
  (``roles/iam.serviceAccountUser``) only in the projects it places resources in, granted there
  by the organisation stage (the projects do not exist when the bootstrap runs), so never on
  the automation project that holds these identities.

The bootstrap stage (``00-bootstrap``) creates them, applied once by an administrator (AWS: the
management account's credentials, assuming ``var.bootstrap_role_name`` in member accounts; GCP:
the administrator's own credentials). Its outputs, the role ARNs and service account e-mails,
reach each later stage as typed input variables (``RootModule.upstream``): the stage's provider
blocks assume ``var.<stage>_role_arns["<account>"]`` or impersonate
``var.<stage>_service_account``, each validated to be that stage's own identity.

``wire_identities`` also proves, while rendering, that every resource and data type each stage
renders is covered by its grants (``aws_actions.TYPE_ACTIONS``, ``GCP_ROLES``): a family that adds a type
adds it there, or the render fails (a family bug, ``RuntimeError``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from tradeplane.estate.model import AwsVpc, Estate
from tradeplane.terraform.aws._common import policy_document
from tradeplane.terraform.aws_actions import NAME_ATTRS, NAME_PREFIXES, TYPE_ACTIONS, Grant, stage_statements
from tradeplane.terraform.hcl import Expr, Table
from tradeplane.terraform.module import KEY_STAGE_TAG, RootModule, Variable, interp, text_value
from tradeplane.terraform.names import ident
from tradeplane.terraform.stages import Stage

__all__ = ["GCP_ROLES", "GRANTS", "INLINE_POLICY_LIMIT", "AwsStatement", "StageGrants", "aws_statements",
           "boundary_arn", "boundary_name", "delegated_role", "desk_secrets", "grants_table", "own_path",
           "policy_size", "uncovered", "wire_identities"]

ROLE_PREFIX = "tradeplane-terraform-"
_BOUNDARY_SKIPS = tuple((check, "the automation identity of one stage: its grants are the table in "
                                "tradeplane.terraform.identities (docs/terraform.md), reviewed there")
                        for check in ("CKV_AWS_107", "CKV_AWS_108", "CKV_AWS_109", "CKV_AWS_110", "CKV_AWS_111",
                                      "CKV_AWS_356"))
_TOKEN_CREATOR = "roles/iam.serviceAccountTokenCreator"
_PROJECT_IAM = "roles/resourcemanager.projectIamAdmin"
_SA_USER = "roles/iam.serviceAccountUser"
# types that call setIamPolicy on a project (audit configs change no grant: hasOnly([]) admits them)
_PROJECT_IAM_TYPES = frozenset({"google_project_iam_audit_config", "google_project_iam_member"})


@dataclass(frozen=True)
class AwsStatement:
    """One statement of a stage role's policy; ``{account}`` and ``{slug}`` in resources and
    condition values are the account's id and the stage (``networking``)."""

    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...] = ("*",)
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    effect: str = "Allow"

    def with_resources(self, *resources: str) -> AwsStatement:
        return AwsStatement(self.sid, self.actions, resources, self.conditions, self.effect)


@dataclass(frozen=True)
class StageGrants:
    """What one stage's identity may do, on both clouds (``GRANTS``)."""

    stage: Stage
    aws: tuple[AwsStatement, ...]  # beyond what its rendered types derive (aws_actions.stage_statements)
    gcp: tuple[str, ...]  # roles held at the organisation
    aws_may: str  # the same, in words (docs/terraform.md's table)
    gcp_holds: str
    must_not: str
    boundary: tuple[str, ...] = ()  # AWS: the most a role this stage creates may do (its permissions boundary)
    passes_to: tuple[str, ...] = ()  # AWS services the stage may pass its own roles to
    service_linked: tuple[str, ...] = ()  # AWS service-linked roles it may create
    instance_profiles: bool = False  # AWS: it manages instance profiles under its path
    project_iam: bool = False  # GCP: project IAM, only for the roles the stage grants (a condition)
    boundary_per_desk: bool = False  # AWS: one boundary per desk (boundary-<stage>-<desk>), its venue keys only


# Folders without their IAM: create (folderCreator), update and delete (folderEditor), change of parent
# (folderMover); Folder Admin would add resourcemanager.folders.setIamPolicy (Google Cloud's Resource
# Manager roles reference), with which the organisation identity could grant itself anything on a folder.
_FOLDER_ROLES = ("roles/resourcemanager.folderCreator", "roles/resourcemanager.folderEditor",
                 "roles/resourcemanager.folderMover")


def _s(sid: str, *actions: str) -> AwsStatement:
    return AwsStatement(sid, tuple(sorted(actions)))


GRANTS: dict[Stage, StageGrants] = {g.stage: g for g in (
    StageGrants(
        Stage.ORG,
        aws=(AwsStatement("PassServiceLinkedRoles", ("iam:PassRole",), (
            "arn:aws:iam::{account}:role/aws-service-role/config.amazonaws.com/*",
            "arn:aws:iam::{account}:role/aws-service-role/organizations.amazonaws.com/*")),),
        gcp=("roles/essentialcontacts.admin", "roles/orgpolicy.policyAdmin", *_FOLDER_ROLES,
             "roles/resourcemanager.projectCreator", "roles/billing.user", "roles/serviceusage.serviceUsageAdmin"),
        aws_may="Organizations (OUs, accounts, SCPs), CloudTrail, Config, GuardDuty, S3 and KMS for the audit "
                "bucket; service-linked roles of Config, GuardDuty and Organizations",
        gcp_holds="Organization Policy Administrator, Folder Creator, Folder Editor, Folder Mover (never Folder Admin: no folder IAM), Project Creator, Billing Account User, "
                  "Essential Contacts Admin, Service Usage Admin; project IAM only for audit configs and "
                  "roles/iam.serviceAccountUser (the compute identity's, in its projects)",
        must_not="touch a network, an instance or a firewall",
        service_linked=("cloudtrail.amazonaws.com", "config.amazonaws.com", "guardduty.amazonaws.com",
                        "organizations.amazonaws.com"),
        project_iam=True),
    StageGrants(
        Stage.NETWORKING,
        aws=(AwsStatement("NeverInstances", ("ec2:CreateLaunchTemplate", "ec2:CreateLaunchTemplateVersion",
                                             "ec2:ModifyLaunchTemplate", "ec2:RunInstances"), effect="Deny"),),
        gcp=("roles/compute.networkAdmin", "roles/compute.securityAdmin", "roles/compute.xpnAdmin"),
        aws_may="EC2 networking (VPCs, subnets, routes, gateways, transit gateways, VPN, endpoints, security "
                "groups, NACLs, flow logs), Direct Connect, RAM shares, CloudWatch Logs and KMS for flow logs; "
                "flow-log delivery roles under /tradeplane/networking/ within its boundary (CloudWatch Logs only)",
        gcp_holds="Compute Network Admin, Compute Security Admin (VPC firewall rules), Shared VPC Admin; "
                  "project IAM only for roles/container.hostServiceAgentUser",
        must_not="change Organizations/SCPs, Organization Policy or IAM beyond its own delivery roles; launch "
                 "an instance",
        boundary=("logs:CreateLogStream", "logs:DescribeLogGroups", "logs:DescribeLogStreams", "logs:PutLogEvents"),
        passes_to=("vpc-flow-logs.amazonaws.com",),
        service_linked=("directconnect.amazonaws.com", "transitgateway.amazonaws.com"),
        project_iam=True),
    StageGrants(
        Stage.SECURITY,
        aws=(),
        gcp=("roles/compute.orgFirewallPolicyAdmin", "roles/compute.orgSecurityResourceAdmin",
             "roles/compute.securityAdmin"),
        aws_may="KMS, Shield, WAFv2 and its logs, Secrets Manager (never a secret's value or resource policy), default EBS encryption; desk operator roles "
                "under /tradeplane/security/ within its boundary (read inventory, operate tagged instances)",
        gcp_holds="Compute Organization Firewall Policy Admin, Compute Organization Security Resource Admin, "
                  "Compute Security Admin; project IAM only for the roles the desks' teams get",
        must_not="change networks, Organizations/SCPs or Organization Policy",
        boundary=("cloudwatch:GetMetricData", "cloudwatch:ListMetrics", "ec2:Describe*", "ec2:RebootInstances",
                  "ec2:StartInstances", "ec2:StopInstances", "ssm:StartSession"),
        service_linked=("shield.amazonaws.com", "wafv2.amazonaws.com"),
        project_iam=True),
    StageGrants(
        Stage.COMPUTE,
        aws=(),
        gcp=("roles/compute.instanceAdmin.v1", "roles/container.admin"),
        aws_may="EC2 instances, launch templates, placement groups (and KMS grants for encrypted volumes); "
                "instance roles and profiles under /tradeplane/compute/ within its boundary (Session Manager, "
                "the venues' keys), passed to EC2 only",
        gcp_holds="Compute Instance Admin (v1), Kubernetes Engine Admin; Service Account User in the projects "
                  "it places resources in (granted there by the organisation stage)",
        must_not="change networks, Organizations/SCPs, Organization Policy or IAM beyond its instance roles",
        # Session Manager; each desk's boundary adds its own venue-key secrets (desk_secrets)
        boundary=("ec2messages:*", "ssm:Describe*", "ssm:Get*", "ssm:List*", "ssm:Put*", "ssm:Update*",
                  "ssmmessages:*"),
        boundary_per_desk=True,
        passes_to=("ec2.amazonaws.com",),
        instance_profiles=True),
    StageGrants(
        Stage.OBSERVABILITY,
        aws=(),
        gcp=("roles/logging.configWriter", "roles/monitoring.editor", "roles/monitoring.metricsScopesAdmin"),
        aws_may="CloudWatch alarms, SNS topics and subscriptions, KMS keys for the topics",
        gcp_holds="Monitoring Editor, Monitoring Metrics Scopes Admin (the alerts' project monitors the "
                  "others), Logging Config Writer (org sink, log buckets); project IAM only for "
                  "roles/logging.bucketWriter",
        must_not="anything else",
        project_iam=True),
)}


_NETWORK_ADMIN = ("roles/compute.networkAdmin",)
# Terraform type -> the organisation roles any of which lets its stage manage it.
GCP_ROLES: dict[str, tuple[str, ...]] = {
    "google_compute_address": _NETWORK_ADMIN, "google_compute_external_vpn_gateway": _NETWORK_ADMIN,
    "google_compute_firewall": ("roles/compute.securityAdmin",),
    "google_compute_firewall_policy": ("roles/compute.orgFirewallPolicyAdmin",),
    "google_compute_firewall_policy_association": ("roles/compute.orgSecurityResourceAdmin",),
    "google_compute_firewall_policy_rule": ("roles/compute.orgFirewallPolicyAdmin",),
    "google_compute_forwarding_rule": _NETWORK_ADMIN, "google_compute_global_address": _NETWORK_ADMIN,
    "google_compute_ha_vpn_gateway": _NETWORK_ADMIN,
    "google_compute_instance": ("roles/compute.instanceAdmin.v1",),
    "google_compute_interconnect": _NETWORK_ADMIN, "google_compute_interconnect_attachment": _NETWORK_ADMIN,
    "google_compute_network": _NETWORK_ADMIN,
    "google_compute_network_firewall_policy": ("roles/compute.securityAdmin",),
    "google_compute_network_firewall_policy_association": ("roles/compute.securityAdmin",),
    "google_compute_network_firewall_policy_rule": ("roles/compute.securityAdmin",),
    "google_compute_network_peering": _NETWORK_ADMIN,
    "google_compute_node_group": ("roles/compute.instanceAdmin.v1",),
    "google_compute_node_template": ("roles/compute.instanceAdmin.v1",),
    "google_compute_resource_policy": ("roles/compute.instanceAdmin.v1",),
    "google_compute_route": _NETWORK_ADMIN, "google_compute_router": _NETWORK_ADMIN,
    "google_compute_router_interface": _NETWORK_ADMIN, "google_compute_router_nat": _NETWORK_ADMIN,
    "google_compute_router_peer": _NETWORK_ADMIN,
    "google_compute_security_policy": ("roles/compute.securityAdmin",),
    "google_compute_shared_vpc_host_project": ("roles/compute.xpnAdmin",),
    "google_compute_shared_vpc_service_project": ("roles/compute.xpnAdmin",),
    "google_compute_subnetwork": _NETWORK_ADMIN,
    "google_compute_subnetwork_iam_member": ("roles/compute.xpnAdmin",),
    "google_compute_vpn_tunnel": _NETWORK_ADMIN,
    "google_container_cluster": ("roles/container.admin",), "google_container_node_pool": ("roles/container.admin",),
    "google_essential_contacts_contact": ("roles/essentialcontacts.admin",),
    "google_folder": _FOLDER_ROLES,
    "google_logging_organization_sink": ("roles/logging.configWriter",),
    "google_logging_project_bucket_config": ("roles/logging.configWriter",),
    "google_monitoring_alert_policy": ("roles/monitoring.editor",),
    "google_monitoring_custom_service": ("roles/monitoring.editor",),
    # monitoring.metricsScopes.link, on the scoping and the monitored project (Cloud Monitoring API,
    # locations.global.metricsScopes.projects.create); the Beta role that holds just that
    "google_monitoring_monitored_project": ("roles/monitoring.metricsScopesAdmin",),
    "google_monitoring_notification_channel": ("roles/monitoring.editor",),
    "google_monitoring_slo": ("roles/monitoring.editor",),
    "google_monitoring_uptime_check_config": ("roles/monitoring.editor",),
    "google_org_policy_policy": ("roles/orgpolicy.policyAdmin",),
    "google_project": ("roles/resourcemanager.projectCreator",),
    "google_project_iam_audit_config": (_PROJECT_IAM,),
    "google_project_iam_member": (_PROJECT_IAM,),
    "google_project_service": ("roles/serviceusage.serviceUsageAdmin",),
}


def own_path(stage: Stage) -> str:
    """``/tradeplane/networking/``: the IAM path of every role (and instance profile) a stage creates."""
    return f"/tradeplane/{stage.slug}/"


def boundary_name(stage: Stage, desk: str = "") -> str:
    """``boundary-compute-crypto`` (a desk's) or ``boundary-networking``: the permissions boundary's name."""
    return f"boundary-{stage.slug}-{desk}" if desk else f"boundary-{stage.slug}"


def boundary_arn(account_id: str, stage: Stage, desk: str = "") -> str:
    """The permissions boundary every role ``stage`` creates (for ``desk``, where the stage's
    boundaries are per desk) must carry, in the account ``account_id``."""
    return f"arn:aws:iam::{account_id}:policy/tradeplane/{boundary_name(stage, desk)}"


def delegated_role(mod: RootModule, account: str, desk: str = "") -> dict[str, Expr | str]:
    """The ``path`` and ``permissions_boundary`` arguments of a role a stage's family creates in
    ``account``: the only roles the stage's identity may create (``GRANTS[stage].boundary``; the
    compute stage's roles take their desk's boundary, which adds that desk's venue keys only)."""
    if GRANTS[mod.stage].boundary_per_desk and not desk:
        raise RuntimeError(f"{mod.path}: a role of this stage takes its desk's boundary (delegated_role(..., desk))")
    account_id = f'${{{mod.shared("aws_account_ids")}["{account}"]}}'
    return {"path": own_path(mod.stage),
            "permissions_boundary": interp(boundary_arn(account_id, mod.stage, desk if GRANTS[mod.stage].boundary_per_desk else ""))}


def aws_statements(g: StageGrants, derived: Sequence[Grant] = (),
                   boundaries: Sequence[str] = ()) -> tuple[AwsStatement, ...]:
    """Every statement of the stage role's policy in one account: ``derived`` (what its rendered types
    need there, ``aws_actions.stage_statements``), the table's extras, the ones for the roles it
    creates (only under its path, only with one of its ``boundaries``: their names, default the
    stage's one), and the explicit denies."""
    out = _own_keys_only([AwsStatement(d.sid, d.actions, d.resources, d.conditions) for d in derived])
    out += list(g.aws)
    own = "arn:aws:iam::{account}:role/tradeplane/{slug}/*"
    if g.boundary:
        names = tuple(boundaries) or (boundary_name(g.stage),)
        out.append(AwsStatement(
            "CreateOwnRolesWithinBoundary",
            ("iam:AttachRolePolicy", "iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy"),
            (own,), (("StringEquals", "iam:PermissionsBoundary",
                      tuple(f"arn:aws:iam::{{account}}:policy/tradeplane/{n}" for n in names)),)))
        out.append(_s("TendOwnRoles", "iam:DeleteRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy",
                      "iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies",
                      "iam:ListInstanceProfilesForRole", "iam:ListRolePolicies", "iam:TagRole", "iam:UntagRole",
                      "iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:UpdateRoleDescription").with_resources(own))
    if g.instance_profiles:
        out.append(_s("OwnInstanceProfiles", "iam:AddRoleToInstanceProfile", "iam:CreateInstanceProfile",
                      "iam:DeleteInstanceProfile", "iam:GetInstanceProfile", "iam:RemoveRoleFromInstanceProfile",
                      "iam:TagInstanceProfile", "iam:UntagInstanceProfile").with_resources(
            "arn:aws:iam::{account}:instance-profile/tradeplane/{slug}/*"))
    if g.passes_to:
        out.append(AwsStatement("PassOwnRoles", ("iam:PassRole",), (own,),
                                (("StringEquals", "iam:PassedToService", g.passes_to),)))
    if g.service_linked:
        linked = "arn:aws:iam::{account}:role/aws-service-role/*"
        out.append(AwsStatement("CreateServiceLinkedRoles", ("iam:CreateServiceLinkedRole",), (linked,),
                                (("StringEquals", "iam:AWSServiceName", g.service_linked),)))
        out.append(_s("ReadServiceLinkedRoles", "iam:GetRole").with_resources(linked))
    out.append(AwsStatement("NeverTheAutomationIdentities", ("iam:*",),
                            (f"arn:aws:iam::{{account}}:role/{ROLE_PREFIX}*",
                             "arn:aws:iam::{account}:policy/tradeplane/*"), effect="Deny"))
    out.append(AwsStatement("NeverReadSecretValues", ("secretsmanager:GetSecretValue",), effect="Deny"))
    # no stage renders a secret's resource policy; one could grant anyone read access to a venue key
    out.append(AwsStatement("NeverSecretResourcePolicies", ("secretsmanager:PutResourcePolicy",), effect="Deny"))
    if g.stage is not Stage.ORG:
        out.append(AwsStatement("NeverTheOrganisation", ("account:*", "organizations:*"), effect="Deny"))
    return tuple(out)


# KMS actions that change a key or its tags: granted only on keys tagged as the stage's own (KEY_STAGE_TAG).
# A key policy that delegates to the account (the root principal) makes an IAM grant effective on it, so
# account-wide grants would let one stage re-policy or delete another's keys (the crypto desk's venue keys).
_KEY_ADMIN = frozenset({"kms:CancelKeyDeletion", "kms:DisableKey", "kms:DisableKeyRotation", "kms:EnableKey",
                        "kms:EnableKeyRotation", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion",
                        "kms:UpdateKeyDescription"})
_OWN = ("StringEquals", f"aws:ResourceTag/{KEY_STAGE_TAG}", ("{slug}",))


def _own_keys_only(derived: list[AwsStatement]) -> list[AwsStatement]:
    """``derived`` with KMS key administration and tagging moved to statements conditioned on the key's
    stage tag (AWS KMS Developer Guide, "ABAC for AWS KMS" and "Controlling access to tags"):

    - ``AdministerOwnKeys``: ``_KEY_ADMIN`` where ``aws:ResourceTag/tradeplane-stage`` is the stage;
    - ``CreateOwnKeys``: ``kms:CreateKey`` only with that tag in the request (``aws:RequestTag``);
    - ``TagOwnKeys``: ``kms:TagResource`` on its own keys, never changing the stage tag to another;
    - ``TagNewKeys``: ``kms:TagResource`` naming itself on a key with no stage tag yet: tagging on
      create (CreateKey's ``Tags`` need TagResource on every key of the account and region);
    - ``UntagOwnKeys``: ``kms:UntagResource`` on its own keys, never removing the stage tag;
    - ``GrantsForAwsServicesOnly``: ``kms:CreateGrant`` only when an AWS service asks on the stage's
      behalf (``kms:GrantIsForAWSResource``)."""
    out: list[AwsStatement] = []
    keys: tuple[str, ...] = ()
    creates = False
    for st in derived:
        kms = {a for a in st.actions if a in _KEY_ADMIN or a in ("kms:TagResource", "kms:UntagResource")}
        creates |= "kms:CreateKey" in st.actions
        kept = tuple(a for a in st.actions if a not in kms and a not in ("kms:CreateKey", "kms:CreateGrant"))
        if kms:
            keys = tuple(sorted({*keys, *st.resources}))
        if kept:
            out.append(AwsStatement(st.sid, kept, st.resources, st.conditions, st.effect))
        if "kms:CreateGrant" in st.actions:
            # only grants an AWS service makes for the stage (EC2 attaching an encrypted volume), never one
            # to a principal of the caller's choosing (AWS KMS Developer Guide, "kms:GrantIsForAWSResource")
            out.append(AwsStatement("GrantsForAwsServicesOnly", ("kms:CreateGrant",), st.resources,
                                    (("Bool", "kms:GrantIsForAWSResource", ("true",)),)))
    if creates:
        out.append(AwsStatement("CreateOwnKeys", ("kms:CreateKey",), ("*",),
                                (("StringEquals", f"aws:RequestTag/{KEY_STAGE_TAG}", ("{slug}",)),)))
    if keys:
        out.append(AwsStatement("AdministerOwnKeys", tuple(sorted(_KEY_ADMIN - {"kms:CancelKeyDeletion"})), keys,
                                (_OWN,)))
        out.append(AwsStatement("TagOwnKeys", ("kms:TagResource",), keys,
                                (_OWN, ("StringEqualsIfExists", f"aws:RequestTag/{KEY_STAGE_TAG}", ("{slug}",)))))
        out.append(AwsStatement("TagNewKeys", ("kms:TagResource",), keys,
                                (("Null", f"aws:ResourceTag/{KEY_STAGE_TAG}", ("true",)),
                                 ("StringEquals", f"aws:RequestTag/{KEY_STAGE_TAG}", ("{slug}",)))))
        out.append(AwsStatement("UntagOwnKeys", ("kms:UntagResource",), keys,
                                (_OWN, ("ForAllValues:StringNotEquals", "aws:TagKeys", (KEY_STAGE_TAG,)))))
    return out


def uncovered(stage: Stage, cloud: str, types: Iterable[str], granted: Iterable[str] = ()) -> list[str]:
    """The Terraform types of ``stage`` its identity's grants do not cover: unknown types, IAM types the
    stage has no own-role grants for, and (AWS) types needing an action the stage's explicit denies
    refuse (Organizations outside the organisation stage, instances in networking).
    ``granted``: GCP roles the identity holds beyond ``GRANTS`` (its conditional project IAM)."""
    g = GRANTS[stage]
    out = []
    if cloud == "aws":
        denied = [a for st in aws_statements(g) if st.effect == "Deny" and st.resources == ("*",) for a in st.actions]
        for t in sorted(set(types)):
            if (t not in TYPE_ACTIONS or not _own_iam_covers(g, t)
                    or any(fnmatchcase(a, d) for a in TYPE_ACTIONS[t] for d in denied)):
                out.append(t)
        return out
    roles = {*g.gcp, *granted}
    return [t for t in sorted(set(types)) if not roles & set(GCP_ROLES.get(t, ()))]


def _own_iam_covers(g: StageGrants, type_: str) -> bool:
    """IAM types are covered by the stage's own-role statements, not by TYPE_ACTIONS."""
    if type_ in ("aws_iam_role", "aws_iam_role_policy", "aws_iam_role_policy_attachment"):
        return bool(g.boundary)
    if type_ == "aws_iam_instance_profile":
        return g.instance_profiles
    if type_ == "aws_iam_service_linked_role":
        return bool(g.service_linked)
    return type_ != "aws_iam_policy"  # only the bootstrap (an administrator) creates managed policies


def grants_table() -> str:
    """docs/terraform.md's table of what each stage's identity may do (a test keeps the two equal)."""
    rows = ["| stage | AWS role may | GCP service account holds | must not |", "| --- | --- | --- | --- |"]
    for stage, g in GRANTS.items():
        rows.append(f"| {stage.value} | {g.aws_may} | {g.gcp_holds} | {g.must_not} |")
    return "\n".join(rows)


# ---------------------------------------------------------------------------- rendering

_SA_PATTERN = "^tradeplane-{slug}@[a-z][-a-z0-9]{{4,28}}[a-z0-9][.]iam[.]gserviceaccount[.]com$"
_ROLE_PATTERN = "^arn:aws[a-z-]*:iam::[0-9]{{12}}:role/" + ROLE_PREFIX + "{slug}$"


def _types(mod: RootModule) -> tuple[set[str], set[str]]:
    """(resource and data types, roles granted by google_project_iam_member) of a stage module."""
    types: set[str] = set(mod.resource_types)
    granted: set[str] = set()
    for blocks in mod.files.values():
        for b in blocks:
            if b.type == "data":
                types.add(b.labels[0])
            elif b.labels[:1] == ("google_project_iam_member",) and isinstance(b.attrs.get("role"), str):
                granted.add(str(b.attrs["role"]))
    return types, granted


def wire_identities(modules: Mapping[tuple[str, Stage], RootModule], bootstrap: Mapping[str, RootModule],
                    estate: Estate) -> None:
    """Render each cloud's bootstrap stage (``bootstrap[cloud]``, empty) for the stage ``modules``
    of that cloud, and make every stage's providers use its own identity (an input from the
    bootstrap's outputs). ``RuntimeError`` when a stage renders a type its grants do not cover."""
    for cloud, boot in sorted(bootstrap.items()):
        stages: dict[Stage, RootModule] = {s: m for (c, s), m in sorted(modules.items())
                                           if c == cloud and s is not Stage.BOOTSTRAP}
        if cloud == "aws":
            _aws_bootstrap(boot, stages, estate)
        else:
            _gcp_bootstrap(boot, stages)


def _principals(boot: RootModule, name: str, stages: Iterable[Stage], what: str, pattern: str, shape: str) -> Expr:
    """The per-stage automation principals input ``name``: a map from stage (``networking``) to the one
    principal that may become that stage's identity. Validated: every stage has one, no other key,
    each is well-formed, and no principal serves two stages (one CI principal per stage)."""
    slugs = ", ".join(f'"{s.slug}"' for s in sorted(stages))
    boot.variables[name] = Variable(
        name, "map(string)",
        f"{what}, one per stage ({', '.join(s.slug for s in sorted(stages))}): the only principal that may "
        "become that stage's identity; no principal may serve two stages",
        validations=(
            (f"length(setsubtract([{slugs}], keys(var.{name}))) == 0 && "
             f"length(setsubtract(keys(var.{name}), [{slugs}])) == 0",
             f"the input {name} must name exactly one principal for each stage: {slugs.replace(chr(34), '')}"),
            (f'alltrue([for k, v in var.{name} : can(regex("{pattern}", v))])',
             f"every value of {name} must be {shape}"),
            (f"length(distinct(values(var.{name}))) == length(values(var.{name}))",
             f"no principal may serve two stages in {name}: give each stage its own CI principal"),
        ))
    return Expr(f"var.{name}")


# IAM quotas: an inline role policy's characters (whitespace excluded; all of a role's inline policies
# together) and a managed policy's (a permissions boundary) -- IAM and AWS STS quotas, AWS IAM User Guide
INLINE_POLICY_LIMIT = 10_240
MANAGED_POLICY_LIMIT = 6_144
_BOUNDARY_REF = re.compile(r"policy/tradeplane/(boundary-[a-z0-9-]+)")


def desk_secrets(estate: Estate) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(account, desk) -> sorted (region, secret name) of the venue-key secrets (``aws-sm://``) the desk's
    AWS workloads in that account use (``Estate.api_keys_of``): what a desk's compute boundary lets its
    instance roles read, and nothing else."""
    vpcs = {v.name: v for v in estate.aws_vpcs}
    out: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for w in estate.workloads:
        vpc = vpcs.get(w.network)
        if not isinstance(vpc, AwsVpc):
            continue
        for _, key in estate.api_keys_of(w):
            if key.secret_ref.startswith("aws-sm://"):
                out.setdefault((vpc.account, w.desk), set()).add((vpc.region, key.secret_ref.removeprefix("aws-sm://")))
    return {k: sorted(v) for k, v in sorted(out.items())}


def policy_size(statements: Sequence[Mapping[str, object]]) -> int:
    """Characters of the policy JSON IAM stores for ``statements`` (``policy_document`` dicts), without
    whitespace, each account id counted as its 12 digits: what IAM's size quotas count."""
    def text(v: object) -> str:
        return re.sub(r"\$\{module\.globals\.aws_account_ids\[\"[^\"]+\"\]\}", "0" * 12, str(v)).strip('"')

    doc = {"Version": "2012-10-17", "Statement": [
        {"Sid": st.get("sid"), "Effect": st.get("effect", "Allow"),
         "Action": [text(a) for a in st.get("actions", ())],  # type: ignore[attr-defined]
         "Resource": [text(r) for r in st.get("resources", ())],  # type: ignore[attr-defined]
         **({"Condition": {f"{t}": {k: [text(v) for v in vs]} for t, k, vs in st["conditions"]}}  # type: ignore[attr-defined]
            if st.get("conditions") else {})}
        for st in statements]}
    return len(json.dumps(doc, separators=(",", ":")))


def _literal(value: object) -> str | None:
    """A rendered name's text (a template's, quotes removed), or None for a reference (``var.x``)."""
    if isinstance(value, Expr):
        return value[1:-1] if value.startswith('"') and value.endswith('"') else None
    return value if isinstance(value, str) else None


@dataclass
class _AccountView:
    """What one stage renders in one AWS account: types, regions, names, boundaries its roles carry."""

    types: set[str]
    regions: set[str]
    names: dict[str, set[str]]
    boundaries: set[str]
    destroyable: set[str] = field(default_factory=set)  # types with a block lacking prevent_destroy

    @property
    def protected(self) -> list[str]:
        """Types every block of which has ``prevent_destroy`` (never destroyed by this stage)."""
        return sorted(self.types - self.destroyable)


def _accounts(mod: RootModule) -> dict[str, _AccountView]:
    views: dict[str, _AccountView] = {}
    for account, region in mod.aws_providers.values():
        views.setdefault(account, _AccountView(set(), set(), {}, set())).regions.add(region)
    for blocks in mod.files.values():
        for b in blocks:
            if b.type not in ("resource", "data"):
                continue
            alias = str(b.attrs.get("provider", "")).removeprefix("aws.")
            if alias not in mod.aws_providers:
                raise RuntimeError(f"{mod.path}: {'.'.join(b.labels)} names no provider of this stage")
            view = views[mod.aws_providers[alias][0]]
            type_ = b.labels[0]
            view.types.add(type_)
            if not any(c.type == "lifecycle" and c.attrs.get("prevent_destroy") is True for c in b.blocks):
                view.destroyable.add(type_)
            name = _literal(b.attrs.get(NAME_ATTRS.get(type_, "name")))
            if name is not None and any(type_ in ts for ts, _ in NAME_PREFIXES.values()):
                view.names.setdefault(type_, set()).add(name)
            if type_ == "aws_iam_role":
                found = _BOUNDARY_REF.search(str(b.attrs.get("permissions_boundary", "")))
                if found:
                    view.boundaries.add(found.group(1))
    return views


def _aws_bootstrap(boot: RootModule, stages: Mapping[Stage, RootModule], estate: Estate) -> None:
    trusted = _principals(boot, "automation_principal_arns", stages,
                          "the CI role (arn:aws:iam::ACCOUNT:role/NAME) a stage identity trusts",
                          "^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", "an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)")
    homes: dict[str, str] = {}
    for mod in stages.values():
        for account, region in mod.aws_providers.values():
            homes[account] = min(region, homes.get(account, region))
    estate_accounts = sorted(homes)
    estate_regions = sorted({r for mod in stages.values() for _, r in mod.aws_providers.values()})
    placeholders = {"estate": estate.name, "metric_prefix": estate.observability.metric_prefix}
    secrets = desk_secrets(estate)
    ids = boot.shared("aws_account_ids")
    # the role it assumes in member accounts (module.RootModule's providers), the one principal the
    # organisation stage's SCPs let touch the stage roles there (aws/scps.py, ProtectAutomationRoles)
    role = boot.var("bootstrap_role_name", "string",
                    "role the administrator assumes in member accounts to create the stage identities",
                    "OrganizationAccountAccessRole")
    boot.output("bootstrap_role_name", role, "role the bootstrap assumes in member accounts",
                type_="string")  # validated where taken, as the bootstrap's own input (module.VALIDATIONS)
    for stage, mod in stages.items():
        types, _ = _types(mod)
        missing = uncovered(stage, "aws", types)
        if missing:
            raise RuntimeError(f"aws/{stage.value} renders {', '.join(missing)}, which its identity's grants do not "
                               "cover: add it to aws_actions.TYPE_ACTIONS")
        g = GRANTS[stage]
        views = _accounts(mod)
        arns: dict[str, Expr] = {}
        for account, view in sorted(views.items()):
            p = boot.aws_provider(account, homes[account])
            name = ident(stage.slug, account)
            account_id = f'${{{ids}["{account}"]}}'
            trust = policy_document(boot, "identities", f"{name}__trust", p, [
                {"sid": "AutomationOnly", "actions": ["sts:AssumeRole", "sts:TagSession"],
                 "principals": [("AWS", [Expr(f'{trusted}["{stage.slug}"]')])]}])
            derived = stage_statements(sorted(view.types), account, sorted(view.regions), view.names,
                                       estate_accounts, estate_regions, placeholders, view.protected)
            boundaries = sorted(view.boundaries) if g.boundary_per_desk else [boundary_name(stage)]
            statements = [_statement(st, account_id, stage, ids)
                          for st in aws_statements(g, derived, boundaries if g.boundary else ())]
            size = policy_size(statements)
            if size > INLINE_POLICY_LIMIT:
                raise RuntimeError(f"aws/{stage.value}: the grants of {account} are {size} characters, over IAM's "
                                   f"{INLINE_POLICY_LIMIT} for a role's inline policies")
            policy = policy_document(boot, "identities", f"{name}__grants", p, statements, skips=_BOUNDARY_SKIPS)
            boot.resource("identities", "aws_iam_role", name, provider=p, name=f"{ROLE_PREFIX}{stage.slug}",
                          assume_role_policy=trust, max_session_duration=3600,
                          description=f"automation identity of aws/{stage.value} only",
                          tags={"managed-by": "tradeplane", "stage": stage.value})
            boot.resource("identities", "aws_iam_role_policy", name, provider=p, name=f"{stage.slug}-grants",
                          role=Expr(f"aws_iam_role.{name}.id"), policy=policy)
            if g.boundary:
                for boundary in boundaries:
                    desk = boundary.removeprefix(boundary_name(stage)).removeprefix("-")
                    _boundary(boot, p, stage, account, account_id, desk, secrets.get((account, desk), []))
            arns[account] = Expr(f"aws_iam_role.{name}.arn")
        output = f"{stage.short}_role_arns"
        boot.output(output, Table(arns), f"role of aws/{stage.value} by account",
                    pattern=_ROLE_PATTERN.format(slug=stage.slug))
        for account in sorted(views):
            mod.identity[account] = mod.upstream(Stage.BOOTSTRAP, f'{output}["{account}"]')


def _boundary(boot: RootModule, p: Expr, stage: Stage, account: str, account_id: str, desk: str,
              secrets: Sequence[tuple[str, str]]) -> None:
    """One permissions boundary: the stage's ceiling for the roles it creates; a desk's (compute) adds
    reading that desk's venue-key secrets in this account by name, and decrypting them only through
    Secrets Manager in their region."""
    g = GRANTS[stage]
    statements: list[dict[str, object]] = [
        {"sid": "MostAStageRoleMayDo", "actions": list(g.boundary), "resources": ["*"]}]
    if secrets:
        statements.append({"sid": "ReadOwnDeskVenueKeys",
                           "actions": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
                           "resources": [interp(f"arn:aws:secretsmanager:{region}:{account_id}:secret:{name}-??????")
                                         for region, name in secrets]})
        for region in sorted({r for r, _ in secrets}):
            statements.append({"sid": f"DecryptThroughSecretsManager{ident(region).replace('_', '').title()}",
                               "actions": ["kms:Decrypt"],
                               "resources": [interp(f"arn:aws:kms:{region}:{account_id}:key/*")],
                               "conditions": [("StringEquals", "kms:ViaService",
                                               [f"secretsmanager.{region}.amazonaws.com"])]})
    size = policy_size(statements)
    if size > MANAGED_POLICY_LIMIT:
        raise RuntimeError(f"aws/00-bootstrap: boundary {boundary_name(stage, desk)} of {account} is {size} "
                           f"characters, over IAM's {MANAGED_POLICY_LIMIT} for a managed policy")
    name = ident(stage.slug, account, desk) if desk else ident(stage.slug, account)
    limit = policy_document(boot, "identities", f"{name}__boundary", p, statements, skips=_BOUNDARY_SKIPS)
    who = f"every role aws/{stage.value} creates for desk {desk}" if desk else f"every role aws/{stage.value} creates"
    boot.resource("identities", "aws_iam_policy", name, provider=p, name=boundary_name(stage, desk),
                  path="/tradeplane/", policy=limit, description=f"permissions boundary of {who}")


_OTHER_ACCOUNT = re.compile(r"\{account@([a-z0-9-]+)\}")


def _statement(st: AwsStatement, account_id: str, stage: Stage, ids: Expr) -> dict[str, object]:
    def fill(text: str) -> str | Expr:
        text = _OTHER_ACCOUNT.sub(lambda m: f'${{{ids}["{m.group(1)}"]}}', text)
        return text_value(text.replace("{slug}", stage.slug).replace("{account}", account_id))

    out: dict[str, object] = {"sid": st.sid, "effect": st.effect, "actions": list(st.actions),
                              "resources": [fill(r) for r in st.resources]}
    if st.conditions:
        out["conditions"] = [(test, key, [fill(v) for v in values]) for test, key, values in st.conditions]
    return out


_PROJECT = re.compile(r'module\.globals\.project_ids\["([^"]+)"\]')


def _gcp_bootstrap(boot: RootModule, stages: Mapping[Stage, RootModule]) -> None:
    project = boot.var("automation_project_id", "string",
                       "project that holds the stages' service accounts (outside the estate's projects)",
                       validation=('can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.automation_project_id))',
                                   "a GCP project id is 6-30 lowercase letters, digits or hyphens"))
    principals = _principals(boot, "automation_principals", stages,
                             "the CI member (serviceAccount:..., group:... or a principal:// / principalSet:// "
                             "federation member) that may impersonate a stage identity",
                             "^(serviceAccount|group|user):[^@ ]+@[^@ ]+$|^principal(Set)?://.+$",
                             "an IAM member (serviceAccount:, group:, user:, principal:// or principalSet://)")
    org = boot.shared("gcp_org_id")
    compute, org_stage = stages.get(Stage.COMPUTE), stages.get(Stage.ORG)
    if compute is not None and org_stage is not None:  # before the organisation stage's grants are read
        _compute_may_attach_service_accounts(compute, org_stage)
    for stage, mod in stages.items():
        g = GRANTS[stage]
        types, granted = _types(mod)
        conditional = {_PROJECT_IAM} if g.project_iam and (granted or types & _PROJECT_IAM_TYPES) else set()
        missing = uncovered(stage, "gcp", types, conditional)
        if missing:
            raise RuntimeError(f"gcp/{stage.value} renders {', '.join(missing)}, which its identity's grants do not "
                               "cover: add it to identities.GCP_ROLES and GRANTS")
        name = ident(stage.slug)
        boot.resource("identities", "google_service_account", name, project=project,
                      account_id=f"tradeplane-{stage.slug}", display_name=f"tradeplane {stage.value}",
                      description=f"automation identity of gcp/{stage.value} only")
        email = Expr(f"google_service_account.{name}.email")
        member = interp(f"serviceAccount:${{{email}}}")
        boot.resource("identities", "google_service_account_iam_member", name,
                      service_account_id=Expr(f"google_service_account.{name}.name"), role=_TOKEN_CREATOR,
                      member=Expr(f'{principals}["{stage.slug}"]'))
        for role in sorted(g.gcp):
            boot.resource("identities", "google_organization_iam_member", ident(stage.slug, _role_ident(role)),
                          org_id=org, role=role, member=member)
        if conditional:
            listed = ", ".join(f"'{r}'" for r in sorted(granted))
            b = boot.resource("identities", "google_organization_iam_member",
                              ident(stage.slug, _role_ident(_PROJECT_IAM)), org_id=org, role=_PROJECT_IAM,
                              member=member)
            b.block("condition", title=f"only the roles {stage.slug} grants",
                    expression=f"api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([{listed}])")
        output = f"{stage.short}_service_account"
        boot.output(output, email, f"service account of gcp/{stage.value}", type_="string",
                    pattern=_SA_PATTERN.format(slug=stage.slug))
        mod.identity[""] = mod.upstream(Stage.BOOTSTRAP, output)


def _compute_may_attach_service_accounts(compute: RootModule, org_stage: RootModule) -> None:
    """The compute identity's ``roles/iam.serviceAccountUser`` in each project it places resources in,
    granted by the organisation stage (which creates those projects): never organisation-wide,
    where it could run a VM as another stage's identity."""
    projects = sorted({m.group(1) for blocks in compute.files.values() for b in blocks
                       for m in _PROJECT.finditer(str(b.attrs.get("project", "")))})
    sa = org_stage.upstream(Stage.BOOTSTRAP, f"{Stage.COMPUTE.short}_service_account")
    for project in projects:
        grant = org_stage.resource("automation_identities", "google_project_iam_member",
                                   ident(project, "compute_identity"),
                                   project=Expr(f'{org_stage.shared("project_ids")}["{project}"]'), role=_SA_USER,
                                   member=interp(f"serviceAccount:${{{sa}}}"))
        for check in ("CKV_GCP_41", "CKV_GCP_49"):
            grant.skip(check, "the compute stage's automation identity, not a person: it attaches the workloads' "
                              "service accounts in this project only, never organisation-wide")


def _role_ident(role: str) -> str:
    return role.removeprefix("roles/").replace(".", "_")
