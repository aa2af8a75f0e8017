"""The allocation rules: which rows are shared costs and how each is split (``config/allocation.yaml``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tradeplane.errors import ConfigError, Location, Problem
from tradeplane.estate import Estate
from tradeplane.estate.load import load_yaml_model

__all__ = ["AllocationRules", "Match", "SharedRule", "default_rules", "load_rules"]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Match(_Strict):
    service: tuple[str, ...] = ()
    resource_type: tuple[str, ...] = ()
    description_like: tuple[str, ...] = ()
    accounts: tuple[str, ...] = Field(default=(), description="estate AWS account or GCP project names")
    unit: str | None = Field(default=None, description="usage selectors: ConsumedUnit")

    @model_validator(mode="after")
    def _something(self) -> Match:
        if not (self.service or self.resource_type or self.description_like or self.accounts):
            raise ValueError("a match needs at least one of service, resource_type, description_like, accounts")
        return self


class SharedRule(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    match: Match
    split: Literal["proportional", "even", "fixed", "by_usage"]
    desks: tuple[str, ...] = ()
    shares: dict[str, float] = Field(default_factory=dict)
    usage: Match | None = None

    @model_validator(mode="after")
    def _complete(self) -> SharedRule:
        if self.split == "fixed":
            if not self.shares:
                raise ValueError("split 'fixed' needs 'shares' (desk: fraction)")
            total = sum(self.shares.values())
            if abs(total - 1.0) > 1e-6 or any(v < 0 for v in self.shares.values()):
                raise ValueError(f"shares must be non-negative and sum to 1, they sum to {total:g}")
        if self.split == "by_usage" and self.usage is None:
            raise ValueError("split 'by_usage' needs 'usage' (which rows' ConsumedQuantity weighs each desk)")
        return self


class AllocationRules(_Strict):
    cost: Literal["effective", "billed"] = "effective"
    shared: tuple[SharedRule, ...] = ()
    source: str = "<built-in>"

    def check(self, estate: Estate) -> None:
        """Every desk and account a rule names must exist in the estate."""
        desks = {d.name for d in estate.desks}
        accounts = _account_ids(estate)
        problems: list[Problem] = []
        for i, r in enumerate(self.shared):
            named = set(r.desks) | set(r.shares)
            for d in sorted(named - desks):
                problems.append(Problem(f"rule '{r.name}' names desk '{d}', which the estate does not declare",
                                        Location(self.source), f"shared[{i}]",
                                        "desks: " + ", ".join(sorted(desks))))
            for m in (r.match, r.usage):
                for a in (m.accounts if m else ()):
                    if a not in accounts:
                        problems.append(Problem(f"rule '{r.name}' names account '{a}', not in the estate",
                                                Location(self.source), f"shared[{i}].match.accounts",
                                                "use an AWS account or GCP project name of the organisation"))
        if problems:
            raise ConfigError(f"{self.source}: allocation rules do not fit the estate", problems)


def _account_ids(estate: Estate) -> dict[str, str]:
    out: dict[str, str] = {}
    org = estate.organisation
    if org.aws:
        for ou in org.aws.ous:
            for a in ou.accounts:
                out[a.name] = a.account_id
    if org.gcp:
        for p in org.gcp.projects:
            out[p.name] = p.project_id
    return out


def account_ids(estate: Estate) -> dict[str, str]:
    """Estate account/project name -> the id billing rows carry in SubAccountId."""
    return _account_ids(estate)


def _parse(text: str | None, source: str) -> AllocationRules:
    """Rules from ``text`` (or the file ``source`` when ``None``), through the estate's YAML loader."""
    rules = load_yaml_model(source, AllocationRules, text=text, what="allocation rules")
    return rules.model_copy(update={"source": source})


def default_rules(estate: Estate | None = None) -> AllocationRules:
    """The shipped rules for ``estate`` (``config/allocation-<name>.yaml``), else the generic ones."""
    config = resources.files("tradeplane.finops.config")
    name = "allocation.yaml"
    if estate is not None and config.joinpath(f"allocation-{estate.name}.yaml").is_file():
        name = f"allocation-{estate.name}.yaml"
    return _parse(config.joinpath(name).read_text(encoding="utf-8"), f"tradeplane/finops/config/{name}")


def load_rules(path: str | Path | None, estate: Estate | None = None) -> AllocationRules:
    """The rules in ``path``, or the shipped defaults for ``estate`` when ``None``."""
    if path is None:
        return default_rules(estate)
    return _parse(None, str(Path(path)))
