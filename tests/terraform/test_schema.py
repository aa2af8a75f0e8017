"""Provider-schema validation of every rendered file of the reference and golden estates."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradeplane.terraform import Rendered
from tradeplane.terraform.module import PROVIDER_PINS
from tradeplane.terraform.schema import HclScanError, check_schema, load_schema, provider_versions, scan

GOLDEN = Path(__file__).parent / "golden"


def _report(findings: list[object]) -> str:
    return "\n".join(str(f) for f in findings)


def test_reference_render_matches_the_provider_schemas(reference_rendered: Rendered) -> None:
    findings = check_schema(reference_rendered)
    assert findings == [], _report(findings)  # type: ignore[arg-type]


@pytest.mark.parametrize("estate", sorted(p.name for p in GOLDEN.iterdir() if p.is_dir()))
def test_every_golden_file_matches_the_provider_schemas(estate: str) -> None:
    root = GOLDEN / estate
    files = {str(p.relative_to(GOLDEN)): p.read_text(encoding="utf-8") for p in root.rglob("*.tf")}
    assert files
    findings = check_schema(files)
    assert findings == [], _report(findings)  # type: ignore[arg-type]


def test_pins_are_the_exact_versions_the_schema_was_built_from() -> None:
    versions = provider_versions()
    for _, source, version in PROVIDER_PINS.values():
        assert version == f"= {versions[source]}" or version == versions[source], (source, version)


BAD = '''
resource "aws_instance" "x" {
  provider      = aws.a
  instance_typo = "c7i.large"
  tags          = { Name = "x${var.y["z"]}" }

  metadata_options {
    http_tokens = "required"
    hop_limit   = 1
  }

  metadata_options {
    http_tokens = "required"
  }

  ebs_optimized {
  }
}

resource "aws_not_a_thing" "y" {
}

resource "aws_iam_role" "z" {
  name = "z"
}

resource "google_compute_instance" "vm" {
  name         = "vm"
  machine_type = "c3-standard-4"
  zone         = "us-central1-a"
  boot_disk    = { auto_delete = true }

  network_interface {
    subnetwork = "s"
  }
}
'''


def test_each_kind_of_mistake_is_found_with_its_line() -> None:
    got = [(f.line, f.address, f.message) for f in check_schema({"aws/x/main.tf": BAD})]
    assert (4, "aws_instance.x", "unknown argument 'instance_typo'") in got
    assert (9, "aws_instance.x.metadata_options", "unknown argument 'hop_limit'") in got
    assert (12, "aws_instance.x", "block 'metadata_options' may appear once (first at line 7)") in got
    assert (16, "aws_instance.x", "'ebs_optimized' is an argument: write 'ebs_optimized = ...'") in got
    assert any(line == 20 and "unknown resource type 'aws_not_a_thing'" in m for line, _, m in got)
    assert (23, "aws_iam_role.z", "missing required argument 'assume_role_policy'") in got
    assert (31, "google_compute_instance.vm", "'boot_disk' is a block: write 'boot_disk { ... }'") in got
    assert (27, "google_compute_instance.vm", "missing required argument 'boot_disk'") not in got  # written, wrongly
    assert len(got) == 7, got


def test_scanner_follows_strings_templates_heredocs_and_reports_what_it_cannot_read() -> None:
    text = 'locals {\n  a = "}{ ${x["}"]} $${y"\n  b = <<EOT\n}\nEOT\n  c = [\n    1, # ]\n  ]\n}\n'
    (block,) = scan(text)
    assert set(block.attrs) == {"a", "b", "c"}
    with pytest.raises(HclScanError) as e:
        scan('resource "a" "b" {\n  x = [1,\n')
    assert e.value.line == 2
    assert check_schema({"m.tf": "resource \"a\" \"b\" {\n"})[0].line == 1


def test_the_schema_is_compact() -> None:
    schema = load_schema()
    assert set(schema["providers"]) == {"aws", "google"}
    assert 50 <= len(schema["resource"]) < 400


def test_vpn_keys_leave_state_as_soon_as_the_pinned_provider_can(reference_rendered: Rendered) -> None:
    """docs/terraform.md, Limits: hashicorp/aws 5.99.1 has no ``preshared_key_storage``, so the tunnel
    keys AWS generates are in the networking state. When the pin moves to a schema that has it
    (6.x), every rendered ``aws_vpn_connection`` must set it to ``SecretsManager``."""
    has = "preshared_key_storage" in load_schema()["resource"]["aws_vpn_connection"]["args"]
    from tradeplane.terraform import render

    from .estates import ALL

    renders = [reference_rendered, *(render(build()) for build in ALL.values())]
    connections = [b for r in renders for blocks in r.blocks.values() for b in blocks
                   if b.type == "resource" and b.labels[0] == "aws_vpn_connection"]
    assert connections
    for conn in connections:
        assert conn.value("preshared_key_storage") == ('"SecretsManager"' if has else None), conn.labels
