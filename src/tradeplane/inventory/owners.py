"""The accounts and projects an imported estate's networks and links name, declared in its organisation.

Exports say which AWS account (``OwnerId``) or GCP project (the self link) each resource is in, but not
the organisation around them (the management account, OUs, folders, the GCP organisation id, domain and
billing account). The estate model leaves those unset when not known, so an imported estate declares
what the exports say and nothing more, and loads with ``estate validate`` when written out as YAML:

- AWS: one OU, ``IMPORTED_OU``, holding an account per ``acct-<12-digit OwnerId>`` name.
- GCP: a project per project id, directly under the organisation (no folder).

An account or project whose id the exports do not give (``acct-unknown``) cannot be declared; it is
returned as a note (one line each) instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tradeplane.estate.model import (
    AwsAccount,
    AwsOrganisation,
    AwsOu,
    AwsVpc,
    GcpOrganisation,
    GcpProject,
    GcpVpc,
    Link,
    Organisation,
)

__all__ = ["IMPORTED_OU", "owners"]

IMPORTED_OU = "imported"
"""The OU an imported AWS estate's accounts are declared in (exports do not say their real OU)."""

_ACCOUNT = re.compile(r"^acct-(\d{12})$")
_PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")  # GcpProject.project_id


def owners(networks: Iterable[AwsVpc | GcpVpc], links: Iterable[Link], origin: str) -> tuple[Organisation, list[str]]:
    """An organisation declaring every AWS account and GCP project ``networks`` and ``links`` name, and a
    note for each one it cannot declare (its id is not known). ``origin`` names the export directory in
    the notes."""
    accounts: set[str] = set()
    projects: set[str] = set()
    for n in networks:
        if isinstance(n, AwsVpc):
            accounts.add(n.account)
        elif isinstance(n, GcpVpc):
            projects.add(n.project)
            projects.update(n.shared_vpc_service_projects)
    for link in links:
        account = getattr(link, "account", None)
        if isinstance(account, str):
            accounts.add(account)
    notes: list[str] = []
    aws_accounts = []
    for name in sorted(accounts):
        m = _ACCOUNT.match(name)
        if m is None:
            notes.append(f"{origin}: account '{name}': the exports do not give its 12-digit id (OwnerId), so it "
                         "is not declared; declare it under organisation.aws before loading the written YAML")
        else:
            aws_accounts.append(AwsAccount(name=name, account_id=m.group(1)))
    gcp_projects = []
    for name in sorted(projects):
        if name == "unknown" or _PROJECT_ID.match(name) is None:
            notes.append(f"{origin}: project '{name}': the exports do not give a project id the model accepts, so "
                         "it is not declared; declare it under organisation.gcp before loading the written YAML")
        else:
            gcp_projects.append(GcpProject(name=name, project_id=name))
    org = Organisation(
        aws=AwsOrganisation(ous=(AwsOu(name=IMPORTED_OU, accounts=tuple(aws_accounts)),)) if aws_accounts else None,
        gcp=GcpOrganisation(projects=tuple(gcp_projects)) if gcp_projects else None)
    return org, notes
