"""The allocation rules: which rows are shared costs and how each is split.

Where they come from, first found: ``--rules FILE``; the estate's ``cost_allocation`` section; the
generic ``config/allocation.yaml``. The split methods are the FinOps Foundation's (FinOps Framework,
capability "Shared Cost Management": proportional, even split, fixed coefficients summing to 100 %),
plus ``by_usage`` (proportional on a usage metric).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from tradeplane.errors import ConfigError, Location, Problem
from tradeplane.estate import CostMatch, Estate, SharedCost
from tradeplane.estate.load import load_yaml_model

__all__ = ["AllocationRules", "Match", "SharedRule", "default_rules", "load_rules"]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# One rule language: the estate's ``cost_allocation`` section and a rules file (``--rules FILE``) use the
# same classes.
Match = CostMatch
SharedRule = SharedCost


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
    """The estate's ``cost_allocation`` section (its ``source`` is the file:line it was written at), else
    the generic rules shipped in ``config/allocation.yaml``."""
    if estate is not None and estate.cost_allocation is not None:
        ca = estate.cost_allocation
        loc = estate.where(ca)
        return AllocationRules(cost=ca.cost, shared=ca.shared,
                               source=f"estate {estate.name}: cost_allocation" + (f" ({loc})" if loc else ""))
    config = resources.files("tradeplane.finops.config")
    return _parse(config.joinpath("allocation.yaml").read_text(encoding="utf-8"),
                  "tradeplane/finops/config/allocation.yaml")


def load_rules(path: str | Path | None, estate: Estate | None = None) -> AllocationRules:
    """The rules in ``path``, or the shipped defaults for ``estate`` when ``None``."""
    if path is None:
        return default_rules(estate)
    return _parse(None, str(Path(path)))
