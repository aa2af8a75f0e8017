"""One automation identity per stage, made by the bootstrap stage from one table of grants.

Every stage of a cloud runs as its own identity, so the networking stage cannot change
organisation policy or SCPs and the organisation stage cannot touch a network:

- AWS: the role ``tradeplane-terraform-<stage>`` in every account the stage manages, trusted
  only by that stage's CI role (``var.automation_principal_arns["<stage>"]``), with an
  inline policy made from ``GRANTS``: what the stage's services need, roles it creates only
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
renders is covered by its grants (``AWS_SERVICES``, ``GCP_ROLES``): a family that adds a type
adds it there, or the render fails (a family bug, ``RuntimeError``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tradeplane.terraform.aws._common import policy_document
from tradeplane.terraform.hcl import Expr, Table
from tradeplane.terraform.module import RootModule, Variable, interp, text_value
from tradeplane.terraform.names import ident
from tradeplane.terraform.stages import Stage

__all__ = ["AWS_SERVICES", "GCP_ROLES", "GRANTS", "AwsStatement", "StageGrants", "aws_service", "aws_statements",
           "boundary_arn", "grants_table", "own_path", "uncovered", "wire_identities"]

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
    aws: tuple[AwsStatement, ...]
    gcp: tuple[str, ...]  # roles held at the organisation
    aws_may: str  # the same, in words (docs/terraform.md's table)
    gcp_holds: str
    must_not: str
    boundary: tuple[str, ...] = ()  # AWS: the most a role this stage creates may do (its permissions boundary)
    passes_to: tuple[str, ...] = ()  # AWS services the stage may pass its own roles to
    service_linked: tuple[str, ...] = ()  # AWS service-linked roles it may create
    instance_profiles: bool = False  # AWS: it manages instance profiles under its path
    project_iam: bool = False  # GCP: project IAM, only for the roles the stage grants (a condition)


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
        aws=(_s("Organizations", "organizations:*"), _s("AuditTrail", "cloudtrail:*"),
             _s("Config", "config:*"), _s("GuardDuty", "guardduty:*"), _s("AuditBucket", "s3:*"),
             _s("AuditKeys", "kms:*")),
        gcp=("roles/essentialcontacts.admin", "roles/orgpolicy.policyAdmin", *_FOLDER_ROLES,
             "roles/resourcemanager.projectCreator", "roles/billing.user", "roles/serviceusage.serviceUsageAdmin"),
        aws_may="Organizations (OUs, accounts, SCPs), CloudTrail, Config, GuardDuty, S3 and KMS for the audit "
                "bucket; service-linked roles of Config, GuardDuty and Organizations",
        gcp_holds="Organization Policy Administrator, Folder Creator, Folder Editor, Folder Mover (never Folder Admin: no folder IAM), Project Creator, Billing Account User, "
                  "Essential Contacts Admin, Service Usage Admin; project IAM only for audit configs and "
                  "roles/iam.serviceAccountUser (the compute identity's, in its projects)",
        must_not="touch a network, an instance or a firewall",
        service_linked=("config.amazonaws.com", "guardduty.amazonaws.com", "organizations.amazonaws.com"),
        project_iam=True),
    StageGrants(
        Stage.NETWORKING,
        aws=(_s("Networking", "ec2:*"), _s("DirectConnect", "directconnect:*"), _s("ShareTransitGateways", "ram:*"),
             _s("FlowLogGroups", "logs:*"), _s("FlowLogKeys", "kms:*"),
             AwsStatement("NeverInstances", ("ec2:CreateLaunchTemplate", "ec2:CreateLaunchTemplateVersion",
                                             "ec2:ModifyLaunchTemplate", "ec2:RunInstances"), effect="Deny")),
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
        aws=(_s("Keys", "kms:*"), _s("Shield", "shield:*"), _s("Waf", "wafv2:*"), _s("WafLogs", "logs:*"),
             _s("VenueSecrets", "secretsmanager:CancelRotateSecret", "secretsmanager:CreateSecret",
                "secretsmanager:DeleteResourcePolicy", "secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret",
                "secretsmanager:GetResourcePolicy", "secretsmanager:ListSecrets", "secretsmanager:RotateSecret", "secretsmanager:TagResource", "secretsmanager:UntagResource",
                "secretsmanager:UpdateSecret"),
             _s("DefaultEbsEncryption", "ec2:DisableEbsEncryptionByDefault", "ec2:EnableEbsEncryptionByDefault",
                "ec2:GetEbsDefaultKmsKeyId", "ec2:GetEbsEncryptionByDefault", "ec2:ModifyEbsDefaultKmsKeyId",
                "ec2:ResetEbsDefaultKmsKeyId"),
             _s("ReadNetworks", "ec2:Describe*")),
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
        aws=(_s("Compute", "ec2:AssociateIamInstanceProfile", "ec2:CreateLaunchTemplate",
                "ec2:CreateLaunchTemplateVersion", "ec2:CreatePlacementGroup", "ec2:CreateTags",
                "ec2:DeleteLaunchTemplate", "ec2:DeleteLaunchTemplateVersions", "ec2:DeletePlacementGroup",
                "ec2:DeleteTags", "ec2:Describe*", "ec2:DisassociateIamInstanceProfile", "ec2:GetLaunchTemplateData",
                "ec2:ModifyInstanceAttribute", "ec2:ModifyInstanceMetadataOptions", "ec2:ModifyLaunchTemplate",
                "ec2:MonitorInstances", "ec2:ReplaceIamInstanceProfileAssociation", "ec2:RunInstances",
                "ec2:StartInstances", "ec2:StopInstances", "ec2:TerminateInstances", "ec2:UnmonitorInstances"),
             _s("EncryptedVolumes", "kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*",
                "kms:ReEncrypt*")),
        gcp=("roles/compute.instanceAdmin.v1", "roles/container.admin"),
        aws_may="EC2 instances, launch templates, placement groups (and KMS grants for encrypted volumes); "
                "instance roles and profiles under /tradeplane/compute/ within its boundary (Session Manager, "
                "the venues' keys), passed to EC2 only",
        gcp_holds="Compute Instance Admin (v1), Kubernetes Engine Admin; Service Account User in the projects "
                  "it places resources in (granted there by the organisation stage)",
        must_not="change networks, Organizations/SCPs, Organization Policy or IAM beyond its instance roles",
        boundary=("ec2messages:*", "kms:Decrypt", "secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
                  "ssm:Describe*", "ssm:Get*", "ssm:List*", "ssm:Put*", "ssm:Update*", "ssmmessages:*"),
        passes_to=("ec2.amazonaws.com",),
        instance_profiles=True),
    StageGrants(
        Stage.OBSERVABILITY,
        aws=(_s("Alarms", "cloudwatch:*"), _s("Topics", "sns:*"), _s("TopicKeys", "kms:*")),
        gcp=("roles/logging.configWriter", "roles/monitoring.editor"),
        aws_may="CloudWatch alarms, SNS topics and subscriptions, KMS keys for the topics",
        gcp_holds="Monitoring Editor, Logging Config Writer (org sink, log buckets); project IAM only for "
                  "roles/logging.bucketWriter",
        must_not="anything else",
        project_iam=True),
)}


# Terraform type prefix -> the IAM service whose actions manage it ("" = no API call).
AWS_SERVICES: dict[str, str] = {
    "aws_cloudtrail": "cloudtrail", "aws_cloudwatch_log_": "logs", "aws_cloudwatch_": "cloudwatch",
    "aws_config_": "config", "aws_customer_gateway": "ec2", "aws_default_security_group": "ec2",
    "aws_dx_": "directconnect", "aws_ebs_": "ec2", "aws_ec2_": "ec2", "aws_eip": "ec2", "aws_flow_log": "ec2",
    "aws_guardduty_": "guardduty", "aws_iam_policy_document": "", "aws_iam_": "iam", "aws_instance": "ec2",
    "aws_internet_gateway": "ec2", "aws_kms_": "kms", "aws_launch_template": "ec2", "aws_nat_gateway": "ec2",
    "aws_network_acl": "ec2", "aws_organizations_": "organizations", "aws_placement_group": "ec2",
    "aws_ram_": "ram", "aws_route": "ec2", "aws_s3_": "s3", "aws_secretsmanager_": "secretsmanager",
    "aws_security_group": "ec2", "aws_shield_": "shield", "aws_sns_": "sns", "aws_subnet": "ec2",
    "aws_vpc": "ec2", "aws_vpn_": "ec2", "aws_wafv2_": "wafv2",
}
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


def boundary_arn(account_id: str, stage: Stage) -> str:
    """The permissions boundary every role ``stage`` creates must carry (in the account ``account_id``)."""
    return f"arn:aws:iam::{account_id}:policy/tradeplane/boundary-{stage.slug}"


def delegated_role(mod: RootModule, account: str) -> dict[str, Expr | str]:
    """The ``path`` and ``permissions_boundary`` arguments of a role a stage's family creates in
    ``account``: the only roles the stage's identity may create (``GRANTS[stage].boundary``)."""
    account_id = f'${{{mod.shared("aws_account_ids")}["{account}"]}}'
    return {"path": own_path(mod.stage), "permissions_boundary": interp(boundary_arn(account_id, mod.stage))}


def aws_service(type_: str) -> str | None:
    """The IAM service prefix that manages an AWS Terraform type (longest matching prefix); ``""`` for a
    data source that calls no API, ``None`` when ``AWS_SERVICES`` does not know it."""
    best = max((p for p in AWS_SERVICES if type_.startswith(p)), key=len, default=None)
    return None if best is None else AWS_SERVICES[best]


def aws_statements(g: StageGrants) -> tuple[AwsStatement, ...]:
    """Every statement of the stage role's policy: the table's, the ones for the roles it creates
    (only under its path, only with its boundary), and the explicit denies."""
    out = list(g.aws)
    own = "arn:aws:iam::{account}:role/tradeplane/{slug}/*"
    if g.boundary:
        out.append(AwsStatement(
            "CreateOwnRolesWithinBoundary",
            ("iam:AttachRolePolicy", "iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy"),
            (own,), (("StringEquals", "iam:PermissionsBoundary", (boundary_arn("{account}", g.stage),)),)))
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


def uncovered(stage: Stage, cloud: str, types: Iterable[str], granted: Iterable[str] = ()) -> list[str]:
    """The Terraform types of ``stage`` its identity's grants do not cover (unknown types included).
    ``granted``: GCP roles the identity holds beyond ``GRANTS`` (its conditional project IAM)."""
    g = GRANTS[stage]
    out = []
    if cloud == "aws":
        services = {a.split(":", 1)[0] for st in aws_statements(g) if st.effect == "Allow" for a in st.actions}
        for t in sorted(set(types)):
            service = aws_service(t)
            if service is None or (service and service not in services):
                out.append(t)
        return out
    roles = {*g.gcp, *granted}
    return [t for t in sorted(set(types)) if not roles & set(GCP_ROLES.get(t, ()))]


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


def wire_identities(modules: Mapping[tuple[str, Stage], RootModule], bootstrap: Mapping[str, RootModule]) -> None:
    """Render each cloud's bootstrap stage (``bootstrap[cloud]``, empty) for the stage ``modules``
    of that cloud, and make every stage's providers use its own identity (an input from the
    bootstrap's outputs). ``RuntimeError`` when a stage renders a type its grants do not cover."""
    for cloud, boot in sorted(bootstrap.items()):
        stages: dict[Stage, RootModule] = {s: m for (c, s), m in sorted(modules.items())
                                           if c == cloud and s is not Stage.BOOTSTRAP}
        if cloud == "aws":
            _aws_bootstrap(boot, stages)
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


def _aws_bootstrap(boot: RootModule, stages: Mapping[Stage, RootModule]) -> None:
    trusted = _principals(boot, "automation_principal_arns", stages,
                          "the CI role (arn:aws:iam::ACCOUNT:role/NAME) a stage identity trusts",
                          "^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", "an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)")
    homes: dict[str, str] = {}
    for mod in stages.values():
        for account, region in mod.aws_providers.values():
            homes[account] = min(region, homes.get(account, region))
    for stage, mod in stages.items():
        types, _ = _types(mod)
        missing = uncovered(stage, "aws", types)
        if missing:
            raise RuntimeError(f"aws/{stage.value} renders {', '.join(missing)}, which its identity's grants do not "
                               "cover: add it to identities.AWS_SERVICES and GRANTS")
        g = GRANTS[stage]
        accounts = sorted({a for a, _ in mod.aws_providers.values()})
        arns: dict[str, Expr] = {}
        for account in accounts:
            p = boot.aws_provider(account, homes[account])
            name = ident(stage.slug, account)
            account_id = f'${{{boot.shared("aws_account_ids")}["{account}"]}}'
            trust = policy_document(boot, "identities", f"{name}__trust", p, [
                {"sid": "AutomationOnly", "actions": ["sts:AssumeRole", "sts:TagSession"],
                 "principals": [("AWS", [Expr(f'{trusted}["{stage.slug}"]')])]}])
            statements = [_statement(st, account_id, stage) for st in aws_statements(g)]
            policy = policy_document(boot, "identities", f"{name}__grants", p, statements, skips=_BOUNDARY_SKIPS)
            boot.resource("identities", "aws_iam_role", name, provider=p, name=f"{ROLE_PREFIX}{stage.slug}",
                          assume_role_policy=trust, max_session_duration=3600,
                          description=f"automation identity of aws/{stage.value} only",
                          tags={"managed-by": "tradeplane", "stage": stage.value})
            boot.resource("identities", "aws_iam_role_policy", name, provider=p, name=f"{stage.slug}-grants",
                          role=Expr(f"aws_iam_role.{name}.id"), policy=policy)
            if g.boundary:
                limit = policy_document(boot, "identities", f"{name}__boundary", p, [
                    {"sid": "MostAStageRoleMayDo", "actions": list(g.boundary), "resources": ["*"]}],
                    skips=_BOUNDARY_SKIPS)
                boot.resource("identities", "aws_iam_policy", name, provider=p, name=f"boundary-{stage.slug}",
                              path="/tradeplane/", policy=limit,
                              description=f"permissions boundary of every role aws/{stage.value} creates")
            arns[account] = Expr(f"aws_iam_role.{name}.arn")
        output = f"{stage.short}_role_arns"
        boot.output(output, Table(arns), f"role of aws/{stage.value} by account",
                    pattern=_ROLE_PATTERN.format(slug=stage.slug))
        for account in accounts:
            mod.identity[account] = mod.upstream(Stage.BOOTSTRAP, f'{output}["{account}"]')


def _statement(st: AwsStatement, account_id: str, stage: Stage) -> dict[str, object]:
    def fill(text: str) -> str | Expr:
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
