"""What every family sees while rendering: the estate, lookups, the root modules, placement zones."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn, Protocol, TypeVar

from tradeplane.errors import UnsupportedError
from tradeplane.estate.model import AwsAccount, AwsVpc, Desk, Estate, GcpProject, GcpVpc, Workload
from tradeplane.terraform.hcl import Expr, Table
from tradeplane.terraform.module import RootModule, Variable
from tradeplane.terraform.names import label_value
from tradeplane.terraform.placement import default_zones
from tradeplane.terraform.stages import Stage

__all__ = ["CloudAlert", "Context"]


class _OnNetwork(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def network(self) -> str: ...


OnNetwork = TypeVar("OnNetwork", bound=_OnNetwork)
Vpc = TypeVar("Vpc", AwsVpc, GcpVpc)


class CloudAlert(Protocol):
    """One SLO or burn-rate alert resource of the observability standard, as plain data
    (``tradeplane.observe.cloud_alert_resources`` makes them; ``plan`` hands them to ``render``).

    ``cloud`` is ``aws`` or ``gcp``, ``type`` the Terraform resource type, ``desk`` the owning desk.
    In ``body`` a value whose class is a subclass of ``dict`` (observe's ``Nested``), or a list of
    them, is a nested block, a subclass of ``str`` (observe's ``Ref``) an expression, anything
    else an attribute value."""

    @property
    def cloud(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def desk(self) -> str: ...
    @property
    def body(self) -> dict[str, Any]: ...


@dataclass
class Context:
    estate: Estate
    zones: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    modules: dict[tuple[str, Stage], RootModule] = field(default_factory=dict)
    cloud_alerts: Sequence[CloudAlert] = ()

    def __post_init__(self) -> None:
        org = self.estate.organisation
        self.accounts: dict[str, AwsAccount] = {
            a.name: a for ou in (org.aws.ous if org.aws else ()) for a in ou.accounts}
        self.account_ou: dict[str, str] = {
            a.name: ou.name for ou in (org.aws.ous if org.aws else ()) for a in ou.accounts}
        self.projects: dict[str, GcpProject] = {p.name: p for p in (org.gcp.projects if org.gcp else ())}
        self.desks: dict[str, Desk] = {d.name: d for d in self.estate.desks}
        self.networks: dict[str, AwsVpc | GcpVpc] = {n.name: n for n in self.estate.networks}
        # The solver's zones where given; anti-affinity-aware defaults for the GCP workloads it left out.
        self.zones = {**default_zones(self.estate, self.zones), **self.zones}
        self._by_network: dict[str, list[Workload]] | None = None

    # ------------------------------------------------------------------ modules

    def module(self, cloud: str, stage: Stage) -> RootModule:
        key = (cloud, stage)
        if key not in self.modules:
            self.modules[key] = RootModule(cloud, stage, self.estate.name)
        return self.modules[key]

    # ------------------------------------------------------------------ errors

    def unsupported(self, obj: object, field_: str, message: str, hint: str = "") -> NoReturn:
        path = self.estate.path_of(obj)
        raise UnsupportedError.single(message, location=self.estate.where(obj, field_),
                                      field=f"{path}.{field_}" if path else field_, hint=hint)

    # ------------------------------------------------------------------ ids as variables

    def account_ids(self) -> dict[str, str]:
        """Every account id by name; ``management`` is the organisation's management account."""
        ids = {a.name: a.account_id for a in self.accounts.values()}
        if self.estate.organisation.aws and self.estate.organisation.aws.management_account_id:
            ids["management"] = self.estate.organisation.aws.management_account_id
        return ids

    def project_ids(self) -> dict[str, str]:
        return {p.name: p.project_id for p in self.projects.values()}

    def account_id(self, mod: RootModule, account: str) -> Expr:
        """The account's id, from the cloud's globals module (``module.globals.aws_account_ids``)."""
        return Expr(f'{mod.shared("aws_account_ids")}["{account}"]')

    def project_id(self, mod: RootModule, project: str) -> Expr:
        """The project's id, from the cloud's globals module (``module.globals.project_ids``)."""
        return Expr(f'{mod.shared("project_ids")}["{project}"]')

    def org_id(self, mod: RootModule) -> Expr:
        return mod.shared("gcp_org_id")

    def globals(self, cloud: str) -> dict[str, Variable]:
        """The maps every stage of ``cloud`` shares, with their estate values: what the
        ``<cloud>/globals`` module holds (one place; stages read them through ``shared``)."""
        if cloud == "aws":
            return {"aws_account_ids": Variable("aws_account_ids", "map(string)",
                                                "AWS account ids by estate account name", Table(self.account_ids()))}
        gcp = self.estate.organisation.gcp
        out = {
            "project_ids": Variable("project_ids", "map(string)", "GCP project ids by estate project name",
                                    Table(self.project_ids())),
            "default_region": Variable("default_region", "string",
                                       "region of the google provider, for resources that do not name one",
                                       "us-central1"),
        }
        if gcp:
            out["gcp_org_id"] = Variable("gcp_org_id", "string", "GCP organisation id", gcp.org_id)
        return out

    # ------------------------------------------------------------------ tags and labels

    def owner(self, desk: str | None, team: str | None = None, env: str | None = None) -> dict[str, str]:
        """The required tags (desk, team, env, cost-centre) for something a desk owns."""
        d = self.desks.get(desk or "")
        values = {
            "desk": desk or "platform",
            "team": team or (sorted(d.teams)[0] if d else "platform"),
            "env": env or "prod",
            "cost-centre": d.cost_centre if d else "shared",
        }
        required = self.estate.tags.required
        return {k: values.get(k, "unset") for k in sorted({*required, *values})}

    def aws_tags(self, name: str, desk: str | None, team: str | None = None,
                 env: str | None = None) -> dict[str, str]:
        return {"Name": name, **self.owner(desk, team, env)}

    def gcp_labels(self, desk: str | None, team: str | None = None, env: str | None = None) -> dict[str, str]:
        return {k.replace("-", "_"): label_value(v) for k, v in self.owner(desk, team, env).items()}

    def account_env(self, account: str) -> str:
        a = self.accounts.get(account)
        return a.env if a else "prod"

    def links_on(self, kind: type[OnNetwork], cloud: type[Vpc]) -> list[tuple[OnNetwork, Vpc]]:
        """The estate's links of ``kind`` (sorted by name) whose network is one of ``cloud``'s (``AwsVpc``
        or ``GcpVpc``), each with that network: a family renders its cloud's end of them."""
        out = []
        for link in sorted(self.estate.links_of(kind), key=lambda x: x.name):
            net = self.networks[link.network]
            if isinstance(net, cloud):
                out.append((link, net))
        return out

    def workloads_in(self, network: str) -> list[Workload]:
        """The workloads of one network, sorted by name (indexed once: a scan of every workload per
        network and security group was quadratic in the estate)."""
        if self._by_network is None:
            by_network: dict[str, list[Workload]] = {}
            for w in sorted(self.estate.workloads, key=lambda w: w.name):
                by_network.setdefault(w.network, []).append(w)
            self._by_network = by_network
        return list(self._by_network.get(network, ()))
