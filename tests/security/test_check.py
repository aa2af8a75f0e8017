"""security check: key custody over rendered IAM and secrets, allowlists, the DDoS perimeter."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tradeplane import estate as est
from tradeplane import terraform
from tradeplane.errors import InputError
from tradeplane.net import egress_addresses
from tradeplane.plan import security_review
from tradeplane.security import Exposure, KeyInventory, check, load_inventory, parse_resources
from tradeplane.security.inventory import KeyRecord

ROOT = Path(__file__).resolve().parents[2]

TRUST_EC2 = """
data "aws_iam_policy_document" "{w}__trust" {{
  statement {{
    actions = ["sts:AssumeRole"]
    principals {{
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }}
  }}
}}
resource "aws_iam_role" "{w}" {{
  name               = "{w}-instance"
  assume_role_policy = data.aws_iam_policy_document.{w}__trust.json
  tags               = {{ Name = "{name}", desk = "crypto" }}
}}
"""

SECRET = """
resource "aws_kms_key" "secrets" {{
  description = "crypto secrets"
}}
resource "aws_secretsmanager_secret" "{s}" {{
  name       = "{path}"
  kms_key_id = {kms}
}}
resource "aws_secretsmanager_secret_rotation" "{s}" {{
  secret_id           = aws_secretsmanager_secret.{s}.id
  rotation_lambda_arn = var.rotation_lambda
}}
"""

READ = """
data "aws_iam_policy_document" "{w}__read" {{
  statement {{
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["{arn}"]
  }}
}}
resource "aws_iam_role_policy" "{w}__read" {{
  role   = aws_iam_role.{w}.id
  policy = data.aws_iam_policy_document.{w}__read.json
}}
"""

OPERATOR = """
data "aws_iam_policy_document" "ops__trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${var.identity}:root"]
    }
  }
}
resource "aws_iam_role" "ops" {
  name               = "crypto-operator"
  assume_role_policy = data.aws_iam_policy_document.ops__trust.json
}
data "aws_iam_policy_document" "ops__policy" {
  statement {
    actions   = ["secretsmanager:*"]
    resources = ["arn:aws:secretsmanager:*:${var.account}:secret:crypto/*"]
  }
}
resource "aws_iam_role_policy" "ops" {
  role   = aws_iam_role.ops.name
  policy = data.aws_iam_policy_document.ops__policy.json
}
"""


@pytest.fixture(scope="module")
def reference() -> est.Estate:
    return est.load(ROOT / "examples/dv-trading")


def secrets_tf(kms: str = "aws_kms_key.secrets.arn", readers: dict[str, str] | None = None,
               operator: bool = False) -> dict[str, str]:
    text = ""
    for w, name in (("binance_mm", "binance-mm"), ("feed_gateway_a", "feed-gateway-a"),
                    ("feed_gateway_b", "feed-gateway-b"), ("coinbase_mm", "coinbase-mm")):
        text += TRUST_EC2.format(w=w, name=name)
    for s, path in (("mm_trade", "crypto/binance/mm-trade"), ("md_read", "crypto/binance/md-read"),
                    ("cb_trade", "crypto/coinbase/mm-trade")):
        text += SECRET.format(s=s, path=path, kms=kms)
    for w, path in (readers if readers is not None else {
            "binance_mm": "crypto/binance/mm-trade", "feed_gateway_a": "crypto/binance/md-read",
            "feed_gateway_b": "crypto/binance/md-read", "coinbase_mm": "crypto/coinbase/mm-trade"}).items():
        text += READ.format(w=w, arn=f"arn:aws:secretsmanager:*:${{var.account}}:secret:{path}-??????")
    if operator:
        text += OPERATOR
    return {"aws/20-security/secrets.tf": text}


def run(e: est.Estate, files: dict[str, str], inventory: KeyInventory | None = None,
        as_of: date | None = None) -> list[tuple[str, str, str]]:
    exposure = {w.name: Exposure(w.name, False) for w in e.workloads}
    report = check(e, parse_resources(files), egress_addresses(e), exposure, inventory, as_of)
    return [(f.rule, f.subject, f.severity) for f in report.sorted() if f.rule.startswith("custody")]


def test_well_kept_keys_pass(reference: est.Estate) -> None:
    assert run(reference, secrets_tf()) == []


def test_human_role_reading_a_trading_key_is_a_finding(reference: est.Estate) -> None:
    found = run(reference, secrets_tf(operator=True))
    assert ("custody.reader", "binance/binance-mm-trade", "high") in found
    assert ("custody.reader", "coinbase/coinbase-mm-trade", "high") in found


def test_inverted_access_operator_reads_and_workload_cannot(reference: est.Estate) -> None:
    """Defect 7 of the Terraform review: operators can read trading keys, trading workloads cannot."""
    found = run(reference, secrets_tf(readers={}, operator=True))
    assert ("custody.user-cannot-read", "binance/binance-mm-trade", "high") in found
    assert ("custody.reader", "binance/binance-mm-trade", "high") in found


def test_wrong_workload_reading_another_key(reference: est.Estate) -> None:
    found = run(reference, secrets_tf(readers={"binance_mm": "crypto/binance/*", "feed_gateway_a":
                                               "crypto/binance/md-read", "feed_gateway_b": "crypto/binance/md-read",
                                               "coinbase_mm": "crypto/coinbase/mm-trade"}))
    assert found == [("custody.reader", "binance/binance-md-read", "high")]


def test_provider_managed_key_and_missing_rotation(reference: est.Estate) -> None:
    files = secrets_tf(kms='"alias/aws/secretsmanager"')
    files = {k: v.replace("aws_secretsmanager_secret_rotation", "null_resource") for k, v in files.items()}
    rules = {r for r, _, _ in run(reference, files)}
    assert rules == {"custody.cmk", "custody.rotation"}


def test_withdraw_shared_and_age(reference: est.Estate) -> None:
    data = reference.model_dump(mode="json")
    for venue in data["venues"]:
        for key in venue["api_keys"]:
            if key["name"] == "binance-mm-trade":
                key["permissions"] = ["read", "trade", "withdraw"]
    changed = est.Estate.model_validate(data)
    inventory = KeyInventory(keys=(KeyRecord(name="binance-md-read", venue="binance", created=date(2026, 1, 2),
                                             desks=("crypto", "futures")),))
    found = run(changed, secrets_tf(), inventory, as_of=date(2026, 11, 30))
    assert ("custody.withdraw", "binance/binance-mm-trade", "critical") in found
    assert ("custody.shared", "binance/binance-md-read", "high") in found
    assert ("custody.age", "binance/binance-md-read", "medium") in found


def test_allowlist_must_equal_the_egress_addresses(reference: est.Estate) -> None:
    data = reference.model_dump(mode="json")
    for venue in data["venues"]:
        for key in venue["api_keys"]:
            if key["name"] == "binance-md-read":
                key["allowlist"] = ["198.18.10.4", "192.0.2.99"]  # lacks nat-az1's 198.18.10.1, has a stranger
    found = run(est.Estate.model_validate(data), secrets_tf())
    assert ("custody.allowlist-missing", "binance/binance-md-read", "high") in found
    assert ("custody.allowlist-extra", "binance/binance-md-read", "high") in found


def test_perimeter_exposed_origin_carries_the_trace(reference: est.Estate) -> None:
    exposure = {w.name: Exposure(w.name, w.name == "binance-mm", ("internet: routed by igw",))
                for w in reference.workloads}
    rendered = terraform.render(reference)
    report = check(reference, parse_resources(rendered.files), egress_addresses(reference), exposure)
    exposed = [f for f in report.findings if f.rule == "perimeter.origin-exposed"]
    assert [(f.subject, f.severity, f.trace) for f in exposed] == [
        ("binance-mm", "critical", ("internet: routed by igw",))]
    assert "perimeter.shield aws-apne1-crypto/nat-az4" in report.passed
    assert "perimeter.rate-limit aws-apne1-crypto" in report.passed


def test_reference_estate_through_the_composer(reference: est.Estate) -> None:
    report = security_review(reference, terraform.render(reference))
    assert "custody.allowlist binance/binance-md-read" in report.passed
    assert "perimeter.origin binance-mm" in report.passed  # proven unreachable from the internet
    assert not [f for f in report.findings if f.rule.startswith("perimeter")]


def test_key_inventory_errors_are_located(tmp_path: Path) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text("keys:\n  - {name: k, venue: binance, created: yesterday}\n")
    with pytest.raises(InputError) as info:
        load_inventory(path)
    assert f"{path}:2:" in str(info.value) and "keys.0.created" in str(info.value)


def test_the_rendered_structure_and_the_text_give_the_same_resources(reference: est.Estate) -> None:
    """The composer reads IAM from the renderer's block structure; python-hcl2 on the text agrees."""
    from tradeplane.security import resources_of_blocks

    rendered = terraform.render(reference)
    from_blocks = resources_of_blocks(rendered.blocks)
    assert len(from_blocks) > 20
    assert from_blocks == parse_resources(rendered.files)
