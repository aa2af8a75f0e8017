"""The landing-zone baseline a reviewer expects of an AWS organisation.

- an organisation CloudTrail trail (all regions, log-file validation, KMS) into a bucket in the
  log-archive account with S3 Object Lock in compliance mode for ``audit.retention_years``
  (default 6, what broker-dealer record keeping asks for), versioned, private and TLS-only;
- AWS Config recording in every account and region the estate uses, delivered to the same
  bucket, aggregated organisation-wide in the security account;
- GuardDuty administered by the security account and enabled for every member, in each region;
- the S3 account-level public access block in every account.

Without ``audit.log_archive_account`` nothing here renders (the estate names no place for it).
"""

from __future__ import annotations

from tradeplane.terraform.aws._common import KEY_ADMIN_ACTIONS, KEY_POLICY_SKIPS, policy_document
from tradeplane.terraform.context import Context
from tradeplane.terraform.hcl import Expr
from tradeplane.terraform.module import RootModule, interp
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "audit_baseline"


def _regions(ctx: Context) -> list[str]:
    return sorted({v.region for v in ctx.estate.aws_vpcs} | {"us-east-1"})


def _home(ctx: Context, account: str) -> str:
    return sorted(v.region for v in ctx.estate.aws_vpcs if v.account == account)[0] if any(
        v.account == account for v in ctx.estate.aws_vpcs) else "us-east-1"


@family("audit_baseline", cloud="aws", stage=Stage.ORG)
def emit(ctx: Context) -> None:
    """Org CloudTrail into an object-locked bucket, Config and GuardDuty org-wide, S3 public access block."""
    audit = ctx.estate.audit
    if ctx.estate.organisation.aws is None or audit.log_archive_account is None:
        return
    mod = ctx.module("aws", Stage.ORG)
    archive = audit.log_archive_account
    security = audit.security_account or archive
    bucket = _bucket(ctx, mod, archive)
    _trail(ctx, mod, archive, bucket)
    _config(ctx, mod, security, bucket)
    _guardduty(ctx, mod, security)
    for account in sorted(ctx.accounts):
        mod.resource(F, "aws_s3_account_public_access_block", ident(account),
                     provider=mod.aws_provider(account, _home(ctx, account)), block_public_acls=True,
                     block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True)


def _bucket(ctx: Context, mod: RootModule, archive: str) -> Expr:
    p = mod.aws_provider(archive, "us-east-1")
    acct = ctx.account_id(mod, archive)
    mgmt = ctx.account_id(mod, "management")
    # the organisation stage's identity manages buckets named '<estate>-...' only (aws_actions.NAME_PREFIXES)
    name = mod.var("audit_bucket_name", "string", "name of the organisation trail bucket in the log-archive account",
                   f"{ctx.estate.name}-org-audit-trail",
                   validation=(f'startswith(var.audit_bucket_name, "{ctx.estate.name}-")',
                               f"the bucket name starts with '{ctx.estate.name}-', the only buckets the "
                               "organisation stage's identity may manage"))
    key = policy_document(mod, F, "audit_key", p, [
        {"sid": "AccountAdministers", "actions": list(KEY_ADMIN_ACTIONS), "resources": ["*"],
         "principals": [("AWS", [interp(f"arn:aws:iam::${{{acct}}}:root")])]},
        {"sid": "CloudTrailEncrypts", "actions": ["kms:GenerateDataKey*", "kms:DescribeKey"], "resources": ["*"],
         "principals": [("Service", ["cloudtrail.amazonaws.com"])],
         "conditions": [("StringLike", "kms:EncryptionContext:aws:cloudtrail:arn",
                         [interp(f"arn:aws:cloudtrail:*:${{{mgmt}}}:trail/*")])]},
        {"sid": "ConfigEncrypts", "actions": ["kms:GenerateDataKey*", "kms:Decrypt"], "resources": ["*"],
         "principals": [("Service", ["config.amazonaws.com"])]},
        {"sid": "AccountDecrypts", "actions": ["kms:Decrypt", "kms:ReEncryptFrom"], "resources": ["*"],
         "principals": [("AWS", [interp(f"arn:aws:iam::${{{acct}}}:root")])]},
    ], skips=KEY_POLICY_SKIPS)
    tags = ctx.aws_tags("org-audit-trail", None, env="shared")
    mod.resource(F, "aws_kms_key", "audit", provider=p, description="organisation trail and AWS Config history",
                 enable_key_rotation=True, deletion_window_in_days=30, policy=key, tags=tags)
    b = mod.resource(F, "aws_s3_bucket", "audit", provider=p, bucket=name, object_lock_enabled=True, tags=tags)
    b.skip("CKV_AWS_144", "cross-region replication of the audit trail is the log-archive account's own choice")
    b.skip("CKV2_AWS_62", "the trail bucket is written only by CloudTrail and Config; nothing consumes events")
    b.skip("CKV_AWS_18", "this is the access-log destination of last resort; logging it to itself would loop")
    mod.resource(F, "aws_s3_bucket_versioning", "audit", provider=p, bucket=Expr("aws_s3_bucket.audit.id")).block(
        "versioning_configuration", status="Enabled")
    lock = mod.resource(F, "aws_s3_bucket_object_lock_configuration", "audit", provider=p,
                        bucket=Expr("aws_s3_bucket.audit.id"), depends_on=[Expr("aws_s3_bucket_versioning.audit")])
    lock.block("rule").block("default_retention", mode="COMPLIANCE", years=ctx.estate.audit.retention_years)
    sse = mod.resource(F, "aws_s3_bucket_server_side_encryption_configuration", "audit", provider=p,
                       bucket=Expr("aws_s3_bucket.audit.id"))
    sse.block("rule", bucket_key_enabled=True).block("apply_server_side_encryption_by_default",
                                                     sse_algorithm="aws:kms", kms_master_key_id=Expr("aws_kms_key.audit.arn"))
    # Old trail files move to Glacier after 90 days; nothing expires (the lock keeps them for the
    # retention period, and deleting records after it is a decision for the firm, not a default).
    life = mod.resource(F, "aws_s3_bucket_lifecycle_configuration", "audit", provider=p,
                        bucket=Expr("aws_s3_bucket.audit.id"))
    rule = life.block("rule", id="archive", status="Enabled")
    rule.block("filter")
    rule.block("transition", days=90, storage_class="GLACIER")
    rule.block("noncurrent_version_transition", noncurrent_days=90, storage_class="GLACIER")
    rule.block("abort_incomplete_multipart_upload", days_after_initiation=7)
    mod.resource(F, "aws_s3_bucket_public_access_block", "audit", provider=p, bucket=Expr("aws_s3_bucket.audit.id"),
                 block_public_acls=True, block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True)
    arn = Expr("aws_s3_bucket.audit.arn")
    policy = policy_document(mod, F, "audit_bucket", p, [
        {"sid": "ServicesReadAcl", "actions": ["s3:GetBucketAcl", "s3:ListBucket"], "resources": [arn],
         "principals": [("Service", ["cloudtrail.amazonaws.com", "config.amazonaws.com"])]},
        {"sid": "ServicesWriteLogs", "actions": ["s3:PutObject"], "resources": [interp("${aws_s3_bucket.audit.arn}/AWSLogs/*")],
         "principals": [("Service", ["cloudtrail.amazonaws.com", "config.amazonaws.com"])],
         "conditions": [("StringEquals", "s3:x-amz-acl", ["bucket-owner-full-control"])]},
        {"sid": "DenyInsecureTransport", "effect": "Deny", "actions": ["s3:*"],
         "resources": [arn, interp("${aws_s3_bucket.audit.arn}/*")], "principals": [("*", ["*"])],
         "conditions": [("Bool", "aws:SecureTransport", ["false"])]},
    ])
    mod.resource(F, "aws_s3_bucket_policy", "audit", provider=p, bucket=Expr("aws_s3_bucket.audit.id"), policy=policy)
    return Expr("aws_s3_bucket.audit.id")


def _trail(ctx: Context, mod: RootModule, archive: str, bucket: Expr) -> None:
    p = mod.aws_provider("management", "us-east-1")
    t = mod.resource(F, "aws_cloudtrail", "organisation", provider=p, name=f"{ctx.estate.name}-org-trail",
                     s3_bucket_name=bucket, is_organization_trail=True, is_multi_region_trail=True,
                     include_global_service_events=True, enable_log_file_validation=True,
                     kms_key_id=Expr("aws_kms_key.audit.arn"),
                     depends_on=[Expr("aws_s3_bucket_policy.audit")],
                     tags=ctx.aws_tags("org-trail", None, env="shared"))
    t.skip("CKV_AWS_252", "an SNS topic per delivered log file is noise; the trail is read from the locked bucket")
    t.skip("CKV2_AWS_10", "the trail lands in the locked log-archive bucket, queried there, not in CloudWatch Logs")
    t.block("event_selector", read_write_type="All", include_management_events=True)


def _config(ctx: Context, mod: RootModule, security: str, bucket: Expr) -> None:
    for account in sorted(ctx.accounts):
        for region in _regions(ctx):
            p = mod.aws_provider(account, region)
            name = ident(account, region)
            acct = ctx.account_id(mod, account)
            role = interp(f"arn:aws:iam::${{{acct}}}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig")
            if region == "us-east-1":
                mod.resource(F, "aws_iam_service_linked_role", ident(account, "config"), provider=p,
                             aws_service_name="config.amazonaws.com")
            rec = mod.resource(F, "aws_config_configuration_recorder", name, provider=p, name="tradeplane",
                               role_arn=role)
            if region != "us-east-1":
                rec.skip("CKV2_AWS_48", "global resources (IAM) are recorded once, in us-east-1; recording them in "
                         "every region duplicates each item")
            rec.block("recording_group", all_supported=True, include_global_resource_types=region == "us-east-1")
            mod.resource(F, "aws_config_delivery_channel", name, provider=p, name="tradeplane", s3_bucket_name=bucket,
                         depends_on=[Expr(f"aws_config_configuration_recorder.{name}")])
            mod.resource(F, "aws_config_configuration_recorder_status", name, provider=p,
                         name=Expr(f"aws_config_configuration_recorder.{name}.name"), is_enabled=True,
                         depends_on=[Expr(f"aws_config_delivery_channel.{name}")])
    p = mod.aws_provider(security, "us-east-1")
    acct = ctx.account_id(mod, security)
    agg = mod.resource(F, "aws_config_configuration_aggregator", "organisation", provider=p, name="organisation")
    agg.block("organization_aggregation_source", all_regions=True, role_arn=interp(
        f"arn:aws:iam::${{{acct}}}:role/aws-service-role/organizations.amazonaws.com/AWSServiceRoleForOrganizations"))


def _guardduty(ctx: Context, mod: RootModule, security: str) -> None:
    for region in _regions(ctx):
        mgmt = mod.aws_provider("management", region)
        admin = mod.aws_provider(security, region)
        r = ident(region)
        mod.resource(F, "aws_guardduty_detector", ident(security, region), provider=admin, enable=True,
                     finding_publishing_frequency="FIFTEEN_MINUTES")
        mod.resource(F, "aws_guardduty_organization_admin_account", r, provider=mgmt,
                     admin_account_id=ctx.account_id(mod, security))
        mod.resource(F, "aws_guardduty_organization_configuration", r, provider=admin,
                     detector_id=Expr(f"aws_guardduty_detector.{ident(security, region)}.id"),
                     auto_enable_organization_members="ALL",
                     depends_on=[Expr(f"aws_guardduty_organization_admin_account.{r}")])
