"""Realistic, deterministic FOCUS billing data for an estate (tests, demos and benchmarks).

Every declared instance, volume, NAT gateway, transit gateway attachment, Direct
Connect port, Interconnect circuit, VPN tunnel and GKE cluster becomes a billed
resource priced from the shared price table, with weekday seasonality, seeded noise,
AWS Savings Plans and GCP committed use discounts, a few untagged resources, and
injected anomalies listed in ``manifest.json`` so tests can check they are found.

The scenarios are the same kinds for any estate, placed on the desks, workloads and
accounts the estate actually has (``_Scenarios``): tag drift (the last production
workload declared is tagged ``env=production``; the desk with the most non-production
instances gets data stores without a cost centre), untagged spend (a bucket in every
AWS account of no desk, or the payer account; buckets in two desk accounts; an idle
untagged build box in an account that runs no workload), commitments (a Reserved
Instance on half of the largest non-production AWS fleet, a Savings Plan per desk
whose AWS production fleets trade, a CUD on the GCP VMs of the desk that trades most
on GCP), anomalies (the largest uncommitted fleet runs three times its hours; the
busiest NAT, else transit gateway, data processing of another desk jumps six-fold)
and utilisation (idle untagged hosts, over-provisioned non-production fleets and
production workloads that neither trade nor carry a latency budget). A kind is absent
only when the estate has nothing of the kind of resource it needs (no GCP VM, no NAT).

Rows are produced by DuckDB (``range`` x resources) and written straight to
Parquet or CSV, so ten million rows never pass through Python. Every file carries
the column ``x_TradeplaneSynthetic`` so any report run on it says so.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb

from tradeplane.errors import InputError, Location
from tradeplane.estate import AwsVpc, Estate, GcpVpc, Workload, catalog
from tradeplane.estate.model import TgwAttachment
from tradeplane.estate.prices import instance_price, network_price, price_table
from tradeplane.finops.billable import billable_resources
from tradeplane.finops.billing_db import BillingDbConfig, connect, quote
from tradeplane.finops.focus import SYNTHETIC_MARKER
from tradeplane.writing import staged_tree

__all__ = ["GenerateResult", "InjectedAnomaly", "generate"]

AWS_PROVIDER = "Amazon Web Services"
GCP_PROVIDER = "Google Cloud"


@dataclass(frozen=True)
class InjectedAnomaly:
    desk: str
    service: str
    start: str
    factor: float
    resources: tuple[str, ...]
    what: str


@dataclass
class GenerateResult:
    files: list[str]
    utilisation: str
    rows: int
    start: str
    end: str
    seed: int
    anomalies: list[InjectedAnomaly] = field(default_factory=list)
    commitments: list[dict[str, Any]] = field(default_factory=list)
    # a month (30.4 days) of list prices by where the spend comes from, USD: ``declared`` (what the estate
    # declares: instances, volumes, networks and links, priced as ``cost estimate`` prices them),
    # ``undeclared`` (data, databases, analytics and logs per desk, sized to 45-93 % of its budget: a bill
    # is more than the estate lists), ``untagged`` (orphan buckets and the build box), ``support`` (fees);
    # before discounts, commitments and the injected anomalies
    monthly_list_usd: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["synthetic"] = True
        return d


@dataclass
class _Res:
    provider: str
    billing_account: str
    billing_account_name: str
    sub_account: str
    sub_account_name: str
    region: str
    zone: str
    service: str
    category: str
    resource_id: str
    resource_name: str
    resource_type: str
    sku: str
    description: str
    unit: str
    qty_per_day: float
    list_per_day: float
    tags: dict[str, str]
    frequency: str = "Usage-Based"
    weekend: float = 1.0
    discount: float = 0.0  # negotiated (contracted) discount vs list
    commitment: str = ""
    anomaly_day: int = -1
    anomaly_factor: float = 1.0
    machine_type: str = ""
    monthly: bool = False  # one charge on the first day of each month (support)


_ORPHAN_TYPE = "m6i.4xlarge"  # the forgotten build box


@dataclass(frozen=True)
class _Scenarios:
    """Where each scenario kind lands in this estate: its own desks, workloads and accounts, by rule.

    ``env_drift``: the last production workload declared (tagged ``env=production``).
    ``cc_drift_desk``: the desk (with a budget, if any has one) with the most non-production instances,
    the last declared on a tie (its data stores lack a cost centre).
    ``big_fleet``: the workload with the most AWS production instances (its account holds an untagged bucket).
    """

    env_drift: str
    cc_drift_desk: str
    big_fleet: str
    gcp_region: str
    aws_regions: dict[str, str]  # AWS account name -> the region of its first VPC; "" -> the estate's main region

    @staticmethod
    def of(e: Estate) -> _Scenarios:
        prod = [w for w in e.workloads if w.env == "prod"]
        desks = [b.desk for b in e.budgets] or [d.name for d in e.desks]
        nonprod = {d: sum(w.count for w in e.workloads if w.desk == d and w.env != "prod") for d in desks}
        cc = max(enumerate(desks), key=lambda x: (nonprod[x[1]], x[0]))[1] if desks else ""
        aws_prod = [(w.count, -i, w.name) for i, w in enumerate(e.workloads)
                    if w.env == "prod" and isinstance(e.network(w.network), AwsVpc)]
        instances: dict[str, int] = {}
        for w in e.workloads:
            net = e.network(w.network)
            if isinstance(net, AwsVpc):
                instances[net.region] = instances.get(net.region, 0) + w.count
        main = max(sorted(instances), key=lambda r: instances[r]) if instances else \
            (e.aws_vpcs[0].region if e.aws_vpcs else "us-east-1")
        regions = {"": main}
        for v in e.aws_vpcs:
            regions.setdefault(v.account, v.region)
        gcp = [sn.region for v in e.gcp_vpcs for sn in v.subnets]
        return _Scenarios(prod[-1].name if prod else "", cc, max(aws_prod)[2] if aws_prod else "",
                          gcp[0] if gcp else "us-central1", regions)

    def aws_region(self, account: str) -> str:
        """The region of the account's first VPC, else the estate's main AWS region."""
        return self.aws_regions.get(account, self.aws_regions[""])

    def untagged_buckets(self, e: Estate, seed: int) -> list[tuple[str, float]]:
        """(AWS account name or payer id, GB): every account of no desk (10-100 TB, seeded), else the payer;
        250 TB in the account of ``cc_drift_desk``; 40 TB in the account of ``big_fleet``."""
        org = e.organisation.aws
        if org is None:
            return []
        accounts = [a for ou in org.ous for a in ou.accounts]
        out = [(a.name, 10_000.0 + int(_hex(seed, "bucket", a.name, n=6), 16) % 90_000) for a in accounts
               if a.desk is None] or [(org.management_account_id or _NO_PAYER, 50_000.0)]
        drift = next((a.name for a in accounts if a.desk == self.cc_drift_desk), None)
        if drift is not None:
            out.append((drift, 250_000.0))
        if self.big_fleet:
            w = next(x for x in e.workloads if x.name == self.big_fleet)
            acct = e.network(w.network)
            if isinstance(acct, AwsVpc) and acct.account != drift:
                out.append((acct.account, 40_000.0))
        return out

    def orphan_account(self, e: Estate) -> str:
        """The first desk's AWS account that runs no workload (else the payer): where the idle box hides."""
        org = e.organisation.aws
        if org is None:
            return ""
        busy = {v.account for v in e.aws_vpcs for w in e.workloads if w.network == v.name}
        return next((a.name for ou in org.ous for a in ou.accounts if a.desk is not None and a.name not in busy),
                    org.management_account_id or _NO_PAYER)


_NO_PAYER = "000000000000"  # the payer account id when the estate does not declare one


def _hex(seed: int, *parts: object, n: int = 17) -> str:
    return hashlib.sha256(f"{seed}:{':'.join(map(str, parts))}".encode()).hexdigest()[:n]


class _Builder:
    def __init__(self, estate: Estate, seed: int, scale: int) -> None:
        self.e = estate
        self.seed = seed
        self.scale = scale
        self.res: list[_Res] = []
        org = estate.organisation
        # an organisation may not say its ids (an imported estate): the placeholders stand in
        self.aws_payer = (org.aws.management_account_id if org.aws else None) or _NO_PAYER
        self.gcp_billing = (org.gcp.billing_account if org.gcp else None) or "000000-000000-000000"
        self.aws_accounts = {a.name: a for ou in (org.aws.ous if org.aws else ()) for a in ou.accounts}
        self.gcp_projects = {p.name: p for p in (org.gcp.projects if org.gcp else ())}
        self.desk_cc = {d.name: d.cost_centre for d in estate.desks}
        self.billable = billable_resources(estate)
        self.scenarios = _Scenarios.of(estate)

    def tags(self, desk: str, team: str, env: str, workload: str = "") -> dict[str, str]:
        t = {"desk": desk, "team": team, "env": env, "cost-centre": self.desk_cc.get(desk, "")}
        if workload:
            t["workload"] = workload
        return t

    def aws(self, account: str, region: str, zone: str, **kw: Any) -> _Res:
        acct = self.aws_accounts.get(account)
        acct_id = acct.account_id if acct else account
        r = _Res("aws", self.aws_payer, f"{self.e.name}-payer", acct_id, account, region, zone, **kw)
        self.res.append(r)
        return r

    def gcp(self, project: str, region: str, zone: str, **kw: Any) -> _Res:
        p = self.gcp_projects.get(project)
        pid = p.project_id if p else project
        r = _Res("gcp", self.gcp_billing, f"{self.e.name}-billing", pid, project, region, zone, **kw)
        self.res.append(r)
        return r

    # ------------------------------------------------------------------ workloads
    def workloads(self) -> None:
        """One instance row set per instance of every billable instance (``finops.billable``)."""
        for r in self.billable:
            if r.kind not in ("instance", "sole_tenant") or not isinstance(r.source, Workload):
                continue
            w = r.source
            vpc = self.e.network(w.network)
            count = w.count * (self.scale if w.count > 1 or self.scale > 1 else 1)
            for i in range(count):
                if isinstance(vpc, AwsVpc):
                    self.aws_instance(w, vpc, i)
                else:
                    self.gcp_instance(w, vpc, i, r.account)

    def aws_instance(self, w: Workload, vpc: AwsVpc, i: int) -> None:
        subnet = next(s for s in vpc.subnets if s.name == w.subnet)
        hourly = w.hourly_usd if w.hourly_usd is not None else \
            instance_price("aws", vpc.region, w.machine_type).hourly_usd
        acct = self.aws_accounts.get(vpc.account)
        iid = "i-" + _hex(self.seed, w.name, i)
        arn = f"arn:aws:ec2:{vpc.region}:{acct.account_id if acct else vpc.account}:instance/{iid}"
        # Tag drift: one production fleet was launched with a non-standard env value.
        tags = self.tags(w.desk, w.team, "production" if w.name == self.scenarios.env_drift else w.env, w.name)
        self.aws(vpc.account, vpc.region, subnet.zone, service="Amazon Elastic Compute Cloud",
                 category="Compute", resource_id=arn, resource_name=f"{w.name}-{i:02d}",
                 resource_type="Instance", sku=f"BoxUsage:{w.machine_type}",
                 description=f"${hourly:.4f} per On Demand Linux {w.machine_type} Instance Hour",
                 unit="Hours", qty_per_day=24.0, list_per_day=hourly * 24, tags=tags,
                 machine_type=w.machine_type)
        vol = "vol-" + _hex(self.seed, w.name, i, "ebs")
        gb = 500.0
        self.aws(vpc.account, vpc.region, subnet.zone, service="Amazon Elastic Compute Cloud",
                 category="Storage", resource_id=f"arn:aws:ec2:{vpc.region}:{acct.account_id if acct else ''}"
                 f":volume/{vol}", resource_name=f"{w.name}-{i:02d}-root", resource_type="Volume",
                 sku="EBS:VolumeUsage.gp3", description="$0.08 per GB-month of General Purpose (gp3)",
                 unit="GB-Mo", qty_per_day=gb / 30.0, list_per_day=gb * 0.08 / 30.0, tags=tags)

    def gcp_instance(self, w: Workload, vpc: GcpVpc, i: int, project: str) -> None:
        subnet = next(s for s in vpc.subnets if s.name == w.subnet)
        price = instance_price("gcp", subnet.region, w.machine_type)
        hourly = w.hourly_usd if w.hourly_usd is not None else price.hourly_usd
        if w.kind == "sole_tenant" and w.hourly_usd is None:
            hourly *= 1.0 + float(price_table().data["gcp"]["sole_tenant_premium"])
        pid = self.gcp_projects[project].project_id if project in self.gcp_projects else project
        zone = f"{subnet.region}-a"
        name = f"{w.name}-{i:02d}"
        family = w.machine_type.split("-")[0].upper()
        what = "Sole Tenancy" if w.kind == "sole_tenant" else "Instance"
        self.gcp(project, subnet.region, zone, service="Compute Engine", category="Compute",
                 resource_id=f"//compute.googleapis.com/projects/{pid}/zones/{zone}/instances/{name}",
                 resource_name=name, resource_type="compute.googleapis.com/Instance",
                 sku=f"{family}-{_hex(self.seed, w.machine_type, n=4).upper()}",
                 description=f"{family} {what} Core and Ram running in {subnet.region}",
                 unit="hour", qty_per_day=24.0, list_per_day=hourly * 24,
                 tags=self.gcp_tags(w), machine_type=w.machine_type)
        self.gcp(project, subnet.region, zone, service="Compute Engine", category="Storage",
                 resource_id=f"//compute.googleapis.com/projects/{pid}/zones/{zone}/disks/{name}",
                 resource_name=f"{name}-boot", resource_type="compute.googleapis.com/Disk",
                 sku="PD-SSD-" + _hex(self.seed, "pd", n=4).upper(), description="SSD backed PD Capacity",
                 unit="gibibyte month", qty_per_day=500 / 30.0, list_per_day=500 * 0.17 / 30.0,
                 tags=self.gcp_tags(w))

    def gcp_tags(self, w: Workload) -> dict[str, str]:
        return self.tags(w.desk, w.team, "production" if w.name == self.scenarios.env_drift else w.env, w.name)

    # ------------------------------------------------------------------ network and shared
    def network(self) -> None:
        """Rows for every other billable resource of the estate (``finops.billable``), priced from the
        shared price table. A resource a ``cost_allocation`` rule shares is billed untagged to the account
        that holds it (the rule splits it); its usage rows (GB processed) carry the owner's tags."""
        instances: dict[str, int] = {}
        for w in self.e.workloads:
            instances[w.network] = instances.get(w.network, 0) + w.count
        for r in self.billable:
            if r.kind in ("instance", "sole_tenant"):
                continue
            tags = {} if r.shared else self.tags(r.desk, r.team, r.env, r.workload)
            hp = network_price(r.cloud, r.price_key).usd
            per_day = hp * 24 if network_price(r.cloud, r.price_key).unit == "hour" else hp / 30.4
            if r.cloud == "aws":
                acct = self.aws_accounts.get(r.account)
                acct_id = acct.account_id if acct else ""
                code = {"nat_gateway": ("natgateway", "nat-"), "tgw_attachment":
                        ("transit-gateway-attachment", "tgw-attach-"), "vpn": ("vpn-connection", "vpn-"),
                        "private_endpoint": ("vpc-endpoint", "vpce-")}.get(r.kind)
                rid = (f"arn:aws:ec2:{r.region}:{acct_id}:{code[0]}/{code[1]}{_hex(self.seed, r.id)}" if code
                       else f"dxcon-{_hex(self.seed, r.id, n=8)}")
                sku = {"nat_gateway": "NatGateway-Hours", "tgw_attachment": "TransitGateway-Hours",
                       "dx_port": r.price_key.removeprefix("dx_port_").upper() + "-PortHours",
                       "vpn": "VPN-Usage-Hours:ipsec.1", "private_endpoint": "VpcEndpoint-Hours"}[r.kind]
                self.aws(r.account, r.region, r.zone, service=r.service, category=r.category, resource_id=rid,
                         resource_name=r.name, resource_type=r.resource_type, sku=sku,
                         description=f"${hp} per hour: {r.description}", unit="Hours", qty_per_day=24 * r.count,
                         list_per_day=per_day * r.count, tags=tags)
                if r.data_item and r.kind in ("nat_gateway", "tgw_attachment"):
                    # Traffic grows with the instances behind it: 150 GB a day plus 100 GB per instance.
                    net = r.source.target if isinstance(r.source, TgwAttachment) else \
                        next((v.name for v in self.e.aws_vpcs if r.id.startswith(f"nat.{v.name}.")), "")
                    gb = 150.0 + 100.0 * instances.get(net, 0)
                    dp = network_price("aws", r.data_item).usd
                    self.aws(r.account, r.region, r.zone, service=r.service, category=r.category, resource_id=rid,
                             resource_name=r.name, resource_type=r.resource_type,
                             sku=sku.replace("-Hours", "-Bytes"), description=f"${dp} per GB Data Processed",
                             unit="GB", qty_per_day=gb, list_per_day=gb * dp,
                             tags=self.tags(r.desk, r.team, r.env, r.workload) if r.desk else {})
                continue
            host = self.gcp_projects.get(r.account)
            pid = host.project_id if host else r.account
            for k in range(r.count):
                name = r.name if r.count == 1 else f"{r.name}-{k}"
                self.gcp(r.account, r.region, r.zone, service=r.service, category=r.category,
                         resource_id=f"//{r.resource_type.split('/')[0]}/projects/{pid}/regions/{r.region}/{name}",
                         resource_name=name, resource_type=r.resource_type,
                         sku=f"{r.price_key.upper().replace('_', '-')[:12]}-{_hex(self.seed, r.price_key, n=4).upper()}",
                         description=r.description, unit="hour", qty_per_day=24, list_per_day=per_day, tags=tags)

    def other_services(self) -> None:
        """Spend the estate does not declare (data, databases, analytics, monitoring), per desk.

        Sized so each desk with a budget lands near a seeded fraction of it (45-93 %): a bill is always
        more than the instances the estate lists, and the budget report needs a realistic scale.
        """
        for budget in sorted(self.e.budgets, key=lambda x: x.desk):
            desk = budget.desk
            fraction = 0.45 + (int(_hex(self.seed, "budget", desk, n=6), 16) % 49) / 100.0
            declared = sum(r.list_per_day for r in self.res if r.tags.get("desk") == desk) * 30.4
            extra = budget.monthly_usd * fraction - declared
            if extra <= 0:
                continue
            aws_acct = next((n for n, a in sorted(self.aws_accounts.items()) if a.desk == desk), None)
            gcp_proj = next((n for n, p in sorted(self.gcp_projects.items()) if p.desk == desk
                             and not p.shared_vpc_host), None)
            team = _first_team(self.e, desk)
            items: list[tuple[str, str, str, str, str, float]] = []
            if aws_acct is not None:
                items += [("aws", "Amazon Simple Storage Service", "Storage", "Bucket", "tick-data", 0.35),
                          ("aws", "Amazon Relational Database Service", "Databases", "DBInstance", "positions-db", 0.2),
                          ("aws", "Amazon CloudWatch", "Management and Governance", "LogGroup", "logs", 0.1)]
            if gcp_proj is not None:
                items += [("gcp", "BigQuery", "Analytics", "bigquery.googleapis.com/Dataset", "analytics", 0.25),
                          ("gcp", "Cloud Storage", "Storage", "storage.googleapis.com/Bucket", "tick-archive", 0.1)]
            weight = sum(i[5] for i in items)
            for provider, service, category, rtype, what, w in items:
                per_day = extra * (w / weight) / 30.4
                name = f"{desk}-{what}"
                tags = self.tags(desk, team, "prod", name)
                if desk == self.scenarios.cc_drift_desk:  # tag drift: its data stores never got a cost centre
                    tags.pop("cost-centre")
                if provider == "aws" and aws_acct is not None:
                    a = self.aws_accounts[aws_acct]
                    region = self.scenarios.aws_region(aws_acct)
                    self.aws(aws_acct, region, "", service=service, category=category,
                             resource_id=f"arn:aws:{service.split()[-1].lower()}:{region}:{a.account_id}:{name}",
                             resource_name=name, resource_type=rtype, sku=f"{what}-usage",
                             description=f"{service} usage ({what})", unit="Units", qty_per_day=per_day,
                             list_per_day=per_day, tags=tags)
                elif gcp_proj is not None:
                    pid = self.gcp_projects[gcp_proj].project_id
                    self.gcp(gcp_proj, self.scenarios.gcp_region, "", service=service, category=category,
                             resource_id=f"//{rtype.split('/')[0]}/projects/{pid}/{name}", resource_name=name,
                             resource_type=rtype, sku=f"{what}-usage", description=f"{service} usage ({what})",
                             unit="Units", qty_per_day=per_day, list_per_day=per_day, tags=tags)

    def untagged_and_support(self) -> None:
        """Untagged spend: a data bucket in every AWS account of no desk (unallocatable; the payer account
        when every account has a desk), buckets in two desk accounts (allocated by account), and an idle
        untagged build box; then the support fees."""
        sc = self.scenarios
        for acct, gb in sc.untagged_buckets(self.e, self.seed):
            a = self.aws_accounts.get(acct)
            region = sc.aws_region(acct)
            bucket = f"{self.e.name}-{a.name if a else acct}-data"
            self.aws(acct, region, "", service="Amazon Simple Storage Service", category="Storage",
                     resource_id=f"arn:aws:s3:::{bucket}", resource_name=bucket, resource_type="Bucket",
                     sku="TimedStorage-ByteHrs", description="$0.023 per GB-Month of storage used in Standard",
                     unit="GB-Mo", qty_per_day=gb / 30.0, list_per_day=gb * 0.023 / 30.0, tags={})
        if self.e.organisation.aws is not None:
            acct = sc.orphan_account(self.e)
            a = self.aws_accounts.get(acct)
            region = sc.aws_region(acct)
            zones = catalog.zones_of(region)
            hourly = instance_price("aws", region, _ORPHAN_TYPE).hourly_usd
            self.aws(acct, region, zones[0].name if zones else "", service="Amazon Elastic Compute Cloud",
                     category="Compute", resource_id=f"arn:aws:ec2:{region}:{a.account_id if a else acct}:instance/i-"
                     + _hex(self.seed, "orphan"), resource_name="i-orphan-build-box", resource_type="Instance",
                     sku=f"BoxUsage:{_ORPHAN_TYPE}",
                     description=f"${hourly:.3f} per On Demand Linux {_ORPHAN_TYPE} Instance Hour",
                     unit="Hours", qty_per_day=24, list_per_day=hourly * 24, tags={}, machine_type=_ORPHAN_TYPE)
        monthly = {p: sum(r.list_per_day for r in self.res if r.provider == p) * 30.4 for p in ("aws", "gcp")}
        mgmt = next(iter(self.aws_accounts), None)
        if mgmt is not None and self.e.organisation.aws is not None:
            fee = _aws_business_support(monthly["aws"])
            # Support is billed to the management (payer) account, which belongs to no desk.
            self.aws(self.aws_payer, "global", "", service="AWS Support (Business)", category="Management and Governance",
                     resource_id="", resource_name="", resource_type="", sku="Business-Support",
                     description="AWS Support (Business)", unit="Month", qty_per_day=1, list_per_day=fee,
                     tags={}, frequency="Recurring", monthly=True)
        if self.e.organisation.gcp is not None:
            host = next((n for n, p in sorted(self.gcp_projects.items()) if p.shared_vpc_host),
                        next(iter(sorted(self.gcp_projects)), self.gcp_billing))
            self.gcp(host, "global", "", service="Support", category="Management and Governance",
                     resource_id="", resource_name="", resource_type="", sku="Enhanced-Support",
                     description="Enhanced Support monthly fee", unit="month", qty_per_day=1,
                     list_per_day=max(500.0, 0.03 * monthly["gcp"]), tags={}, frequency="Recurring", monthly=True)


def _aws_business_support(spend: float) -> float:
    """AWS Business support: 10 % of the first $10k of monthly spend, 7 % to $80k, 5 % to $250k, 3 % above."""
    fee, lower = 0.0, 0.0
    for upper, rate in ((10_000.0, 0.10), (80_000.0, 0.07), (250_000.0, 0.05), (float("inf"), 0.03)):
        fee += max(0.0, min(spend, upper) - lower) * rate
        lower = upper
    return max(100.0, fee)


def _first_team(e: Estate, desk: str) -> str:
    for d in e.desks:
        if d.name == desk:
            return d.teams[0]
    return "unknown"


def _compute_rows(b: _Builder, provider: str, workloads: set[str]) -> list[_Res]:
    return [r for r in b.res if r.provider == provider and r.category == "Compute" and not r.commitment
            and r.tags.get("workload") in workloads]


def _commitments(b: _Builder, days: int) -> list[dict[str, Any]]:
    """Commitments on the estate's own fleets: a Reserved Instance on half of the largest non-production
    AWS fleet (else the largest AWS fleet; idle when it scales down at weekends), a Savings Plan per desk
    over its AWS production fleets when one of them trades (a venue), and a CUD on the GCP VMs of the desk
    with the most trading GCP VMs. Desks that trade nothing stay on demand: a coverage gap to report."""
    e = b.e
    aws = [w for w in e.workloads if isinstance(e.network(w.network), AwsVpc)]
    gcp = [w for w in e.workloads if isinstance(e.network(w.network), GcpVpc)]
    plans: list[dict[str, Any]] = []

    def add(provider: str, desk: str, ctype: str, category: str, disc: float, util: float,
            covered: list[_Res], wl: set[str]) -> None:
        if not covered:
            return
        acct = covered[0].sub_account
        if provider == "aws":
            cid = (f"arn:aws:savingsplans::{acct}:savingsplan/{_hex(b.seed, desk, 'sp', n=12)}"
                   if ctype == "Savings Plan" else f"arn:aws:ec2:{covered[0].region}:{acct}:reserved-instances/"
                   f"{_hex(b.seed, desk, 'ri', n=12)}")
        else:
            cid = f"projects/{acct}/regions/{covered[0].region}/commitments/cud-{desk}-{_hex(b.seed, 'cud', n=6)}"
        used = 0.0
        for r in covered:
            r.commitment = cid
            r.discount = disc
            used += r.list_per_day * (1 - disc)
        plans.append({"id": cid, "provider": provider, "desk": desk, "type": ctype, "category": category,
                      "sub_account": acct, "daily_commitment": round(used / util, 4), "discount": disc,
                      "target_utilisation": util, "covers": sorted(wl)})

    fleets = [w for w in aws if w.env != "prod"] or aws
    if fleets:
        ri = max(enumerate(fleets), key=lambda x: (x[1].count, -x[0]))[1]
        rows = _compute_rows(b, "aws", {ri.name})
        add("aws", ri.desk, "Reserved Instance", "Usage", 0.35, 0.64, rows[: max(1, len(rows) // 2)], {ri.name})
    for desk in dict.fromkeys(w.desk for w in aws):
        mine = [w for w in aws if w.desk == desk and w.env == "prod"]
        if any(w.venues for w in mine):
            names = {w.name for w in mine}
            util = round(0.92 + (int(_hex(b.seed, "sp", desk, n=4), 16) % 6) / 100.0, 2)
            add("aws", desk, "Savings Plan", "Spend", 0.28, util, _compute_rows(b, "aws", names), names)
    vms = [w for w in gcp if w.kind == "vm" and w.env == "prod"]
    if vms:
        trading = {d: sum(w.count for w in vms if w.desk == d and w.venues) for d in dict.fromkeys(w.desk for w in vms)}
        desk = max(trading, key=lambda d: trading[d])
        names = {w.name for w in vms if w.desk == desk}
        add("gcp", desk, "Committed Use Discount", "Usage", 0.37, 0.88, _compute_rows(b, "gcp", names), names)
    return sorted(plans, key=lambda p: (p["provider"], p["type"] != "Savings Plan", p["desk"]))


_MIN_EXCESS_PER_DAY = 150.0  # an injected anomaly adds at least this much a day (the detector ignores < $50)


def _factor(rows: list[_Res], factor: float) -> float:
    """``factor``, raised so the excess is material for a small estate (extra capacity launched beside it)."""
    daily = sum(r.list_per_day * (1 - r.discount) for r in rows)
    return round(max(factor, 1.0 + _MIN_EXCESS_PER_DAY / daily), 1) if daily > 0 else factor


_INSTANCE_TYPES = ("Instance", "compute.googleapis.com/Instance")


def _anomalies(b: _Builder, days: int) -> list[InjectedAnomaly]:
    """A fleet that bills three times its hours (the largest fleet without a commitment, four hosts at most)
    and a six-fold jump in data processing (the NAT gateways, else transit gateway attachments, of one desk
    and region: the group with the most gateways, of another desk than the first anomaly when there is one).
    Each factor is raised where needed so the excess is at least ``_MIN_EXCESS_PER_DAY``."""
    found: list[InjectedAnomaly] = []
    if days <= 35:
        return found
    fleets: dict[str, list[_Res]] = {}
    for r in b.res:
        if r.resource_type in _INSTANCE_TYPES and r.tags.get("workload") and not r.commitment:
            fleets.setdefault(r.tags["workload"], []).append(r)
    if not fleets:  # every fleet is committed: the spike lands on committed hosts
        for r in b.res:
            if r.resource_type in _INSTANCE_TYPES and r.tags.get("workload"):
                fleets.setdefault(r.tags["workload"], []).append(r)
    if fleets:
        name = max(fleets, key=lambda n: len(fleets[n]))  # first declared on a tie (dicts keep order)
        hit = fleets[name][: min(4, max(1, len(fleets[name]) // 2))]
        f = _factor(hit, 3.0)
        for r in hit:
            r.anomaly_day, r.anomaly_factor = days - 12, f
        found.append(InjectedAnomaly(hit[0].tags["desk"], hit[0].service, "", f,
                                     tuple(sorted(r.resource_id for r in hit)),
                                     f"{len(hit)} {name} host{'s bill' if len(hit) > 1 else ' bills'} {f:g}x "
                                     "the usual hours"))
    first_desk = found[0].desk if found else ""
    for rtype, what in (("NatGateway", "NAT"), ("TransitGatewayAttachment", "transit gateway")):
        groups: dict[tuple[str, str], list[_Res]] = {}
        for r in b.res:
            if r.resource_type == rtype and r.sku.endswith("-Bytes") and r.tags.get("desk"):
                groups.setdefault((r.tags["desk"], r.region), []).append(r)
        if not groups:
            continue
        others = [k for k in groups if k[0] != first_desk] or list(groups)
        desk, region = min(others, key=lambda k: (-len(groups[k]), k))
        rows = groups[(desk, region)]
        f = _factor(rows, 6.0)
        for r in rows:
            r.anomaly_day, r.anomaly_factor = days - 5, f
        found.append(InjectedAnomaly(desk, rows[0].service, "", f, tuple(sorted({r.resource_id for r in rows})),
                                     f"{what} data processing in {region} jumps {f:g}x"))
        break
    return found


_RES_COLUMNS = (
    ("idx", "INTEGER"), ("provider", "VARCHAR"), ("billing_account", "VARCHAR"),
    ("billing_account_name", "VARCHAR"), ("sub_account", "VARCHAR"), ("sub_account_name", "VARCHAR"),
    ("region", "VARCHAR"), ("zone", "VARCHAR"), ("service", "VARCHAR"), ("category", "VARCHAR"),
    ("resource_id", "VARCHAR"), ("resource_name", "VARCHAR"), ("resource_type", "VARCHAR"), ("sku", "VARCHAR"),
    ("description", "VARCHAR"), ("unit", "VARCHAR"), ("qty_per_day", "DOUBLE"), ("list_per_day", "DOUBLE"),
    ("tag_keys", "VARCHAR[]"), ("tag_values", "VARCHAR[]"), ("frequency", "VARCHAR"), ("weekend", "DOUBLE"),
    ("discount", "DOUBLE"), ("commitment", "VARCHAR"), ("commitment_type", "VARCHAR"),
    ("commitment_category", "VARCHAR"), ("anomaly_day", "INTEGER"), ("anomaly_factor", "DOUBLE"),
    ("monthly", "BOOLEAN"),
)


def _usage_sql(provider: str, start: date, days: tuple[int, int], slices: int, seed: int) -> str:
    hours = 24 // slices
    return f"""
    SELECT r.*, d.d AS day_idx, s.s AS slice,
           CAST({quote(start.isoformat())} AS TIMESTAMP) + to_days(CAST(d.d AS INTEGER))
               + to_hours(CAST(s.s * {hours} AS INTEGER)) AS t0,
           (1.0 + ((hash({seed}, r.idx, d.d, s.s) % 2001) / 1000.0 - 1.0) * 0.04)
             * (CASE WHEN dayofweek(CAST({quote(start.isoformat())} AS DATE) + CAST(d.d AS INTEGER)) IN (0, 6)
                     AND r.category = 'Compute' AND r.tag_values IS NOT NULL
                     AND list_contains(r.tag_values, 'dev') THEN 0.45 ELSE 1.0 END)
             * (CASE WHEN r.anomaly_day >= 0 AND d.d >= r.anomaly_day THEN r.anomaly_factor ELSE 1.0 END)
             AS factor
    FROM res r, range({days[0]}, {days[1]}) d(d), range({slices}) s(s)
    WHERE r.provider = {quote(provider)}
      AND (NOT r.monthly OR (s.s = 0 AND day(CAST({quote(start.isoformat())} AS DATE) + CAST(d.d AS INTEGER)) = 1))
    """


def _focus_select(provider: str, start: date, days: tuple[int, int], slices: int, seed: int, fmt: str) -> str:
    hours = 24 // slices
    frac = f"{1.0 / slices!r}"
    # Tags are built once per resource (``_add_tag_columns``), not once per row.
    tags = f"tags_{provider}_{'json' if fmt == 'csv' else 'native'}"
    empty = {("aws", False): "CAST(MAP {} AS MAP(VARCHAR, VARCHAR))",
             ("gcp", False): "CAST([] AS STRUCT(\"key\" VARCHAR, \"value\" VARCHAR)[])",
             ("aws", True): "'{}'", ("gcp", True): "'[]'"}[(provider, fmt == "csv")]
    prov_name = AWS_PROVIDER if provider == "aws" else GCP_PROVIDER
    vendor_cols = (
        "CASE WHEN service LIKE 'Amazon Elastic%' THEN 'AmazonEC2' WHEN service LIKE 'Amazon Virtual%' "
        "THEN 'AmazonVPC' WHEN service LIKE 'Amazon Simple%' THEN 'AmazonS3' WHEN service LIKE 'AWS Direct%' "
        "THEN 'AWSDirectConnect' ELSE 'AWSSupportBusiness' END AS x_ServiceCode, sku AS x_UsageType, "
        "'RunInstances' AS x_Operation"
        if provider == "aws" else
        "CASE WHEN commitment_status = 'Used' THEN -(list_cost - effective_cost) ELSE 0.0 END AS x_Credits, "
        "t0 + INTERVAL 30 HOUR AS x_ExportTime"
    )
    # Monthly fees land whole on the first day; everything else per slice.
    return f"""
    WITH u AS ({_usage_sql(provider, start, days, slices, seed)}),
    priced AS (
      SELECT *, list_per_day * (CASE WHEN monthly THEN 1.0 ELSE {frac} END) * factor AS list_cost,
             qty_per_day * (CASE WHEN monthly THEN 1.0 ELSE {frac} END) * factor AS qty,
             CASE WHEN commitment IS NOT NULL THEN 'Used' END AS commitment_status
      FROM u),
    rows AS (
      SELECT provider, billing_account, billing_account_name, sub_account, sub_account_name, region, zone,
             service, category, resource_id, resource_name, resource_type, sku, description, unit, frequency,
             t0, CASE WHEN monthly THEN date_trunc('month', t0) + INTERVAL 1 MONTH ELSE t0 + to_hours({hours}) END AS t1,
             'Usage' AS charge_category, qty, list_cost,
             CASE WHEN commitment IS NOT NULL THEN 0.0 ELSE list_cost END AS billed_cost,
             list_cost * (1 - discount) AS effective_cost,
             commitment, commitment_type, commitment_category, commitment_status, {tags} AS tags, idx AS ord
      FROM priced
      UNION ALL
      -- the unused part of each commitment, one row a day
      SELECT c.provider, c.billing_account, c.billing_account_name, c.sub_account, c.sub_account_name,
             c.region, '', c.service, 'Compute', c.commitment, c.commitment, c.commitment_type, 'Commitment',
             c.commitment_type || ' unused commitment', c.unit, 'Usage-Based',
             c.day0, c.day0 + INTERVAL 1 DAY, 'Usage', 0.0, greatest(c.daily - c.used, 0.0), 0.0,
             greatest(c.daily - c.used, 0.0), c.commitment, c.commitment_type, c.commitment_category,
             'Unused', {empty}, -2 AS ord
      FROM (SELECT provider, billing_account, billing_account_name, sub_account, sub_account_name,
                   any_value(region) AS region, any_value(service) AS service, unit, commitment,
                   commitment_type, commitment_category, date_trunc('day', t0) AS day0,
                   sum(list_cost * (1 - discount)) AS used, any_value(daily) AS daily
            FROM priced JOIN commits USING (commitment) WHERE commitment IS NOT NULL
            GROUP BY ALL) c
      UNION ALL
      -- the recurring purchase of each commitment (amortised into the usage rows, so EffectiveCost 0)
      SELECT p.provider, p.billing_account, p.billing_account_name, p.sub_account, p.sub_account_name,
             'global', '', p.service, 'Compute', p.commitment, p.commitment, p.commitment_type, 'Commitment',
             p.commitment_type || ' recurring fee', 'Hours', 'Recurring',
             p.day0, p.day0 + INTERVAL 1 DAY, 'Purchase', 24.0, p.daily, p.daily, 0.0,
             p.commitment, p.commitment_type, p.commitment_category, CAST(NULL AS VARCHAR),
             {empty}, -1 AS ord
      FROM (SELECT DISTINCT r.provider, r.billing_account, r.billing_account_name, r.sub_account,
                   r.sub_account_name, r.service, r.commitment, r.commitment_type, r.commitment_category,
                   CAST({quote(start.isoformat())} AS TIMESTAMP) + to_days(CAST(d.d AS INTEGER)) AS day0, c.daily
            FROM res r JOIN commits c USING (commitment), range({days[0]}, {days[1]}) d(d)
            WHERE r.provider = {quote(provider)}) p
    )
    SELECT
      billed_cost AS BilledCost,
      billing_account AS BillingAccountId,
      billing_account_name AS BillingAccountName,
      {quote('Organization' if provider == 'aws' else 'Billing Account')} AS BillingAccountType,
      'USD' AS BillingCurrency,
      date_trunc('month', t0) + INTERVAL 1 MONTH AS BillingPeriodEnd,
      date_trunc('month', t0) AS BillingPeriodStart,
      charge_category AS ChargeCategory,
      CAST(NULL AS VARCHAR) AS ChargeClass,
      description AS ChargeDescription,
      frequency AS ChargeFrequency,
      t1 AS ChargePeriodEnd,
      t0 AS ChargePeriodStart,
      CASE WHEN commitment IS NOT NULL THEN CASE WHEN commitment_category = 'Spend' THEN 'Spend' ELSE 'Usage' END
      END AS CommitmentDiscountCategory,
      commitment AS CommitmentDiscountId,
      CASE WHEN commitment IS NOT NULL THEN commitment_type END AS CommitmentDiscountName,
      commitment_status AS CommitmentDiscountStatus,
      commitment_type AS CommitmentDiscountType,
      qty AS ConsumedQuantity,
      unit AS ConsumedUnit,
      list_cost AS ContractedCost,
      effective_cost AS EffectiveCost,
      {quote(prov_name)} AS InvoiceIssuerName,
      list_cost AS ListCost,
      qty AS PricingQuantity,
      unit AS PricingUnit,
      {quote(prov_name)} AS ProviderName,
      {quote(prov_name)} AS PublisherName,
      region AS RegionId,
      NULLIF(zone, '') AS AvailabilityZone,
      NULLIF(resource_id, '') AS ResourceId,
      NULLIF(resource_name, '') AS ResourceName,
      NULLIF(resource_type, '') AS ResourceType,
      category AS ServiceCategory,
      service AS ServiceName,
      sku AS SkuId,
      sub_account AS SubAccountId,
      sub_account_name AS SubAccountName,
      tags AS Tags,
      {vendor_cols},
      true AS {SYNTHETIC_MARKER}
    FROM rows
    ORDER BY t0, ord, commitment
    """


def generate(estate: Estate, out: str | Path, *, end: date, days: int = 92, seed: int = 7, slices: int = 1,
             scale: int = 1, fmt: str = "parquet", inject: bool = True,
             db: BillingDbConfig | None = None) -> GenerateResult:
    """Write ``aws-focus-<day>.<fmt>``, ``gcp-focus-<day>.<fmt>`` (one file per month, or per part of a
    month for large data, named by its first day), ``utilisation.csv`` and ``manifest.json`` to ``out``.

    ``days`` ending on ``end`` (inclusive); ``slices`` rows per resource per day (1 daily, 24 hourly);
    ``scale`` multiplies every fleet of more than one instance (for benchmarks); ``inject=False`` leaves
    out the anomalies.
    """
    if fmt not in ("parquet", "csv"):
        raise InputError.single(f"unknown format '{fmt}'", hint="parquet or csv")
    if slices not in (1, 2, 3, 4, 6, 8, 12, 24):
        raise InputError.single(f"slices must divide 24, got {slices}", hint="1 (daily) or 24 (hourly)")
    if days < 1:
        raise InputError.single("days must be at least 1")
    outdir = Path(out)
    start = end - timedelta(days=days - 1)
    b = _Builder(estate, seed, scale)
    b.workloads()
    b.network()
    marks = [len(b.res)]
    b.other_services()
    marks.append(len(b.res))
    b.untagged_and_support()
    monthly = {part: round(sum(r.list_per_day * (1 if r.monthly else 30.4) for r in rows), 2) for part, rows in (
        ("declared", b.res[:marks[0]]), ("undeclared", b.res[marks[0]:marks[1]]),
        ("untagged", [r for r in b.res[marks[1]:] if not r.monthly]),
        ("support", [r for r in b.res[marks[1]:] if r.monthly]))}
    plans = _commitments(b, days)
    anomalies = _anomalies(b, days) if inject else []
    anomalies = [InjectedAnomaly(a.desk, a.service, (start + timedelta(days=_start_of(b, a))).isoformat(),
                                 a.factor, a.resources, a.what) for a in anomalies]
    # every file is written beside OUT and put in place at the end (tradeplane.writing.staged_tree): a failure
    # leaves OUT as it was; files of an earlier run that this one does not write again are removed, no other
    with staged_tree(outdir, "OUT", owner="cost-generate") as stage:
        con = connect(db)
        try:
            cols = ", ".join(f"{n} {t}" for n, t in _RES_COLUMNS)
            con.execute(f"CREATE TABLE res ({cols})")
            ctype = {p["id"]: (p["type"], p["category"]) for p in plans}
            rows = []
            for i, r in enumerate(b.res):
                keys = sorted(k for k, v in r.tags.items() if v)
                ct = ctype.get(r.commitment, (None, None))
                rows.append((i, r.provider, r.billing_account, r.billing_account_name, r.sub_account,
                             r.sub_account_name, r.region, r.zone, r.service, r.category, r.resource_id,
                             r.resource_name, r.resource_type, r.sku, r.description, r.unit, r.qty_per_day,
                             r.list_per_day, keys, [r.tags[k] for k in keys], r.frequency, r.weekend, r.discount,
                             r.commitment or None, ct[0], ct[1], r.anomaly_day, r.anomaly_factor, r.monthly))
            if not rows:
                raise InputError.single(f"estate '{estate.name}' declares nothing to bill",
                                        hint="declare workloads, networks or links first")
            con.executemany(f"INSERT INTO res VALUES ({', '.join('?' for _ in _RES_COLUMNS)})", rows)
            _add_tag_columns(con)
            con.execute("CREATE TABLE commits (commitment VARCHAR, daily DOUBLE)")
            if plans:
                con.executemany("INSERT INTO commits VALUES (?, ?)", [(p["id"], p["daily_commitment"]) for p in plans])
            files = []
            total = 0
            for provider in ("aws", "gcp"):
                count = sum(1 for r in b.res if r.provider == provider)
                if not count:
                    continue
                for lo, hi in _chunks(start, days, max(1, _CHUNK_ROWS // (count * slices))):
                    path = stage / f"{provider}-focus-{(start + timedelta(days=lo)).isoformat()}.{fmt}"
                    sql = _focus_select(provider, start, (lo, hi), slices, seed, fmt)
                    opts = "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880" if fmt == "parquet" \
                        else "FORMAT csv, HEADER true"
                    con.execute(f"COPY ({sql}) TO {quote(str(path))} ({opts})")
                    reader = f"read_parquet({quote(str(path))})" if fmt == "parquet" else \
                        f"read_csv({quote(str(path))})"
                    n = con.execute(f"SELECT count(*) FROM {reader}").fetchone()
                    total += int(n[0]) if n else 0
                    files.append(str(outdir / path.name))
            util = stage / "utilisation.csv"
            _write_utilisation(con, b, util, end, seed)
        except duckdb.Error as exc:
            raise InputError.single(f"cannot write generated data: {exc}", location=Location(str(outdir))) from None
        finally:
            con.close()
        result = GenerateResult(files, str(outdir / util.name), total, start.isoformat(), end.isoformat(), seed,
                                anomalies, plans, monthly)
        (stage / "manifest.json").write_text(json.dumps(result.to_json(), indent=2, sort_keys=True) + "\n",
                                             encoding="utf-8")
    return result


def _add_tag_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Each resource's Tags as AWS writes them (a map, ``user:`` keys) and as GCP does (key/value list)."""
    con.execute("""ALTER TABLE res ADD COLUMN tags_aws_native MAP(VARCHAR, VARCHAR)""")
    con.execute("""ALTER TABLE res ADD COLUMN tags_gcp_native STRUCT("key" VARCHAR, "value" VARCHAR)[]""")
    con.execute("UPDATE res SET tags_aws_native = map(list_transform(tag_keys, lambda k: 'user:' || k), tag_values), "
                "tags_gcp_native = list_transform(list_zip(tag_keys, tag_values), "
                "lambda z: {'key': z[1], 'value': z[2]})")
    con.execute("ALTER TABLE res ADD COLUMN tags_aws_json VARCHAR")
    con.execute("ALTER TABLE res ADD COLUMN tags_gcp_json VARCHAR")
    con.execute("UPDATE res SET tags_aws_json = CAST(to_json(tags_aws_native) AS VARCHAR), "
                "tags_gcp_json = CAST(to_json(tags_gcp_native) AS VARCHAR)")


_CHUNK_ROWS = 1_500_000  # rows per file at most (about); files never cross a month


def _chunks(start: date, days: int, per_file: int) -> list[tuple[int, int]]:
    """Day ranges [lo, hi) for one file each: within one calendar month, at most ``per_file`` days."""
    out = []
    lo = 0
    while lo < days:
        first = start + timedelta(days=lo)
        month_end = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        hi = min(days, lo + per_file, lo + (month_end - first).days)
        out.append((lo, hi))
        lo = hi
    return out


def _start_of(b: _Builder, a: InjectedAnomaly) -> int:
    for r in b.res:
        if r.resource_id in a.resources and r.anomaly_day >= 0:
            return r.anomaly_day
    return 0


def _utilisation(w: Workload | None, seed: int) -> tuple[float, float]:
    """Mean CPU and p95 memory (%) by role: an untagged host idles; a non-production fleet is
    over-provisioned; a production workload that neither trades nor carries a latency budget runs at a
    third; anything on the trading path is busy (never a rightsizing candidate)."""
    if w is None:
        return 2.0, 8.0
    if w.env != "prod":
        return 18.0, 30.0
    if not w.venues and not w.latency_budgets:
        return 22.0 + int(_hex(seed, "cpu", w.name, n=4), 16) % 10, 35.0 + int(_hex(seed, "mem", w.name, n=4), 16) % 6
    return 62.0, 55.0


def _write_utilisation(con: duckdb.DuckDBPyConnection, b: _Builder, path: Path, end: date, seed: int) -> None:
    """Fourteen days of CPU and memory utilisation per instance (the rightsizing input)."""
    con.execute("CREATE OR REPLACE TABLE inst (resource_id VARCHAR, provider VARCHAR, region VARCHAR, "
                "machine_type VARCHAR, cpu DOUBLE, mem DOUBLE)")
    rows = []
    workloads = {w.name: w for w in b.e.workloads}
    for r in b.res:
        if r.resource_type not in _INSTANCE_TYPES or not r.machine_type:
            continue
        rows.append((r.resource_id, r.provider, r.region, r.machine_type, *_utilisation(workloads.get(
            r.tags.get("workload", "")), b.seed)))
    con.executemany("INSERT INTO inst VALUES (?, ?, ?, ?, ?, ?)", rows)
    start = end - timedelta(days=13)
    con.execute(f"""
      COPY (
        SELECT CAST({quote(start.isoformat())} AS DATE) + CAST(d.d AS INTEGER) AS date, resource_id, provider,
               region, machine_type,
               round(least(100.0, cpu * (1.0 + ((hash({seed}, resource_id, d.d) % 201) / 1000.0 - 0.1))), 2)
                 AS cpu_avg_pct,
               round(least(100.0, 1.6 * cpu * (1.0 + ((hash({seed}, resource_id, d.d, 1) % 201) / 1000.0 - 0.1))), 2)
                 AS cpu_p95_pct,
               round(least(100.0, mem * (1.0 + ((hash({seed}, resource_id, d.d, 2) % 201) / 1000.0 - 0.1))), 2)
                 AS mem_p95_pct
        FROM inst, range(14) d(d)
        ORDER BY date, resource_id
      ) TO {quote(str(path))} (FORMAT csv, HEADER true)""")
