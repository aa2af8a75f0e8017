"""Every guardrail control on both clouds: the AWS SCP statement and its GCP Organization Policy twin.

``MAPPING`` is the reviewed table (``tradeplane terraform guardrails`` prints
it); ``scp_statement`` and ``org_policies`` turn one estate guardrail into what
the org stages render, and raise ``UnsupportedError`` naming the cloud and the
reason when a guardrail cannot be expressed there.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Literal

from tradeplane.errors import Problem, UnsupportedError
from tradeplane.estate import catalog
from tradeplane.estate.model import Control, Estate, Guardrail

__all__ = [
    "CONDITION_KEY_RESOURCES",
    "GOLDEN_IMAGE_OWNERS",
    "MAPPING",
    "PRINCIPAL_KEYS",
    "ControlMapping",
    "OrgPolicy",
    "ScpStatement",
    "applied_guardrails",
    "org_policies",
    "scoping_problems",
    "scp_statement",
    "unconditional",
]

Fidelity = Literal["equivalent", "approximate", "built-in"]
GOLDEN_IMAGE_OWNERS = "<golden-image-accounts>"  # replaced by the stage's variable when rendered


@dataclass(frozen=True)
class ControlMapping:
    control: Control
    aws: str  # what the SCP denies
    gcp: tuple[str, ...]  # Organization Policy constraints
    aws_fidelity: Fidelity
    gcp_fidelity: Fidelity
    note: str


@dataclass(frozen=True)
class ScpStatement:
    sid: str
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ("*",)
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (test, variable, values)

    def size(self) -> int:
        """Characters in the minified JSON (SCPs are limited to 5,120)."""
        parts = [*self.actions, *self.not_actions, *self.resources, self.sid]
        parts += [x for c in self.conditions for x in (c[0], c[1], *c[2])]
        return sum(len(p) + 3 for p in parts) + 100


@dataclass(frozen=True)
class OrgPolicy:
    constraint: str
    kind: Literal["boolean", "list"]
    deny_all: bool = False
    allowed_values: tuple[str, ...] = ()
    denied_values: tuple[str, ...] = field(default=())


# Services that are global or are called from us-east-1 whatever the workload's region; denying them
# outside the approved regions would break the account (after AWS's region-deny example SCP).
GLOBAL_SERVICES: tuple[str, ...] = (
    "account:*", "budgets:*", "ce:*", "cloudfront:*", "cur:*", "directconnect:*", "globalaccelerator:*",
    "health:*", "iam:*", "networkmanager:*", "organizations:*", "pricing:*", "route53:*",
    "route53domains:*", "s3:GetAccountPublicAccessBlock", "s3:ListAllMyBuckets",
    "s3:PutAccountPublicAccessBlock", "shield:*", "sso:*", "sts:*", "support:*", "trustedadvisor:*",
    "waf:*", "wafv2:*",
)

CMEK_SERVICES: tuple[str, ...] = (
    "bigquery.googleapis.com", "compute.googleapis.com", "container.googleapis.com",
    "sqladmin.googleapis.com", "storage.googleapis.com",
)

MAPPING: dict[Control, ControlMapping] = {m.control: m for m in (
    ControlMapping(Control.RESTRICT_REGIONS, "every regional action outside the allowed regions "
                   "(aws:RequestedRegion), global services excepted", ("gcp.resourceLocations",),
                   "equivalent", "equivalent", "each cloud gets the regions of the list that are its own"),
    ControlMapping(Control.NO_PUBLIC_STORAGE, "turning off S3 Block Public Access (account and bucket)",
                   ("storage.publicAccessPrevention", "storage.uniformBucketLevelAccess"),
                   "equivalent", "equivalent", ""),
    ControlMapping(Control.NO_EXTERNAL_IPS, "launching instances or interfaces with a public IP, "
                   "allocating or associating Elastic IPs", ("compute.vmExternalIpAccess",),
                   "equivalent", "equivalent", "NAT gateways live in the network account, outside the scope"),
    ControlMapping(Control.NO_LONG_LIVED_KEYS, "creating IAM users' access keys and login profiles",
                   ("iam.disableServiceAccountKeyCreation", "iam.disableServiceAccountKeyUpload"),
                   "equivalent", "equivalent", ""),
    ControlMapping(Control.CUSTOMER_MANAGED_KEYS, "creating or launching with unencrypted EBS volumes "
                   "(default EBS encryption uses the account's KMS key)", ("gcp.restrictNonCmekServices",), "approximate",
                   "equivalent", "AWS SCPs can demand encryption but not which key; the security stage makes a "
                   "customer-managed key the default EBS key of every account and region"),
    ControlMapping(Control.NO_DEFAULT_NETWORK, "creating a default VPC or default subnet",
                   ("compute.skipDefaultNetworkCreation",), "equivalent", "equivalent", ""),
    ControlMapping(Control.REQUIRE_IMDSV2, "launching instances without IMDSv2 (ec2:MetadataHttpTokens) "
                   "and loosening it afterwards", (), "equivalent", "built-in",
                   "GCP's metadata server always demands the Metadata-Flavor header and refuses "
                   "X-Forwarded-For, which is what IMDSv2 adds; there is no constraint to set"),
    ControlMapping(Control.REQUIRE_OS_LOGIN, "creating or importing EC2 key pairs and launching with one "
                   "(SSH only through Instance Connect / Session Manager identities)",
                   ("compute.requireOsLogin",), "approximate", "equivalent",
                   "AWS has no OS Login; denying key pairs leaves directory-backed access as the only way"),
    ControlMapping(Control.NO_SERIAL_PORT, "enabling EC2 serial console access and sending serial keys",
                   ("compute.disableSerialPortAccess",), "equivalent", "equivalent", ""),
    ControlMapping(Control.DENY_LEAVE_ORGANIZATION, "organizations:LeaveOrganization",
                   ("resourcemanager.allowedExportDestinations",), "equivalent", "equivalent",
                   "GCP: projects may not be moved out of the organisation"),
    ControlMapping(Control.PROTECT_AUDIT_LOGS, "stopping, deleting or changing CloudTrail trails",
                   (), "equivalent", "built-in",
                   "GCP Admin Activity audit logs cannot be disabled; the org stage turns on data-access "
                   "audit logs in every project and the observability stage copies them to a locked bucket"),
    ControlMapping(Control.RESTRICT_VPC_PEERING, "peering with VPCs of accounts outside the estate",
                   ("compute.restrictVpcPeering",), "equivalent", "equivalent", ""),
    ControlMapping(Control.REQUIRE_SHIELDED_VM, "launching from images not owned by the firm's golden-image "
                   "accounts (built with UEFI Secure Boot and NitroTPM)", ("compute.requireShieldedVm",),
                   "approximate", "equivalent",
                   "AWS has no condition key for Secure Boot; verified boot is a property of the AMI"),
)}


def _sid(g: Guardrail) -> str:
    return "".join(part.capitalize() for part in g.name.split("-"))


def _regions(g: Guardrail, cloud: str) -> list[str]:
    return sorted(r for r in g.regions if catalog.REGIONS[r].cloud == cloud)


def _unsupported(estate: Estate, g: Guardrail, cloud: str, why: str, hint: str) -> UnsupportedError:
    path = estate.path_of(g)
    return UnsupportedError(f"guardrail '{g.name}' ({g.control.value}) cannot render on {cloud}: {why}", [Problem(
        f"guardrail '{g.name}' ({g.control.value}) cannot render on {cloud}: {why}",
        estate.where(g, "control"), f"{path}.control" if path else "", hint)])


# Service condition keys that exist only on some resource types of an action (from the Service
# Authorization Reference, "Actions, resources, and condition keys for Amazon EC2"): a Deny
# statement testing one with a negated or null-sensitive operator must be scoped to those ARNs,
# or the condition is evaluated as absent on every other resource of the request and denies it.
CONDITION_KEY_RESOURCES: dict[str, tuple[str, ...]] = {
    "ec2:AccepterVpc": ("vpc-peering-connection/",),
    "ec2:RequesterVpc": ("vpc-peering-connection/",),
    "ec2:AssociatePublicIpAddress": ("network-interface/",),
    "ec2:Encrypted": ("volume/",),
    "ec2:MetadataHttpTokens": ("instance/",),
    "ec2:Owner": ("image/", "snapshot/"),
}


def applied_guardrails(estate: Estate, scopes: Collection[str]) -> list[tuple[Guardrail, list[str]]]:
    """Each guardrail (by name) with the targets it applies to on one cloud: ``root`` and those of
    ``scopes`` (the cloud's OUs or folders) it lists, sorted; a guardrail scoped to the other
    cloud only is left out."""
    out = []
    for g in sorted(estate.guardrails, key=lambda g: g.name):
        targets = sorted(s for s in set(g.applies_to) if s == "root" or s in scopes)
        if targets:
            out.append((g, targets))
    return out


def scoping_problems(st: ScpStatement) -> list[str]:
    """Why ``st`` denies more than it means: a resource-specific condition key on ``Resource "*"``
    or on ARNs of resource types that do not carry the key. Empty when the statement is scoped."""
    problems = []
    for _, key, _ in st.conditions:
        kinds = CONDITION_KEY_RESOURCES.get(key)
        if kinds is None:
            continue  # global (aws:*) or request keys exist on every resource of the request
        for r in st.resources:
            if not any(f":{k}" in r for k in kinds):
                problems.append(f"statement {st.sid} tests {key}, which exists only on {', '.join(kinds)} "
                                f"resources, but applies to {r!r}")
    return problems


# The condition keys that only say *who* calls (an exemption), not *what* the request does: a Deny
# statement whose other conditions are all of these denies its actions to everyone else, whatever
# the resource (IAM User Guide, "AWS global condition context keys": aws:PrincipalArn is the ARN of
# the role, not of the assumed-role session, so a role ARN pattern matches every session of it).
PRINCIPAL_KEYS = frozenset({"aws:PrincipalAccount", "aws:PrincipalArn"})


def unconditional(st: ScpStatement) -> bool:
    """Whether ``st`` denies its ``actions`` on every request of a principal it does not exempt: no
    ``not_actions`` and no condition beyond the principal exemptions (``PRINCIPAL_KEYS``)."""
    return not st.not_actions and all(key in PRINCIPAL_KEYS for _, key, _ in st.conditions)


def scp_statement(estate: Estate, g: Guardrail, exempt_account_ids: tuple[str, ...],
                  org_account_ids: tuple[str, ...], exempt_principal_arns: tuple[str, ...] = ()) -> ScpStatement:
    """The SCP statement that enforces ``g``; ``GOLDEN_IMAGE_OWNERS`` stands for the image accounts variable.

    ``exempt_account_ids``: the accounts of ``g.exempt`` (``StringNotEquals aws:PrincipalAccount``);
    ``exempt_principal_arns``: role ARN patterns (``arn:aws:iam::*:role/tradeplane-terraform-<stage>``)
    of the stage identities that manage, in an account under the SCP, a resource whose actions the
    statement denies (``ArnNotLike aws:PrincipalArn``): the security baseline the organisation stage
    sets (S3 Block Public Access) must stay settable by that stage and by no one else."""
    sid = _sid(g)
    c = g.control
    conds: list[tuple[str, str, tuple[str, ...]]] = []
    if exempt_account_ids:
        conds.append(("StringNotEquals", "aws:PrincipalAccount", exempt_account_ids))
    if exempt_principal_arns:
        conds.append(("ArnNotLike", "aws:PrincipalArn", tuple(sorted(exempt_principal_arns))))
    if c is Control.RESTRICT_REGIONS:
        regions = _regions(g, "aws")
        if not regions:
            raise _unsupported(estate, g, "aws", "it lists no AWS region, so it would deny every region",
                               "add the approved AWS regions or scope it to GCP folders only")
        return ScpStatement(sid, not_actions=GLOBAL_SERVICES,
                            conditions=(*conds, ("StringNotEquals", "aws:RequestedRegion", tuple(regions))))
    if c is Control.NO_PUBLIC_STORAGE:
        return ScpStatement(sid, actions=("s3:PutAccountPublicAccessBlock", "s3:DeleteAccountPublicAccessBlock",
                                          "s3:DeletePublicAccessBlock", "s3:PutBucketPublicAccessBlock"),
                            conditions=tuple(conds))
    if c is Control.NO_EXTERNAL_IPS:
        return ScpStatement(sid, actions=("ec2:RunInstances", "ec2:CreateNetworkInterface"),
                            resources=("arn:aws:ec2:*:*:network-interface/*",),
                            conditions=(*conds, ("Bool", "ec2:AssociatePublicIpAddress", ("true",))))
    if c is Control.NO_LONG_LIVED_KEYS:
        return ScpStatement(sid, actions=("iam:CreateAccessKey", "iam:CreateLoginProfile",
                                          "iam:UpdateLoginProfile"), conditions=tuple(conds))
    if c is Control.CUSTOMER_MANAGED_KEYS:
        return ScpStatement(sid, actions=("ec2:CreateVolume", "ec2:RunInstances"),
                            resources=("arn:aws:ec2:*:*:volume/*",),
                            conditions=(*conds, ("Bool", "ec2:Encrypted", ("false",))))
    if c is Control.NO_DEFAULT_NETWORK:
        return ScpStatement(sid, actions=("ec2:CreateDefaultSubnet", "ec2:CreateDefaultVpc"),
                            conditions=tuple(conds))
    if c is Control.REQUIRE_IMDSV2:
        return ScpStatement(sid, actions=("ec2:RunInstances",), resources=("arn:aws:ec2:*:*:instance/*",),
                            conditions=(*conds, ("StringNotEquals", "ec2:MetadataHttpTokens", ("required",))))
    if c is Control.REQUIRE_OS_LOGIN:
        return ScpStatement(sid, actions=("ec2:CreateKeyPair", "ec2:ImportKeyPair"), conditions=tuple(conds))
    if c is Control.NO_SERIAL_PORT:
        return ScpStatement(sid, actions=("ec2:EnableSerialConsoleAccess",
                                          "ec2-instance-connect:SendSerialConsoleSSHPublicKey"),
                            conditions=tuple(conds))
    if c is Control.DENY_LEAVE_ORGANIZATION:
        return ScpStatement(sid, actions=("organizations:LeaveOrganization",), conditions=tuple(conds))
    if c is Control.PROTECT_AUDIT_LOGS:
        return ScpStatement(sid, actions=("cloudtrail:DeleteTrail", "cloudtrail:PutEventSelectors",
                                          "cloudtrail:StopLogging", "cloudtrail:UpdateTrail"),
                            conditions=tuple(conds))
    if c is Control.RESTRICT_VPC_PEERING:
        allowed = tuple(f"arn:aws:ec2:*:{a}:vpc/*" for a in sorted(org_account_ids))
        return ScpStatement(sid, actions=("ec2:AcceptVpcPeeringConnection", "ec2:CreateVpcPeeringConnection"),
                            resources=("arn:aws:ec2:*:*:vpc-peering-connection/*",),
                            conditions=(*conds, ("StringNotLike", "ec2:AccepterVpc", allowed)))
    if c is Control.REQUIRE_SHIELDED_VM:
        return ScpStatement(sid, actions=("ec2:RunInstances",), resources=("arn:aws:ec2:*::image/*",),
                            conditions=(*conds, ("StringNotEquals", "ec2:Owner", (GOLDEN_IMAGE_OWNERS,))))
    raise _unsupported(estate, g, "aws", "no SCP is known for this control", "add it to guardrails.MAPPING")


def org_policies(estate: Estate, g: Guardrail, org_id: str) -> tuple[OrgPolicy, ...]:
    """The Organization Policy constraints that enforce ``g`` (empty when GCP enforces it by design)."""
    c = g.control
    if c is Control.RESTRICT_REGIONS:
        regions = _regions(g, "gcp")
        if not regions:
            raise _unsupported(estate, g, "gcp", "it lists no GCP region, so it would deny every location",
                               "add the approved GCP regions or scope it to AWS OUs only")
        return (OrgPolicy("gcp.resourceLocations", "list",
                          allowed_values=tuple(f"in:{r}-locations" for r in regions)),)
    if c is Control.CUSTOMER_MANAGED_KEYS:
        return (OrgPolicy("gcp.restrictNonCmekServices", "list", denied_values=CMEK_SERVICES),)
    if c is Control.NO_EXTERNAL_IPS:
        return (OrgPolicy("compute.vmExternalIpAccess", "list", deny_all=True),)
    if c is Control.DENY_LEAVE_ORGANIZATION:
        return (OrgPolicy("resourcemanager.allowedExportDestinations", "list", deny_all=True),)
    if c is Control.RESTRICT_VPC_PEERING:
        return (OrgPolicy("compute.restrictVpcPeering", "list",
                          allowed_values=(f"under:organizations/{org_id}",)),)
    m = MAPPING.get(c)
    if m is None:
        raise _unsupported(estate, g, "gcp", "no Organization Policy is known for this control",
                           "add it to guardrails.MAPPING")
    return tuple(OrgPolicy(constraint, "boolean") for constraint in m.gcp)
