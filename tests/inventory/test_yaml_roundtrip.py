"""What `net import --yaml` writes loads with the estate loader and verifies as the exports do; `net import`
exits as `net verify` does for the same findings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tradeplane.cli import main
from tradeplane.estate import load, to_yaml
from tradeplane.estate.model import AwsVpc
from tradeplane.inventory import import_aws, import_gcp
from tradeplane.inventory.naming import security_group_name
from tradeplane.inventory.owners import IMPORTED_OU
from tradeplane.plan import verify

EXPORTS = Path(__file__).parent / "exports"


def _run(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # net verify exits 1 through SystemExit (see cli/net.py)
        return int(exc.code or 0)


def _findings(report: Any) -> list[tuple[str, str, str, tuple[str, ...]]]:
    # source locations differ (export file vs written YAML); what is found must not
    return [(f.severity, f.check, f.title, tuple(f.flows)) for f in report.findings]


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_written_yaml_loads_and_verifies_like_the_exports(cloud: str, tmp_path: Path) -> None:
    imported = (import_aws if cloud == "aws" else import_gcp)(EXPORTS / cloud)
    out = tmp_path / f"{cloud}.yaml"
    out.write_text(to_yaml(imported.estate), encoding="utf-8")
    loaded = load(out)  # raises EstateError on any load problem
    direct, again = verify(imported.estate), verify(loaded)
    assert direct.findings, "the reference exports have findings to compare"
    assert _findings(again) == _findings(direct)
    assert again.passed == direct.passed


def test_aws_import_declares_accounts_and_valid_group_names() -> None:
    e = import_aws(EXPORTS / "aws").estate
    org = e.organisation.aws
    assert org is not None and org.management_account_id is None  # the exports do not say it
    [ou] = org.ous
    assert ou.name == IMPORTED_OU
    assert [(a.name, a.account_id) for a in ou.accounts] == [("acct-123456789012", "123456789012")]
    groups = [g for n in e.networks if isinstance(n, AwsVpc) for g in n.security_groups]
    assert groups and not any(g.name.startswith("sg-") for g in groups)
    mddist = next(g for g in groups if g.name == "group-0a1mddist")
    assert mddist.description.startswith("sg-0a1mddist: ")  # the id is kept
    assert security_group_name("sg-0a1mddist") == "group-0a1mddist"
    assert all(s.location is None for s in e.sites)  # VPN peers: the catalog does not know the place


def test_gcp_import_declares_projects() -> None:
    e = import_gcp(EXPORTS / "gcp").estate
    org = e.organisation.gcp
    assert org is not None and org.org_id is None and org.billing_account is None
    assert [(p.name, p.project_id, p.folder) for p in org.projects] == [
        ("dvt-futures-prod", "dvt-futures-prod", None)]


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_import_and_verify_exit_alike(cloud: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the reference exports have a HIGH finding: a blocking severity, exit 1 from both commands
    out = tmp_path / "estate.yaml"
    assert _run(["net", "import", cloud, str(EXPORTS / cloud), "--yaml", str(out)]) == 1
    assert _run(["net", "import", cloud, str(EXPORTS / cloud), "--json"]) == 1
    assert _run(["net", "verify", f"{cloud}:{EXPORTS / cloud}"]) == 1
    assert _run(["net", "verify", str(out)]) == 1
    assert _run(["estate", "validate", str(out)]) == 0
    assert _run(["net", "import", cloud, str(EXPORTS / cloud), "--no-verify"]) == 0  # nothing verified
    capsys.readouterr()
