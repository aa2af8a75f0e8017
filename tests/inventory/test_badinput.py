"""Bad exports from the bad-input sweep (issue 11): exit 2, one line naming file, line, object and field.

Also a generated test per importer: every export hypothesis derives from the reference exports
by replacing one value with a value of another JSON type (or an out-of-range number, a bad
CIDR...) either imports or raises ``InputError``; never another exception.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeplane.cli import main
from tradeplane.errors import InputError
from tradeplane.inventory import import_aws, import_gcp
from tradeplane.net import Dataplane, reach

HERE = Path(__file__).parent
BAD = HERE / "badinput"
EXPORTS = HERE / "exports"
DV = str(HERE.parents[1] / "examples/dv-trading")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_sg_port_out_of_range(capsys: pytest.CaptureFixture[str]) -> None:
    d = BAD / "aws-sg-port-out-of-range/aws"
    code, out, err = run(capsys, "net", "import", "aws", str(d))
    assert code == 2 and "Traceback" not in err and out == ""
    assert "describe-security-groups.json:1:" in err
    assert "sg-1: IpPermissions[0]: FromPort -5 is not a port (0-65535)" in err


@pytest.mark.parametrize("edit, expect", [
    ({"FromPort": 10**40, "ToPort": 10**40}, "FromPort 10000000000000000000000000000000000000000 is not a port"),
    ({"FromPort": 9000, "ToPort": 10}, "FromPort 9000 is above ToPort 10"),
    ({"FromPort": 22, "ToPort": None}, "ToPort: expected an integer, got null"),
    ({"FromPort": "22", "ToPort": 22}, None),  # an integer written as a string is read as the integer
    ({"IpProtocol": "gre"}, "IpProtocol 'gre' is not an IP protocol"),
])
def test_sg_rule_fields_are_checked(tmp_path: Path, edit: dict[str, Any], expect: str | None) -> None:
    d = tmp_path / "aws"
    shutil.copytree(BAD / "aws-sg-port-out-of-range/aws", d)
    data = json.loads((d / "describe-security-groups.json").read_text())
    data["SecurityGroups"][0]["IpPermissions"][0].update(edit)
    (d / "describe-security-groups.json").write_text(json.dumps(data))
    if expect is None:
        import_aws(d)
        return
    with pytest.raises(InputError) as info:
        import_aws(d)
    assert expect in str(info.value) and "describe-security-groups.json" in str(info.value)


def test_gcp_wrong_field_types(capsys: pytest.CaptureFixture[str]) -> None:
    base = BAD / "gcp-export-wrong-field-types"
    code, _, err = run(capsys, "net", "import", "gcp", str(base / "name-object/gcp"))
    assert code == 2 and "networks.json:1:" in err and "networks[0]: name: expected a string, got an object" in err
    code, _, err = run(capsys, "net", "import", "gcp", str(base / "route-priority-null/gcp"))
    assert code == 2 and "routes.json:" in err and "priority: expected an integer, got null" in err


def test_gcp_firewall_bad_range_is_an_error_not_a_silent_drop(capsys: pytest.CaptureFixture[str],
                                                              tmp_path: Path) -> None:
    out_yaml = tmp_path / "imported.yaml"
    code, _, err = run(capsys, "net", "import", "gcp", str(BAD / "gcp-firewall-bad-range-dropped/gcp"),
                       "--yaml", str(out_yaml))
    assert code == 2 and "firewall-rules.json:" in err
    assert "allow-x: sourceRanges[0] '1.2.3.4/99' is not a CIDR" in err
    assert not out_yaml.exists()


def test_aws_private_ip_not_an_ip_is_an_error(tmp_path: Path) -> None:
    d = tmp_path / "aws"
    shutil.copytree(EXPORTS / "aws", d)
    data = json.loads((d / "describe-instances.json").read_text())
    data["Reservations"][0]["Instances"][0]["PrivateIpAddress"] = "not-an-ip"
    (d / "describe-instances.json").write_text(json.dumps(data))
    with pytest.raises(InputError, match="PrivateIpAddress 'not-an-ip' is not an IP address"):
        import_aws(d)


def test_matrix_unknown_protocol(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "net", "matrix", DV, "--proto", "xyz")
    assert code == 2 and "Traceback" not in err
    assert "--proto 'xyz' is not tcp, udp, icmp or all" in err


# ---------------------------------------------------------------------- generated bad exports

def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*path, i))
    return out


def _set(root: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = root
    for k in path[:-1]:
        parent = parent[k]
    parent[path[-1]] = value
    return root


JUNK = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False),
                 st.sampled_from(["", "x", "-1", "10.0.0.0/99", "::/0", "0.0.0.0/0", "300", "tcp", "all"]),
                 st.just([]), st.just({}), st.just([1]), st.just({"a": 1}))


# the reference exports of each importer; gcp-estate: every GCP family the importer reads (peerings, Shared VPC,
# Cloud NAT, router status, Interconnect, HA VPN, firewall policies, ancestry, Private Service Connect)
SOURCES = {"aws": EXPORTS / "aws", "gcp": EXPORTS / "gcp",
           "gcp-estate": HERE.parent / "net" / "cases" / "gcp-trading-estate"}


def _mutated(cloud: str, tmp: Path, data: st.DataObject) -> Path:
    src = SOURCES[cloud]
    files = sorted(p.relative_to(src) for p in src.rglob("*.json"))
    rel = data.draw(st.sampled_from(files))
    doc = json.loads((src / rel).read_text())
    path = data.draw(st.sampled_from(_paths(doc)[1:]))
    doc = _set(doc, path, data.draw(JUNK))
    d = tmp / cloud
    if d.exists():
        shutil.rmtree(d)
    shutil.copytree(src, d)
    (d / rel).write_text(json.dumps(doc, indent=1))
    return d


@pytest.mark.parametrize("cloud", ["aws", "gcp", "gcp-estate"])
@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_generated_bad_exports_never_traceback(cloud: str, tmp_path: Path, data: st.DataObject) -> None:
    d = _mutated(cloud, tmp_path, data)
    try:
        result = (import_aws if cloud == "aws" else import_gcp)(d)
    except InputError as exc:
        assert exc.problems and exc.problems[0].location is not None
        return
    if cloud == "gcp-estate":  # what imports also walks: every hop kind of the estate, no traceback
        dp = Dataplane.build(result.estate)
        for w in result.estate.workloads:
            reach(dp, w.name, "internet", "tcp", [(443, 443)], replies=False)
