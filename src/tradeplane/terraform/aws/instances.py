"""AWS instances: a launch template per workload and instances per zone, in their placement group."""

from __future__ import annotations

from collections import Counter

from tradeplane.estate.model import AwsSubnet, AwsVpc, PlacementStrategy, Workload
from tradeplane.terraform.aws._common import policy_document
from tradeplane.terraform.aws.placement_groups import group_of
from tradeplane.terraform.context import Context
from tradeplane.terraform.hcl import Expr, Table, Value
from tradeplane.terraform.identities import delegated_role
from tradeplane.terraform.module import RootModule, interp
from tradeplane.terraform.names import bounded, ident
from tradeplane.terraform.placement import replica_zones
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "instances"
SPREAD_PER_ZONE = 7


def _subnet_in(ctx: Context, w: Workload, vpc: AwsVpc, zone: str) -> AwsSubnet:
    home = next(s for s in vpc.subnets if s.name == w.subnet)
    if home.zone == zone:
        return home
    same = sorted((s for s in vpc.subnets if s.zone == zone and s.tier == home.tier), key=lambda s: s.name)
    if not same:
        ctx.unsupported(w, "subnet", f"workload '{w.name}' is placed in {zone} but {vpc.name} has no {home.tier} "
                        f"subnet there", f"add a {home.tier} subnet in {zone} or place it in {home.zone}")
    return same[0]


@family("instances", cloud="aws", stage=Stage.COMPUTE)
def emit(ctx: Context) -> None:
    """Launch templates (IMDSv2, encrypted gp3, detailed monitoring) and instances grouped by zone."""
    mod = ctx.module("aws", Stage.COMPUTE)
    ids: dict[str, Value] = {}
    for w in sorted(ctx.estate.workloads, key=lambda w: w.name):
        vpc = ctx.networks[w.network]
        if not isinstance(vpc, AwsVpc):
            continue
        p = mod.aws_provider(vpc.account, vpc.region)
        name = ident(w.name)
        zones = replica_zones(ctx.estate, w, ctx.zones)
        per_zone = Counter(zones)
        strategy = w.placement.strategy
        if strategy is PlacementStrategy.CLUSTER and len(per_zone) > 1:
            ctx.unsupported(w.placement, "zones", f"cluster placement group of '{w.name}' lives in one zone, "
                            f"but its replicas are placed in {', '.join(sorted(per_zone))}", "place it in one zone")
        if strategy is PlacementStrategy.SPREAD and max(per_zone.values()) > SPREAD_PER_ZONE:
            ctx.unsupported(w, "count", f"a spread placement group holds {SPREAD_PER_ZONE} running instances per zone; "
                            f"'{w.name}' puts {max(per_zone.values())} in one", "spread it over more zones")
        tags = ctx.aws_tags(w.name, w.desk, w.team, w.env)
        _role(ctx, mod, w, p, tags)
        ami = mod.var("ami_ids", "map(string)", "golden AMI id per workload (Secure Boot, NitroTPM)")
        lt = mod.resource(F, "aws_launch_template", name, provider=p, name=w.name, image_id=Expr(f'{ami}["{w.name}"]'),
                          instance_type=w.machine_type, ebs_optimized=True, update_default_version=True,
                          vpc_security_group_ids=[mod.upstream(Stage.NETWORKING, f'security_group_ids["{vpc.name}/{g}"]')
                                                  for g in sorted(w.security_groups)] or None, tags=tags)
        lt.block("metadata_options", http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1,
                 instance_metadata_tags="enabled")
        lt.block("iam_instance_profile", name=Expr(f"aws_iam_instance_profile.{name}.name"))
        lt.block("monitoring", enabled=True)
        lt.block("block_device_mappings", device_name="/dev/xvda").block(
            "ebs", encrypted=True, volume_type="gp3", volume_size=100, delete_on_termination=True)
        group = group_of(w)
        if group is not None:
            lt.block("placement", group_name=Expr(f"aws_placement_group.{ident(vpc.name, group)}.name"))
        lt.block("tag_specifications", resource_type="instance", tags=tags)
        lt.block("tag_specifications", resource_type="volume", tags=tags)
        for zone, n in sorted(per_zone.items()):
            subnet = _subnet_in(ctx, w, vpc, zone)
            inst = mod.resource(F, "aws_instance", ident(w.name, zone), provider=p, count=n,
                                subnet_id=mod.upstream(Stage.NETWORKING, f'subnet_ids["{vpc.name}/{subnet.name}"]'),
                                associate_public_ip_address=w.public_ip is True, ebs_optimized=True, monitoring=True,
                                iam_instance_profile=Expr(f"aws_iam_instance_profile.{name}.name"),
                                tags={**tags, "Name": Expr(f'"{w.name}-{zone}-${{count.index}}"')})
            inst.block("launch_template", id=Expr(f"aws_launch_template.{name}.id"),
                       version=Expr(f"aws_launch_template.{name}.latest_version"))
            inst.block("metadata_options", http_endpoint="enabled", http_tokens="required")
            inst.block("root_block_device", encrypted=True, volume_type="gp3")
            # A launch-template edit reaches running hosts only through an explicit
            # `terraform apply -replace=...` in a change window, never as a surprise replacement.
            inst.block("lifecycle", ignore_changes=[Expr("launch_template")])
            ids[f"{w.name}/{zone}"] = Expr(f"aws_instance.{ident(w.name, zone)}[*].id")
    if ids:
        mod.output("instance_ids", Table(ids), "instance ids by 'workload/zone'", type_="map(list(string))",
                   pattern="^i-[0-9a-f]+$")


def _role(ctx: Context, mod: RootModule, w: Workload, p: Expr, tags: dict[str, str]) -> None:
    name = ident(w.name)
    trust = policy_document(mod, F, f"{name}__trust", p, [
        {"actions": ["sts:AssumeRole"], "principals": [("Service", ["ec2.amazonaws.com"])]}])
    role_name = bounded(f"{w.name}-instance", 64)
    vpc = ctx.networks[w.network]
    assert isinstance(vpc, AwsVpc)
    delegated = delegated_role(mod, vpc.account, w.desk)
    mod.resource(F, "aws_iam_role", name, provider=p, name=role_name, assume_role_policy=trust,
                 description=f"instances of {w.name}: Session Manager only", **delegated, tags=tags)
    mod.resource(F, "aws_iam_role_policy_attachment", name, provider=p, role=Expr(f"aws_iam_role.{name}.name"),
                 policy_arn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")
    mod.resource(F, "aws_iam_instance_profile", name, provider=p, name=role_name, path=delegated["path"],
                 role=Expr(f"aws_iam_role.{name}.name"), tags=tags)
    secrets = venue_secrets(ctx, w)
    if secrets:
        account = ctx.account_id(mod, vpc.account)
        region = vpc.region
        policy = policy_document(mod, F, f"{name}__venue_keys", p, [
            {"sid": "ReadVenueKeys", "actions": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
             "resources": [interp(f"arn:aws:secretsmanager:{region}:${{{account}}}:secret:{s}-??????") for s in secrets]},
            {"sid": "DecryptThroughSecretsManager", "actions": ["kms:Decrypt"],
             "resources": [interp(f"arn:aws:kms:{region}:${{{account}}}:key/*")],
             "conditions": [("StringEquals", "kms:ViaService", [f"secretsmanager.{region}.amazonaws.com"])]}])
        mod.resource(F, "aws_iam_role_policy", name, provider=p, name=f"{w.name}-venue-keys",
                     role=Expr(f"aws_iam_role.{name}.id"), policy=policy)


def venue_secrets(ctx: Context, w: Workload) -> list[str]:
    """The Secrets Manager names of the API keys ``w`` uses (``Estate.api_keys_of``: those it names, or
    every key of its venues)."""
    return sorted({k.secret_ref.removeprefix("aws-sm://") for _, k in ctx.estate.api_keys_of(w)
                   if k.secret_ref.startswith("aws-sm://")})
