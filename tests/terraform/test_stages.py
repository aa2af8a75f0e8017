"""How stages meet: explicit outputs as typed, validated inputs (never another stage's state),
the shared maps in one globals module per cloud, every input validated, secrets sensitive."""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from tradeplane.terraform import Rendered
from tradeplane.terraform.hcl import HclBlock
from tradeplane.terraform.schema import scan

GOLDEN = Path(__file__).parent / "golden"
_INPUT = re.compile(r"^\"?output '(\w+)' of ([a-z]+/[0-9a-z-]+):")


def _golden_sets() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for d in sorted(GOLDEN.iterdir()):
        out[d.name] = {str(p.relative_to(d)): p.read_text() for p in sorted(d.rglob("*")) if p.is_file()}
    return out


GOLDEN_SETS = _golden_sets()


def _blocks(files: Mapping[str, str]) -> dict[str, list[HclBlock]]:
    """Every top-level block of every .tf file, read back from the text (not the renderer's structure)."""
    return {path: scan(text) for path, text in files.items() if path.endswith(".tf")}


@functools.cache
def _scanned(name: str) -> dict[str, dict[str, list[HclBlock]]]:
    """The golden set's blocks by module and file, scanned once for all the tests here."""
    return _by_module(GOLDEN_SETS[name])


def _by_module(files: Mapping[str, str]) -> dict[str, dict[str, list[HclBlock]]]:
    out: dict[str, dict[str, list[HclBlock]]] = {}
    for path, blocks in _blocks(files).items():
        module, _, name = path.rpartition("/")
        out.setdefault(module, {})[name] = blocks
    return out


def _of(module: Mapping[str, list[HclBlock]], kind: str) -> dict[str, HclBlock]:
    return {b.labels[0]: b for blocks in module.values() for b in blocks if b.type == kind}


def _keys_of(value: str) -> set[str]:
    """The keys of a rendered output map, as written (one line or one entry per line)."""
    return {k.strip('"') for k in re.findall(r'(?:^\{|,|\s)\s*("[^"]+"|[A-Za-z_][\w-]*)\s+= ', value)}


def _output_type(value: str) -> str:
    """The Terraform type of a rendered output, from its value as written: a map (its entries; splats
    are lists), one attribute of one resource (a string: a stage identity's e-mail) or one of the
    stage's own string inputs passed on (the bootstrap's ``bootstrap_role_name``)."""
    if re.fullmatch(r"[a-z_0-9]+\.[a-z_0-9]+\.[a-z_]+|var\.bootstrap_role_name", value.strip()):
        return "string"
    keys = _keys_of(value)
    assert keys, value
    splats = value.count("[*].id")
    assert splats in (0, len(keys)), value
    return "map(list(string))" if splats else "map(string)"


@pytest.mark.parametrize("name", sorted(GOLDEN_SETS))
def test_no_stage_reads_another_stages_state(name: str) -> None:
    files = GOLDEN_SETS[name]
    assert not any("terraform_remote_state" in text for text in files.values())
    assert not any(b.type == "data" and b.labels[0] == "terraform_remote_state"
                   for module in _scanned(name).values() for blocks in module.values() for b in blocks)


@pytest.mark.parametrize("name", sorted(GOLDEN_SETS))
def test_every_cross_stage_input_is_an_earlier_stages_output_of_its_type(name: str) -> None:
    """Each variable fed from another stage names an output of an earlier stage of the same cloud;
    the variable's type is the output's; every key the stage reads is in the output; and the
    README's wiring command for the pair writes exactly those variables."""
    files = GOLDEN_SETS[name]
    modules = _scanned(name)
    wiring = _wiring(files["README.md"])
    seen: dict[tuple[str, str], set[str]] = {}
    for path, module in sorted(modules.items()):
        for var, block in _of(module, "variable").items():
            m = _INPUT.match(block.value("description") or "")
            if not m:
                continue
            output, source = m.groups()
            assert output == var, (path, var)
            assert source.split("/")[0] == path.split("/")[0] and source < path, (path, var, source)
            produced = _of(modules[source], "output").get(var)
            assert produced is not None, f"{path}: var.{var} is no output of {source}"
            value = produced.value("value") or ""
            assert block.value("type") == _output_type(value), (path, var)
            texts = [files[f"{path}/{f}"] for f in module]
            if block.value("type") == "string":
                assert any(re.search(rf"var\.{var}\b", text) for text in texts), (path, var)
            else:
                used = {k for text in texts for k in re.findall(rf'var\.{var}\["([^"]+)"\]', text)}
                assert used and used <= _keys_of(value), (path, var, used - _keys_of(value))
            assert "sensitive" not in produced.attrs
            seen.setdefault((path, source), set()).add(var)
    assert seen == wiring


def _wiring(readme: str) -> dict[tuple[str, str], set[str]]:
    """(stage, earlier stage) -> variables, from the README's `terraform output -json | jq` lines."""
    out: dict[tuple[str, str], set[str]] = {}
    for source, picked, target in re.findall(
            r"terraform -chdir=(\S+) output -json \| jq '\{([^']*)\}' > (\S+)\.auto\.tfvars\.json", readme):
        stage, _, file = target.rpartition("/")
        assert file == source.split("/")[1]
        pairs = re.findall(r"(\w+): \.(\w+)\.value", picked)
        assert all(a == b for a, b in pairs)
        out[(stage, source)] = {a for a, _ in pairs}
    return out


SHARED = {"aws": {"aws_account_ids"}, "gcp": {"project_ids", "gcp_org_id", "default_region"}}


@pytest.mark.parametrize("name", sorted(GOLDEN_SETS))
def test_shared_maps_are_rendered_once_per_cloud(name: str) -> None:
    files = GOLDEN_SETS[name]
    modules = _scanned(name)
    for path, module in modules.items():
        cloud = path.split("/")[0]
        declared = set(_of(module, "variable"))
        if path.endswith("/globals"):
            assert declared <= SHARED[cloud]
            continue
        assert not declared & SHARED[cloud], path
        text = "".join(files[f"{path}/{f}"] for f in module)
        if "module.globals." in text:
            assert _of(module, "module")["globals"].value("source") == '"../globals"'
    # each entry of the maps (name = "id" on its own line) appears in one file only
    entries: dict[str, list[str]] = {}
    for path, text in files.items():
        for line in re.findall(r'^\s+[\w-]+\s+= "[^"]*"$', text, re.M):
            entries.setdefault(re.sub(r"\s+", " ", line.strip()), []).append(path)
    for path in (p for p in files if p.endswith("globals/variables.tf")):
        for line in re.findall(r'^\s{4}[\w-]+\s+= "[^"]*"$', files[path], re.M):
            assert entries[re.sub(r"\s+", " ", line.strip())] == [path], line


SECRETS = {"vpn_shared_secrets", "cross_cloud_bgp_md5_keys"}


@pytest.mark.parametrize("name", sorted(GOLDEN_SETS))
def test_every_input_is_validated_and_secrets_are_sensitive(name: str) -> None:
    sensitive: set[str] = set()
    for path, module in _scanned(name).items():
        for var, block in _of(module, "variable").items():
            assert block.children("validation"), f"{path}: variable {var} has no validation block"
            if var in SECRETS or (re.search(r"secret|password|md5|preshared", var) and not var.endswith("_arns")):
                assert block.value("sensitive") == "true", f"{path}: {var} holds a secret"
                sensitive.add(var)
        for out, block in _of(module, "output").items():
            assert not any(f"var.{v}" in (block.value("value") or "") for v in sensitive), (path, out)


def test_rendered_inputs_match_the_readme(reference_rendered: Rendered) -> None:
    got = {(stage, source): set(names) for stage, sources in reference_rendered.inputs.items()
           for source, names in sources.items()}
    assert got == _wiring(reference_rendered.files["README.md"])
    assert ("aws/30-compute", "aws/10-networking") in got and ("aws/40-observability", "aws/30-compute") in got


# ---------------------------------------------------------------- with terraform itself (offline)

FAKE = {"security_group_ids": "sg-0a1b2c3d", "subnet_ids": "subnet-0a1b2c3d", "vpc_ids": "vpc-0a1b2c3d",
        "transit_gateway_ids": "tgw-0a1b2c3d", "nat_gateway_ids": "nat-0a1b2c3d", "dx_connection_ids": "dxcon-ab12cd34",
        "nat_eip_arns": "arn:aws:ec2:us-east-1:222222222221:eip-allocation/eipalloc-0a1b2c3d"}


def _variable_text(text: str, names: set[str]) -> str:
    """The ``variable`` blocks of ``names`` out of a rendered variables.tf."""
    out = []
    for m in re.finditer(r'^variable "(\w+)" \{\n.*?^\}\n', text, re.M | re.S):
        if m.group(1) in names:
            out.append(m.group(0))
    return "\n".join(out)


def _terraform(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    flags = ["-no-color"] if args[0] == "validate" else ["-no-color", "-input=false"]
    return subprocess.run(["terraform", *args, *flags], cwd=cwd, capture_output=True, text=True, timeout=120,
                          check=False)


@pytest.mark.skipif(shutil.which("terraform") is None or shutil.which("jq") is None,
                    reason="terraform and jq are needed to run the wiring (no provider is downloaded)")
def test_wiring_command_and_validations_run_under_terraform(reference_rendered: Rendered, tmp_path: Path) -> None:
    """The README's jq command turns the earlier stage's `terraform output -json` (here: made up
    from its outputs' keys, plus an output the stage must not take) into the stage's tfvars, and
    `terraform plan` of the stage's input variables and the globals module (neither needs a
    provider) accepts it; a missing key and a malformed id are refused with their messages."""
    stage, source = "aws/30-compute", "aws/10-networking"
    names = set(reference_rendered.inputs[stage][source])
    outputs = {b.labels[0]: b for b in reference_rendered.blocks[f"{source}/outputs.tf"]}
    document = {}
    for out, block in outputs.items():
        keys = _keys_of(block.value("value") or "")
        document[out] = {"sensitive": False, "type": ["map", "string"],
                         "value": {k: FAKE.get(out, "x") for k in keys}}
    document["a_secret_nobody_takes"] = {"sensitive": True, "type": "string", "value": "s3cret"}
    (tmp_path / "outputs.json").write_text(json.dumps(document))
    command = next(line.strip() for line in reference_rendered.files["README.md"].splitlines()
                   if f"-chdir={source} output -json" in line and f"> {stage}/" in line)
    work = tmp_path / "aws" / "30-compute"
    work.mkdir(parents=True)
    (tmp_path / "aws" / "globals").mkdir()
    for path, text in reference_rendered.files.items():
        if path.startswith("aws/globals/"):
            (tmp_path / path).write_text(text)
    (work / "variables.tf").write_text(_variable_text(reference_rendered.files[f"{stage}/variables.tf"], names))
    (work / "globals.tf").write_text(reference_rendered.files[f"{stage}/globals.tf"]
                                     + 'output "management" {\n  value = module.globals.aws_account_ids["management"]\n}\n')
    jq = command.replace(f"terraform -chdir={source} output -json", f"cat {tmp_path / 'outputs.json'}")
    subprocess.run(jq, shell=True, cwd=tmp_path, check=True, timeout=60)
    tfvars = json.loads((work / "10-networking.auto.tfvars.json").read_text())
    assert set(tfvars) == names  # only what the stage takes; never the secret
    assert _terraform(work, "init", "-backend=false").returncode == 0
    good = _terraform(work, "plan")
    assert good.returncode == 0, good.stderr
    tfvars["subnet_ids"].pop("aws-use1-equities/trading-a")  # one this stage uses
    tfvars["security_group_ids"][sorted(tfvars["security_group_ids"])[0]] = "subnet-0a1b2c3d"
    (work / "10-networking.auto.tfvars.json").write_text(json.dumps(tfvars))
    bad = _terraform(work, "plan")
    assert bad.returncode != 0
    said = " ".join(bad.stderr.split())  # terraform wraps its diagnostics
    assert "The input subnet_ids must hold every key this stage uses" in said
    assert "Every value of the input security_group_ids must match ^sg-[0-9a-f]+$" in said


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is needed to validate the variables")
def test_every_validation_is_valid_terraform(reference_rendered: Rendered, tmp_path: Path) -> None:
    """`terraform validate` (no provider needed) over every variable of every module of the
    reference render, renamed apart into one configuration: each condition is an expression
    Terraform accepts, referring only to its own variable."""
    text = []
    for path, content in sorted(reference_rendered.files.items()):
        if not path.endswith("/variables.tf"):
            continue
        prefix = re.sub(r"\W", "_", path.rsplit("/", 1)[0])
        for m in re.finditer(r'^variable "(\w+)" \{\n.*?^\}\n', content, re.M | re.S):
            block = m.group(0).replace(f'variable "{m.group(1)}"', f'variable "{prefix}__{m.group(1)}"', 1)
            text.append(re.sub(rf"\bvar\.{m.group(1)}\b", f"var.{prefix}__{m.group(1)}", block))
    assert len(text) > 40
    (tmp_path / "variables.tf").write_text("\n".join(text))
    assert _terraform(tmp_path, "init", "-backend=false").returncode == 0
    done = _terraform(tmp_path, "validate")
    assert done.returncode == 0, done.stderr
