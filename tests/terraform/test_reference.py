"""The reference estate: parses, resolves, is fmt-clean, deterministic and matches its golden output."""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tradeplane.estate import Estate, load
from tradeplane.plan import render_terraform
from tradeplane.terraform import Rendered, check_references, write
from tradeplane.terraform.references import parse_module
from tradeplane.writing import record_name

from .conftest import REFERENCE

GOLDEN = Path(__file__).parent / "golden" / "dv-trading"


def test_every_reference_resolves(reference_rendered: Rendered) -> None:
    assert check_references(reference_rendered.files) == []


def test_every_file_parses_with_python_hcl2(reference_rendered: Rendered) -> None:
    for module in reference_rendered.modules():
        files = {p.rsplit("/", 1)[1]: t for p, t in reference_rendered.files.items() if p.startswith(module + "/")}
        parsed = parse_module(module, files)
        assert parsed.defined, module


def test_numbers_are_written_without_exponents(reference_rendered: Rendered) -> None:
    """checkov's parser (bc-python-hcl2) refuses ``9.3333e-05`` and skips the whole file: the SLO
    burn-rate thresholds once hid aws/40-observability/slos.tf from every posture check."""
    from tradeplane.terraform.hcl import float_text

    text = "\n".join(t for p, t in reference_rendered.files.items() if p.endswith(".tf"))
    assert re.search(r"=\s*-?\d+(\.\d+)?[eE][-+]?\d+\s*$", text, re.M) is None
    assert "threshold           = 0.000093333" in reference_rendered.files["aws/40-observability/slos.tf"]
    assert float_text(9.3333e-05) == "0.000093333" and float(float_text(1.5e16)) == 1.5e16


def test_layout_is_staged_per_cloud(reference_rendered: Rendered) -> None:
    assert reference_rendered.modules() == [
        f"{c}/{s}" for c in ("aws", "gcp")
        for s in ("00-bootstrap", "00-org-guardrails", "10-networking", "20-security", "30-compute",
                  "40-observability", "globals")]
    for module in reference_rendered.modules():
        if module.endswith("/globals"):
            continue  # a child module: no backend, no provider
        versions = reference_rendered.files[f"{module}/versions.tf"]
        assert "required_version" in versions
        assert re.search(r'version = "\d+\.\d+\.\d+"', versions)  # exact pins
        assert 'backend "s3"' in versions or 'backend "gcs"' in versions


def test_later_stages_take_earlier_outputs_as_inputs(reference_rendered: Rendered) -> None:
    compute = reference_rendered.files["aws/30-compute/variables.tf"]
    assert "output 'subnet_ids' of aws/10-networking" in compute
    assert re.search(r'subnet_id\s+= var.subnet_ids\["aws-use1-equities/trading-a"\]',
                     reference_rendered.files["aws/30-compute/instances.tf"])
    assert "state_bucket" not in "".join(reference_rendered.files.values())


def test_no_literal_secrets(reference_rendered: Rendered) -> None:
    text = "\n".join(reference_rendered.files.values())
    assert re.search(r"shared_secret\s+= var.vpn_shared_secrets\[", text)
    assert re.search(r"(?i)(password|secret_key|private_key)\s*=\s*\"", text) is None
    variables = reference_rendered.files["gcp/10-networking/variables.tf"]
    assert re.search(r'variable "vpn_shared_secrets" \{[^}]*sensitive\s+= true', variables, re.S)


def test_render_is_byte_identical(reference_estate: Estate, reference_rendered: Rendered) -> None:
    assert render_terraform(reference_estate).files == reference_rendered.files


def test_matches_golden(reference_rendered: Rendered, tmp_path: Path) -> None:
    if os.environ.get("UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        write(reference_rendered, GOLDEN)
        (GOLDEN / record_name("terraform")).unlink()  # the record of what was written is no golden file
    on_disk = {str(p.relative_to(GOLDEN)): p.read_text(encoding="utf-8") for p in GOLDEN.rglob("*") if p.is_file()}
    assert on_disk == reference_rendered.files, "run with UPDATE_GOLDEN=1 after reviewing the change"


@pytest.mark.skipif(shutil.which("terraform") is None, reason="no terraform binary on this machine")
def test_terraform_fmt_check(reference_rendered: Rendered, tmp_path: Path) -> None:
    write(reference_rendered, tmp_path)
    done = subprocess.run(["terraform", "fmt", "-check", "-recursive", "-diff", str(tmp_path)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout


ORDERED = {"cidrs", "zones"}  # the first CIDR is the VPC's primary; pinned zones are used round-robin


def _shuffle(value: object, rng: random.Random, key: str = "") -> object:
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _shuffle(v, rng, k) for k, v in items}
    if isinstance(value, list):
        items = [_shuffle(v, rng) for v in value]
        if key not in ORDERED:
            rng.shuffle(items)
        return items
    return value


def test_reordering_files_and_objects_changes_nothing(reference_rendered: Rendered, tmp_path: Path) -> None:
    rng = random.Random(7)
    files = sorted(REFERENCE.glob("*.yaml"))
    merged = [(f.name, yaml.safe_load(f.read_text())) for f in files]
    rng.shuffle(merged)
    for i, (name, data) in enumerate(merged):
        (tmp_path / f"{i:02d}-{name}").write_text(yaml.safe_dump(_shuffle(data, rng), sort_keys=False))
    assert render_terraform(load(tmp_path)).files == reference_rendered.files


def _blocks(text: str) -> list[list[str]]:
    """Blocks as sorted line lists: map entries and blocks are sorted by name, so a rename may move them."""
    return sorted(sorted(block.splitlines()) for block in text.split("\n\n"))


def test_renaming_one_object_changes_only_what_refers_to_it(reference_rendered: Rendered, tmp_path: Path) -> None:
    old, new = "batch-a", "batch-q"
    for f in REFERENCE.glob("*.yaml"):
        (tmp_path / f.name).write_text(f.read_text().replace(old, new))
    renamed = render_terraform(load(tmp_path)).files
    assert renamed.keys() == reference_rendered.files.keys()
    changed = 0
    for path, text in reference_rendered.files.items():
        mentions = old in text or old.replace("-", "_") in text
        if not mentions:
            assert renamed[path] == text, path
            continue
        back = renamed[path].replace(new, old).replace(new.replace("-", "_"), old.replace("-", "_"))
        assert _blocks(back) == _blocks(text), path
        changed += 1
    assert changed >= 2


def test_anti_affine_replicas_default_to_different_zones(reference_rendered: Rendered) -> None:
    gcp = reference_rendered.files["gcp/30-compute/instances.tf"]
    assert 'resource "google_compute_instance" "cme_md_handler_a__us_central1_a"' in gcp
    assert 'resource "google_compute_instance" "cme_md_handler_b__us_central1_b"' in gcp
