"""Small focused estates for the network engine, written as YAML so traces carry file:line."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tradeplane.estate import Estate, load_text

HEADER = """
name: t
organisation:
  aws:
    management_account_id: "100000000000"
    ous: [{name: trading, accounts: [{name: acct, account_id: "100000000001"}]}]
  gcp:
    org_id: "900000000001"
    domain: t.example
    billing_account: 0A0B0C-0D0E0F-101112
    folders: [{name: trading}]
    projects: [{name: proj, project_id: t-proj-prod, folder: trading}]
desks:
  - {name: alpha, owner: a@t.example, cost_centre: C1, teams: [t]}
  - {name: beta, owner: b@t.example, cost_centre: C2, teams: [t]}
  - {name: gamma, owner: g@t.example, cost_centre: C3, teams: [t], isolated: true}
"""


def make_estate(body: str) -> Estate:
    return load_text(HEADER + body, "test.yaml")


@pytest.fixture
def build() -> Callable[[str], Estate]:
    return make_estate
