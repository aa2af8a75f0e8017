"""What each AWS Terraform type needs from IAM, and the least policy a stage's identity needs for what it renders.

``TYPE_ACTIONS`` is the one table: Terraform type -> the IAM actions that create, change, tag and
delete it (IAM itself excepted: the roles a stage creates are governed by
``identities.aws_statements``: own path, own boundary). A stage identity's policy in an account is
derived from the types its rendered Terraform holds *in that account* (``stage_statements``):

- the resources of each action come from the AWS Service Authorization Reference
  (``iam_reference.json``, built by ``tests/terraform/build_iam_reference.py``): an action with a
  required resource type is granted on that type's ARN with ``${Partition}`` = ``aws``,
  ``${Account}`` = the account's id and ``${Region}`` = each region the stage uses there; a name in
  the ARN (log group, topic, alarm, trail, bucket) narrowed to the estate's prefixes
  (``NAME_PREFIXES``) and a venue-key secret to its exact name; any other id becomes ``*``. ARNs
  that carry ids only (EC2, Direct Connect, KMS, ...) are then folded to
  ``arn:aws:<service>:<region>:<account>:*``: ids are not names, so account and region are the
  narrowing that remains. An action with no required resource type (``CreateKey``, ``Describe*``)
  is granted on ``*``.
- read-only wildcards (``SERVICE_READS``: ``ec2:Describe*``, ...) on ``*`` for each service the
  stage uses, each justified in ``READ_JUSTIFICATION``; the reference says every action they match
  is List or Read (a test), and none of them reads a secret's value or an object.
- a few actions reach resources outside the account (``CROSS_ACCOUNT``: a transit gateway shared
  from the network account, the other side of a VPC peering): their ARNs list every account and
  region of the estate instead.

A type with no entry fails the render (``uncovered``) and a test walks every AWS type of the
provider schema, so a family that adds a type adds its actions here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["CROSS_ACCOUNT", "DESTROY_ONLY", "FOREIGN_RESOURCES", "MANAGED_TAG", "NAME_ATTRS", "NAME_PREFIXES", "READ_JUSTIFICATION",
           "SERVICE_READS", "TAG_ON_CREATE", "TYPE_ACTIONS", "Grant",
           "action_resources", "iam_reference", "name_matches", "stage_statements"]


def _ec2(*names: str) -> tuple[str, ...]:
    return tuple(f"ec2:{n}" for n in names)


def _svc(service: str, *names: str) -> tuple[str, ...]:
    return tuple(f"{service}:{n}" for n in names)


_SG_RULES = _ec2("AuthorizeSecurityGroupEgress", "AuthorizeSecurityGroupIngress", "ModifySecurityGroupRules",
                 "RevokeSecurityGroupEgress", "RevokeSecurityGroupIngress",
                 "UpdateSecurityGroupRuleDescriptionsEgress", "UpdateSecurityGroupRuleDescriptionsIngress")
_TGW_ATTACHMENT = _ec2("CreateTransitGatewayVpcAttachment", "DeleteTransitGatewayVpcAttachment",
                       "ModifyTransitGatewayVpcAttachment")
_ORG_SERVICE_ACCESS = _svc("organizations", "DescribeOrganization", "EnableAWSServiceAccess",
                           "ListAWSServiceAccessForOrganization", "ListAccounts", "ListDelegatedAdministrators",
                           "RegisterDelegatedAdministrator")
_ALARM = _svc("cloudwatch", "DeleteAlarms", "DescribeAlarms", "DisableAlarmActions", "EnableAlarmActions")
_KEY = _svc("kms", "CreateKey", "DescribeKey", "DisableKey", "DisableKeyRotation", "EnableKey", "EnableKeyRotation",
            "GetKeyPolicy", "GetKeyRotationStatus", "PutKeyPolicy", "ScheduleKeyDeletion", "UpdateKeyDescription")
_BUCKET_READS = _svc("s3", "GetAccelerateConfiguration", "GetBucketAcl", "GetBucketCORS", "GetBucketLocation",
                     "GetBucketLogging",
                     "GetBucketObjectLockConfiguration", "GetBucketOwnershipControls", "GetBucketPolicy",
                     "GetBucketPolicyStatus", "GetBucketPublicAccessBlock", "GetBucketRequestPayment",
                     "GetBucketVersioning", "GetBucketWebsite", "GetEncryptionConfiguration",
                     "GetLifecycleConfiguration", "GetReplicationConfiguration", "ListBucket")

# Terraform type -> the IAM actions that manage it (besides the service's tagging actions, ``_TAGS``,
# and its read-only wildcards, ``SERVICE_READS``). Sources: the resource's Create/Update/Delete API
# calls in terraform-provider-aws 5.99 and the Service Authorization Reference (the build script
# refuses an action it does not list). IAM types map to () here: their grants are the stage's
# own-role statements (identities.aws_statements), never derived.
TYPE_ACTIONS: dict[str, tuple[str, ...]] = {
    # organisation and audit
    "aws_organizations_organization": _svc("organizations", "DescribeOrganization", "ListAWSServiceAccessForOrganization",
                                           "ListAccounts", "ListRoots"),
    "aws_organizations_organizational_unit": _svc("organizations", "CreateOrganizationalUnit",
                                                  "DeleteOrganizationalUnit", "DescribeOrganizationalUnit",
                                                  "ListAccountsForParent", "ListChildren",
                                                  "ListOrganizationalUnitsForParent", "ListParents",
                                                  "UpdateOrganizationalUnit"),
    "aws_organizations_account": _svc("organizations", "CreateAccount", "DescribeAccount", "DescribeCreateAccountStatus",
                                      "ListParents", "MoveAccount", "RemoveAccountFromOrganization"),
    "aws_organizations_policy": _svc("organizations", "CreatePolicy", "DeletePolicy", "DescribePolicy",
                                     "ListTargetsForPolicy", "UpdatePolicy"),
    "aws_organizations_policy_attachment": _svc("organizations", "AttachPolicy", "DetachPolicy",
                                                "ListPoliciesForTarget", "ListTargetsForPolicy"),
    "aws_cloudtrail": (*_svc("cloudtrail", "CreateTrail", "DeleteTrail", "GetEventSelectors", "GetInsightSelectors",
                             "GetTrail", "GetTrailStatus", "PutEventSelectors", "PutInsightSelectors",
                             "StartLogging", "StopLogging", "UpdateTrail"), *_ORG_SERVICE_ACCESS),
    "aws_config_configuration_recorder": _svc("config", "DeleteConfigurationRecorder", "PutConfigurationRecorder"),
    "aws_config_configuration_recorder_status": _svc("config", "StartConfigurationRecorder",
                                                     "StopConfigurationRecorder"),
    "aws_config_delivery_channel": _svc("config", "DeleteDeliveryChannel", "PutDeliveryChannel"),
    "aws_config_configuration_aggregator": (*_svc("config", "DeleteConfigurationAggregator",
                                                  "PutConfigurationAggregator"), *_ORG_SERVICE_ACCESS),
    "aws_guardduty_detector": _svc("guardduty", "CreateDetector", "DeleteDetector", "GetDetector", "UpdateDetector"),
    "aws_guardduty_organization_admin_account": (*_svc("guardduty", "DisableOrganizationAdminAccount",
                                                       "EnableOrganizationAdminAccount",
                                                       "ListOrganizationAdminAccounts"), *_ORG_SERVICE_ACCESS),
    "aws_guardduty_organization_configuration": _svc("guardduty", "DescribeOrganizationConfiguration",
                                                     "UpdateOrganizationConfiguration"),
    "aws_s3_bucket": (*_svc("s3", "CreateBucket", "DeleteBucket"), *_BUCKET_READS),
    "aws_s3_bucket_lifecycle_configuration": _svc("s3", "GetLifecycleConfiguration", "PutLifecycleConfiguration"),
    "aws_s3_bucket_object_lock_configuration": _svc("s3", "GetBucketObjectLockConfiguration",
                                                    "PutBucketObjectLockConfiguration"),
    "aws_s3_bucket_policy": _svc("s3", "DeleteBucketPolicy", "GetBucketPolicy", "PutBucketPolicy"),
    "aws_s3_bucket_public_access_block": _svc("s3", "GetBucketPublicAccessBlock", "PutBucketPublicAccessBlock"),
    "aws_s3_bucket_server_side_encryption_configuration": _svc("s3", "GetEncryptionConfiguration",
                                                               "PutEncryptionConfiguration"),
    "aws_s3_bucket_versioning": _svc("s3", "GetBucketVersioning", "PutBucketVersioning"),
    "aws_s3_account_public_access_block": _svc("s3", "GetAccountPublicAccessBlock", "PutAccountPublicAccessBlock"),
    # keys, logs, secrets
    "aws_kms_key": _KEY,
    "aws_cloudwatch_log_group": _svc("logs", "CreateLogGroup", "DeleteLogGroup", "DeleteRetentionPolicy",
                                     "PutRetentionPolicy", "AssociateKmsKey", "DisassociateKmsKey"),
    "aws_secretsmanager_secret": _svc("secretsmanager", "CreateSecret", "DeleteSecret", "DescribeSecret",
                                      "GetResourcePolicy", "UpdateSecret"),
    # turning rotation on rotates at once: Secrets Manager invokes the function as the caller
    "aws_secretsmanager_secret_rotation": (*_svc("secretsmanager", "CancelRotateSecret", "DescribeSecret",
                                                 "RotateSecret"), "lambda:InvokeFunction"),
    # networks
    "aws_vpc": _ec2("CreateVpc", "DeleteVpc", "ModifyVpcAttribute"),
    "aws_vpc_ipv4_cidr_block_association": _ec2("AssociateVpcCidrBlock", "DisassociateVpcCidrBlock"),
    "aws_subnet": _ec2("CreateSubnet", "DeleteSubnet", "ModifySubnetAttribute"),
    "aws_default_security_group": _SG_RULES,
    "aws_security_group": (*_ec2("CreateSecurityGroup", "DeleteSecurityGroup"), *_SG_RULES),
    "aws_vpc_security_group_ingress_rule": _SG_RULES,
    "aws_vpc_security_group_egress_rule": _SG_RULES,
    "aws_network_acl": _ec2("CreateNetworkAcl", "DeleteNetworkAcl", "ReplaceNetworkAclAssociation"),
    "aws_network_acl_rule": _ec2("CreateNetworkAclEntry", "DeleteNetworkAclEntry", "ReplaceNetworkAclEntry"),
    "aws_route_table": _ec2("CreateRouteTable", "DeleteRouteTable"),
    "aws_route": _ec2("CreateRoute", "DeleteRoute", "ReplaceRoute"),
    "aws_route_table_association": _ec2("AssociateRouteTable", "DisassociateRouteTable",
                                        "ReplaceRouteTableAssociation"),
    "aws_internet_gateway": _ec2("AttachInternetGateway", "CreateInternetGateway", "DeleteInternetGateway",
                                 "DetachInternetGateway"),
    "aws_eip": _ec2("AllocateAddress", "DisassociateAddress", "ReleaseAddress"),
    "aws_nat_gateway": _ec2("CreateNatGateway", "DeleteNatGateway"),
    "aws_flow_log": (*_ec2("CreateFlowLogs", "DeleteFlowLogs"), *_svc("logs", "CreateLogDelivery",
                                                                       "DeleteLogDelivery")),
    "aws_vpc_endpoint": (*_ec2("CreateVpcEndpoint", "DeleteVpcEndpoints", "ModifyVpcEndpoint"),
                         "route53:AssociateVPCWithHostedZone"),
    "aws_vpc_peering_connection": _ec2("CreateVpcPeeringConnection", "DeleteVpcPeeringConnection",
                                       "ModifyVpcPeeringConnectionOptions"),
    "aws_vpc_peering_connection_accepter": _ec2("AcceptVpcPeeringConnection", "DeleteVpcPeeringConnection",
                                                "ModifyVpcPeeringConnectionOptions"),
    "aws_ec2_transit_gateway": _ec2("CreateTransitGateway", "DeleteTransitGateway", "ModifyTransitGateway"),
    "aws_ec2_transit_gateway_route_table": _ec2("CreateTransitGatewayRouteTable", "DeleteTransitGatewayRouteTable"),
    "aws_ec2_transit_gateway_route": _ec2("CreateTransitGatewayRoute", "DeleteTransitGatewayRoute",
                                          "ReplaceTransitGatewayRoute"),
    "aws_ec2_transit_gateway_route_table_association": _ec2("AssociateTransitGatewayRouteTable",
                                                            "DisassociateTransitGatewayRouteTable"),
    "aws_ec2_transit_gateway_route_table_propagation": _ec2("DisableTransitGatewayRouteTablePropagation",
                                                            "EnableTransitGatewayRouteTablePropagation"),
    "aws_ec2_transit_gateway_vpc_attachment": _TGW_ATTACHMENT,
    "aws_ec2_transit_gateway_vpc_attachment_accepter": (*_TGW_ATTACHMENT, "ec2:AcceptTransitGatewayVpcAttachment"),
    "aws_ec2_transit_gateway_peering_attachment": _ec2("CreateTransitGatewayPeeringAttachment",
                                                       "DeleteTransitGatewayPeeringAttachment"),
    "aws_ec2_transit_gateway_peering_attachment_accepter": _ec2("AcceptTransitGatewayPeeringAttachment",
                                                                "DeleteTransitGatewayPeeringAttachment"),
    "aws_ec2_transit_gateway_dx_gateway_attachment": (),  # a data source: ec2:Describe*
    "aws_customer_gateway": _ec2("CreateCustomerGateway", "DeleteCustomerGateway"),
    "aws_vpn_gateway": _ec2("AttachVpnGateway", "CreateVpnGateway", "DeleteVpnGateway", "DetachVpnGateway"),
    "aws_vpn_connection": _ec2("CreateVpnConnection", "DeleteVpnConnection", "ModifyVpnConnection",
                               "ModifyVpnConnectionOptions", "ModifyVpnTunnelOptions"),
    "aws_ram_resource_share": _svc("ram", "CreateResourceShare", "DeleteResourceShare", "UpdateResourceShare"),
    "aws_ram_resource_association": _svc("ram", "AssociateResourceShare", "DisassociateResourceShare"),
    "aws_ram_principal_association": _svc("ram", "AssociateResourceShare", "DisassociateResourceShare"),
    "aws_dx_connection": _svc("directconnect", "CreateConnection", "DeleteConnection", "UpdateConnection"),
    # CreateLag takes the named connection into the new LAG; destroying the LAG first disassociates it
    # (hashicorp/aws internal/service/directconnect/lag.go: resourceLagCreate, resourceLagDelete).
    "aws_dx_lag": _svc("directconnect", "CreateLag", "DeleteLag", "DisassociateConnectionFromLag", "UpdateLag"),
    "aws_dx_gateway": _svc("directconnect", "CreateDirectConnectGateway", "DeleteDirectConnectGateway",
                           "UpdateDirectConnectGateway"),
    "aws_dx_gateway_association": _svc("directconnect", "CreateDirectConnectGatewayAssociation",
                                       "DeleteDirectConnectGatewayAssociation",
                                       "UpdateDirectConnectGatewayAssociation"),
    "aws_dx_transit_virtual_interface": _svc("directconnect", "CreateTransitVirtualInterface",
                                             "DeleteVirtualInterface", "UpdateVirtualInterfaceAttributes"),
    "aws_dx_private_virtual_interface": _svc("directconnect", "CreatePrivateVirtualInterface",
                                             "DeleteVirtualInterface", "UpdateVirtualInterfaceAttributes"),
    "aws_dx_macsec_key_association": _svc("directconnect", "AssociateMacSecKey", "DisassociateMacSecKey"),
    # perimeter and defaults
    "aws_ebs_encryption_by_default": _ec2("DisableEbsEncryptionByDefault", "EnableEbsEncryptionByDefault",
                                          "GetEbsEncryptionByDefault"),
    "aws_ebs_default_kms_key": _ec2("GetEbsDefaultKmsKeyId", "ModifyEbsDefaultKmsKeyId", "ResetEbsDefaultKmsKeyId"),
    "aws_shield_protection": _svc("shield", "CreateProtection", "DeleteProtection", "DescribeProtection"),
    "aws_wafv2_web_acl": _svc("wafv2", "CreateWebACL", "DeleteWebACL", "GetWebACL", "UpdateWebACL"),
    "aws_wafv2_web_acl_association": (*_svc("wafv2", "AssociateWebACL", "DisassociateWebACL", "GetWebACLForResource"),
                                      "apigateway:SetWebACL", "elasticloadbalancing:SetWebAcl"),
    "aws_wafv2_web_acl_logging_configuration": (*_svc("wafv2", "DeleteLoggingConfiguration", "GetLoggingConfiguration",
                                                      "PutLoggingConfiguration"),
                                                *_svc("logs", "CreateLogDelivery", "DeleteLogDelivery",
                                                      "DescribeResourcePolicies", "PutResourcePolicy")),
    # compute
    "aws_placement_group": _ec2("CreatePlacementGroup", "DeletePlacementGroup"),
    "aws_launch_template": _ec2("CreateLaunchTemplate", "CreateLaunchTemplateVersion", "DeleteLaunchTemplate",
                                "DeleteLaunchTemplateVersions", "GetLaunchTemplateData", "ModifyLaunchTemplate"),
    "aws_instance": (*_ec2("AssociateIamInstanceProfile", "DisassociateIamInstanceProfile", "ModifyInstanceAttribute",
                           "ModifyInstanceMetadataOptions", "MonitorInstances",
                           "ReplaceIamInstanceProfileAssociation", "RunInstances", "StartInstances", "StopInstances",
                           "TerminateInstances", "UnmonitorInstances"),
                     *_svc("kms", "CreateGrant", "Decrypt", "DescribeKey", "GenerateDataKeyWithoutPlaintext",
                           "ReEncryptFrom", "ReEncryptTo")),
    # observability
    "aws_cloudwatch_metric_alarm": (*_ALARM, "cloudwatch:PutMetricAlarm"),
    "aws_cloudwatch_composite_alarm": (*_ALARM, "cloudwatch:PutCompositeAlarm"),
    "aws_sns_topic": _svc("sns", "CreateTopic", "DeleteTopic", "GetTopicAttributes", "SetTopicAttributes"),
    "aws_sns_topic_subscription": _svc("sns", "GetSubscriptionAttributes", "SetSubscriptionAttributes", "Subscribe",
                                       "Unsubscribe"),
    # identities (identities.aws_statements) and documents that call no API
    "aws_iam_role": (), "aws_iam_role_policy": (), "aws_iam_role_policy_attachment": (),
    "aws_iam_instance_profile": (), "aws_iam_service_linked_role": (), "aws_iam_policy": (),
    "aws_iam_policy_document": (),
}

# Terraform type -> the actions of TYPE_ACTIONS[type] that only destroying it calls. Where every block of
# the type a stage renders in an account has ``lifecycle { prevent_destroy = true }`` Terraform refuses
# any plan that destroys it, so the stage's identity is not granted them (``stage_statements``'s
# ``protected``): removing an account from the organisation is an administrator's act, never CI's.
DESTROY_ONLY: dict[str, tuple[str, ...]] = {
    "aws_organizations_account": ("organizations:RemoveAccountFromOrganization",),
}

# the service's own tagging actions, granted with any type of that service (Terraform tags on create
# and reads tags on refresh)
_TAGS: dict[str, tuple[str, ...]] = {
    "cloudtrail": _svc("cloudtrail", "AddTags", "ListTags", "RemoveTags"),
    "cloudwatch": _svc("cloudwatch", "ListTagsForResource", "TagResource", "UntagResource"),
    "config": _svc("config", "ListTagsForResource", "TagResource", "UntagResource"),
    "directconnect": _svc("directconnect", "DescribeTags", "TagResource", "UntagResource"),
    "ec2": _ec2("CreateTags", "DeleteTags"),
    "guardduty": _svc("guardduty", "ListTagsForResource", "TagResource", "UntagResource"),
    "kms": _svc("kms", "ListResourceTags", "TagResource", "UntagResource"),
    "logs": _svc("logs", "ListTagsForResource", "ListTagsLogGroup", "TagResource", "UntagResource"),
    "organizations": _svc("organizations", "ListTagsForResource", "TagResource", "UntagResource"),
    "ram": _svc("ram", "TagResource", "UntagResource"),
    "s3": _svc("s3", "GetBucketTagging", "PutBucketTagging"),
    "secretsmanager": _svc("secretsmanager", "TagResource", "UntagResource"),
    "shield": _svc("shield", "ListTagsForResource", "TagResource", "UntagResource"),
    "sns": _svc("sns", "ListTagsForResource", "TagResource", "UntagResource"),
    "wafv2": _svc("wafv2", "ListTagsForResource", "TagResource", "UntagResource"),
}
for _type, _actions in list(TYPE_ACTIONS.items()):
    if _actions:
        TYPE_ACTIONS[_type] = tuple(sorted({*_actions, *_TAGS.get(_actions[0].split(":")[0], ())}))

# service -> read-only wildcards granted on "*" when the stage uses the service (Terraform refreshes
# through them). Never secretsmanager:Get* (GetSecretValue) or s3:Get* (GetObject).
SERVICE_READS: dict[str, tuple[str, ...]] = {
    "cloudtrail": ("cloudtrail:DescribeTrails",),
    "config": ("config:DescribeConfigurationAggregators", "config:DescribeConfigurationRecorderStatus",
               "config:DescribeConfigurationRecorders", "config:DescribeDeliveryChannels"),
    "directconnect": ("directconnect:Describe*",), "ec2": ("ec2:Describe*",),
    "guardduty": ("guardduty:ListDetectors",), "kms": ("kms:ListAliases", "kms:ListKeys"),
    "logs": ("logs:DescribeLogGroups",), "organizations": ("organizations:Describe*", "organizations:List*"),
    "ram": ("ram:GetResourceShareAssociations", "ram:GetResourceShares"),
    "secretsmanager": ("secretsmanager:ListSecrets",), "shield": ("shield:ListProtections",),
    "sns": ("sns:ListTopics",), "wafv2": ("wafv2:ListWebACLs",),
}
# the read-only wildcards a stage role may hold on Resource "*" (the test's named allowlist), and why
READ_JUSTIFICATION: dict[str, str] = {
    "directconnect:Describe*": "Direct Connect's Describe calls (connections, gateways, interfaces, tags) are "
                               "List/Read only and take no resource ARN",
    "ec2:Describe*": "EC2's Describe calls are List only and support no resource-level permissions; Terraform "
                     "refreshes every EC2 resource through them",
    "organizations:Describe*": "the organisation stage reads the organisation it governs (Read only)",
    "organizations:List*": "the organisation stage lists the organisation it governs (List only)",
}

# ARN name variables -> (types whose names fill it, prefixes; () = the exact rendered names)
NAME_PREFIXES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "LogGroupName": (("aws_cloudwatch_log_group",), ("/tradeplane/", "aws-waf-logs-")),
    "TopicName": (("aws_sns_topic",), ("{metric_prefix}-",)),
    "AlarmName": (("aws_cloudwatch_composite_alarm", "aws_cloudwatch_metric_alarm"), ("{metric_prefix}-",)),
    "TrailName": (("aws_cloudtrail",), ("{estate}-",)),
    "BucketName": (("aws_s3_bucket",), ("{estate}-",)),
    "SecretId": (("aws_secretsmanager_secret",), ()),
}
# actions whose resources may sit in another account (or region) of the estate
CROSS_ACCOUNT = frozenset({"ec2:AcceptTransitGatewayPeeringAttachment", "ec2:AcceptVpcPeeringConnection",
                           "ec2:CreateTransitGatewayPeeringAttachment", "ec2:CreateTransitGatewayVpcAttachment",
                           "ec2:CreateVpcPeeringConnection"})
# optional resources of another service an action is granted on: what the estate passes it (a web ACL
# fronts load balancers and API stages, crypto_perimeter_resource_arns); every other one is left out
FOREIGN_RESOURCES: dict[str, tuple[str, ...]] = {
    "wafv2:AssociateWebACL": ("apigateway", "elasticloadbalancing"),
    "wafv2:DisassociateWebACL": ("apigateway", "elasticloadbalancing"),
    "wafv2:GetWebACLForResource": ("apigateway", "elasticloadbalancing"),
}
# the attribute holding a type's name, where NAME_PREFIXES scopes it
NAME_ATTRS = {"aws_cloudwatch_composite_alarm": "alarm_name", "aws_cloudwatch_metric_alarm": "alarm_name",
              "aws_s3_bucket": "bucket"}


@cache
def iam_reference() -> dict[str, object]:
    """The compact Service Authorization Reference (``iam_reference.json``): ``actions`` ->
    {access, resources: [[ARN format, required], ...]}, ``read_wildcards`` -> access levels matched."""
    text = resources.files("tradeplane.terraform").joinpath("iam_reference.json").read_text(encoding="utf-8")
    data: dict[str, object] = json.loads(text)
    return data


def name_matches(name: str, prefixes: Iterable[str]) -> bool:
    """Whether a rendered name (its literal part, before any ``${``) falls under one of ``prefixes``."""
    literal = name.split("${", 1)[0]
    return any(literal.startswith(p) or (len(literal) < len(name) and p.startswith(literal)) for p in prefixes)


@dataclass(frozen=True)
class Grant:
    """One derived Allow statement: actions on resources (ARN templates with ``{account@<name>}``),
    under ``conditions`` ((test, key, values), all must hold)."""

    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...] = ()


# EC2 types whose create call tags the new resource in the same request (TagSpecifications; the
# provider sends the tags, default tags included, with RunInstances, CreateLaunchTemplate and
# CreatePlacementGroup) -> the EC2 resource types (ARN kinds) it creates and tags. A stage whose EC2
# types are all here gets ec2:CreateTags only as part of those create calls (``ec2:CreateAction``) and
# later tag edits (CreateTags, DeleteTags) only on those kinds carrying ``managed-by = tradeplane``
# (the provider default tag every stage sets): Amazon EC2 User Guide, "Grant permission to tag Amazon
# EC2 resources during creation". Others (a default security group or an accepter, which tag what
# they did not create) keep the account-wide tagging grant.
TAG_ON_CREATE: dict[str, tuple[str, ...]] = {
    "aws_instance": ("instance", "network-interface", "volume"),
    "aws_launch_template": ("launch-template",),
    "aws_placement_group": ("placement-group",),
}
_EC2_TAGS = ("ec2:CreateTags", "ec2:DeleteTags")
MANAGED_TAG = ("managed-by", "tradeplane")


def _ec2_tag_grants(types: Sequence[str], actions: Iterable[str], account: str,
                    regions: Sequence[str]) -> list[Grant]:
    """The scoped EC2 tagging grants of a stage whose EC2 types all tag on create (``TAG_ON_CREATE``)."""
    kinds = sorted({k for t in types for k in TAG_ON_CREATE.get(t, ())})
    arns = tuple(f"arn:aws:ec2:{r}:{{account@{account}}}:{k}/*" for r in regions for k in kinds)
    creates = tuple(sorted(a.split(":", 1)[1] for a in actions
                           if a.startswith("ec2:") and a.split(":", 1)[1].startswith(("Create", "Run"))
                           and a not in _EC2_TAGS))
    return [Grant("Ec2TagOnCreate", ("ec2:CreateTags",), arns, (("StringEquals", "ec2:CreateAction", creates),)),
            Grant("Ec2RetagOwn", _EC2_TAGS, arns,
                  (("StringEquals", f"aws:ResourceTag/{MANAGED_TAG[0]}", (MANAGED_TAG[1],)),))]


_VAR = re.compile(r"\$\{([A-Za-z]+)\}")


def action_resources(action: str, account: str, regions: Sequence[str], names: Mapping[str, tuple[str, ...]],
                     estate_accounts: Sequence[str], estate_regions: Sequence[str]) -> tuple[str, ...]:
    """The resources ``action`` is granted on in ``account`` (a template: ``{account@NAME}`` stands for that
    account's id), from the reference's ARN formats; ``("*",)`` when the action has no required resource type.
    ``names``: ARN name variable -> the patterns it may take (``/tradeplane/*``, an exact secret name)."""
    ref = iam_reference()["actions"]
    assert isinstance(ref, dict)
    entry = ref[action]
    kinds = entry["resources"]
    if not any(required for _, required in kinds):
        return ("*",)
    accounts = estate_accounts if action in CROSS_ACCOUNT else (account,)
    where = estate_regions if action in CROSS_ACCOUNT else regions
    service = action.split(":", 1)[0]
    out: set[str] = set()
    for arn, required in kinds:
        other = arn.split(":")[2]
        if other != service and not required and other not in FOREIGN_RESOURCES.get(action, ()):
            continue  # another service's resource the stage never passes (an ALB for WAF is one it does)
        named = any(v in names for v in _VAR.findall(arn))
        for acct in accounts:
            for region in where:
                filled = [arn.replace("${Partition}", "aws").replace("${Region}", region)
                          .replace("${Account}", "{account@" + acct + "}")]
                for var in _VAR.findall(arn):
                    values = names.get(var, ("*",))
                    filled = [f.replace("${" + var + "}", v) for f in filled for v in values]
                if not named:  # ids, not names: fold to the account and region
                    filled = [":".join([*f.split(":", 5)[:5], "*"]) for f in filled]
                out.update(filled)
    return tuple(sorted(out))


def stage_statements(types: Iterable[str], account: str, regions: Sequence[str],
                     rendered_names: Mapping[str, Iterable[str]], estate_accounts: Sequence[str],
                     estate_regions: Sequence[str], placeholders: Mapping[str, str],
                     protected: Iterable[str] = ()) -> list[Grant]:
    """The Allow statements a stage identity needs in ``account`` for the ``types`` it renders there
    (``TYPE_ACTIONS``; unknown types raise ``KeyError``): one per distinct resource list, then the
    read-only wildcards of the services used. ``rendered_names``: type -> literal names rendered in
    the account (the exact names of ``NAME_PREFIXES`` entries without prefixes); ``placeholders``:
    ``{estate}``, ``{metric_prefix}`` values; ``protected``: types every block of which has
    ``prevent_destroy``, whose ``DESTROY_ONLY`` actions are left out."""
    types = sorted(set(types))
    kept = set(protected)
    actions = sorted({a for t in types for a in TYPE_ACTIONS[t]
                      if not (t in kept and a in DESTROY_ONLY.get(t, ()))})
    ec2_types = [t for t in types if any(a.startswith("ec2:") for a in TYPE_ACTIONS[t])]
    scoped_tags = bool(ec2_types) and all(t in TAG_ON_CREATE for t in ec2_types)
    tag_grants = _ec2_tag_grants(ec2_types, actions, account, regions) if scoped_tags else []
    if scoped_tags:
        actions = [a for a in actions if a not in _EC2_TAGS]
    names: dict[str, tuple[str, ...]] = {}
    for var, (name_types, prefixes) in NAME_PREFIXES.items():
        present = sorted({n for t in name_types for n in rendered_names.get(t, ())})
        if not prefixes:
            if present:
                names[var] = tuple(f"{n}-??????" if var == "SecretId" else n for n in present)
            continue
        filled = [p.format(**placeholders) for p in prefixes]
        used = [p for p in filled if any(name_matches(n, (p,)) for n in present)] or filled
        names[var] = tuple(f"{p}*" for p in used)
    groups: dict[tuple[str, ...], list[str]] = {}
    for action in actions:
        res = action_resources(action, account, regions, names, estate_accounts, estate_regions)
        groups.setdefault(res, []).append(action)
    out: list[Grant] = []
    used_sids: set[str] = set()
    for res, acts in sorted(groups.items(), key=lambda kv: (kv[0] == ("*",), sorted(kv[1]))):
        services = sorted({a.split(":")[0] for a in acts})
        base = "".join(_camel(s) for s in services[:3]) + ("AnyResource" if res == ("*",) else "Scoped")
        sid, n = base, 2
        while sid in used_sids:
            sid, n = f"{base}{n}", n + 1
        used_sids.add(sid)
        out.append(Grant(sid, tuple(sorted(acts)), res))
    out += tag_grants
    services = sorted({a.split(":")[0] for a in actions})
    reads = sorted({r for s in services for r in SERVICE_READS.get(s, ())})
    if reads:
        out.append(Grant("ReadOnly", tuple(reads), ("*",)))
    return out


def _camel(service: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^a-z0-9]", service))
