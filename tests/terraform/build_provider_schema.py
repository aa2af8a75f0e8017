"""Build ``src/tradeplane/terraform/provider_schema.json`` from the CDK-for-Terraform provider packages.

    uv run python tests/terraform/build_provider_schema.py [--cache DIR]

Fetches ``@cdktf/provider-aws`` and ``@cdktf/provider-google`` (the versions in ``PACKAGES``,
each generated from the provider version it records in ``package.json``: ``cdktf.provider``)
with ``npm pack`` into the cache, reads their JSII assemblies (``.jsii``) and keeps, for every
resource, data source and provider tradeplane renders (the reference estate, every example,
every focused test estate and the benchmark's synthetic estate), the arguments, required arguments and nested blocks.

How the assembly encodes a provider schema: each resource is a class whose docs summary reads
``Represents a {@link https://registry.terraform.io/providers/hashicorp/aws/5.99.1/docs/resources/instance aws_instance}``;
its ``<Class>Config`` interface lists one property per argument or block, each documented with
a link whose anchor is the Terraform name (``...#http_tokens Instance#http_tokens``); a property
without ``optional`` is required; a block's summary is ``"<name> block."`` and its type is a
struct (at most one block) or an array of structs, whose own properties are the nested schema.
Only these JSON lines are committed; the packages stay in the cache.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "src" / "tradeplane" / "terraform" / "provider_schema.json"
# npm package@version -> the Terraform provider it wraps; versions inside the pins' bounds
# (hashicorp/aws 5.80-5.100, hashicorp/google 6.20-6.50).
PACKAGES = {
    "aws": ("@cdktf/provider-aws", "19.65.1", "hashicorp/aws"),
    "google": ("@cdktf/provider-google", "16.12.1", "hashicorp/google"),
}
_LINK = re.compile(r"\{@link https://registry\.terraform\.io/providers/([\w-]+/[\w-]+)/([\w.]+)/docs/"
                   r"(resources|data-sources)/(\w+) (\w+)\}")
_ANCHOR = re.compile(r"\{@link https://registry\.terraform\.io/\S+#(\w+) ")


def fetch(package: str, version: str, cache: Path) -> dict[str, Any]:
    """The package's JSII assembly and ``package.json`` (downloaded once into ``cache``)."""
    cache.mkdir(parents=True, exist_ok=True)
    tgz = cache / f"{package.strip('@').replace('/', '-')}-{version}.tgz"
    if not tgz.exists():
        subprocess.run(["npm", "pack", f"{package}@{version}", "--pack-destination", str(cache), "--silent"],
                       check=True, stdout=subprocess.DEVNULL)
    with tarfile.open(tgz) as tar:
        jsii = json.load(tar.extractfile("package/.jsii"))  # type: ignore[arg-type]
        pkg = json.load(tar.extractfile("package/package.json"))  # type: ignore[arg-type]
    return {"jsii": jsii, "package": pkg}


def _struct_of(t: dict[str, Any]) -> tuple[str | None, bool]:
    """(struct fqn, single) for a property type; (None, _) when it is not a struct."""
    if "fqn" in t and not t["fqn"].startswith("cdktf."):
        return t["fqn"], True
    for u in t.get("union", {}).get("types", ()):
        coll = u.get("collection")
        if coll and coll.get("kind") == "array" and "fqn" in coll["elementtype"]:
            return coll["elementtype"]["fqn"], False
    return None, False


def _docs(p: dict[str, Any]) -> str:
    d = p.get("docs", {})
    return f"{d.get('summary', '')} {d.get('remarks', '')}"


def node(types: dict[str, Any], fqn: str, depth: int = 0) -> dict[str, Any]:
    """The compact schema of a config interface or block struct."""
    args: list[str] = []
    required: list[str] = []
    blocks: dict[str, Any] = {}
    for p in types[fqn].get("properties", ()):
        anchor = _ANCHOR.search(_docs(p))
        if anchor is None:
            continue
        name = anchor.group(1)
        if name == "id" and depth == 0 and "SDK version below 2" in _docs(p):
            continue  # the legacy computed id: never set it
        struct, single = _struct_of(p["type"])
        is_block = p.get("docs", {}).get("summary", "").strip() == f"{name} block."
        if struct is not None and is_block and depth < 12:
            blocks[name] = {**node(types, struct, depth + 1), "single": single}
        elif is_block:  # too deep for the generator (wafv2 statements): a block whose content is not checked
            blocks[name] = {"open": True, "single": False}
        else:
            args.append(name)
        if not p.get("optional"):
            required.append(name)
    return {"args": sorted(args), "required": sorted(required), "blocks": dict(sorted(blocks.items()))}


def _config_of(t: dict[str, Any]) -> str | None:
    """The fqn of a construct's config interface: its initializer's ``config`` parameter."""
    for param in t.get("initializer", {}).get("parameters", ()):
        if param["name"] == "config" and "fqn" in param["type"]:
            return str(param["type"]["fqn"])
    return None


def index(jsii: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(kind, terraform type) -> config interface fqn; kind is resource, data or provider."""
    out: dict[tuple[str, str], str] = {}
    for fqn, t in jsii["types"].items():
        config = _config_of(t) if t.get("kind") == "class" else None
        if config is None or config not in jsii["types"]:
            continue
        m = _LINK.search(t.get("docs", {}).get("summary", ""))
        if m:
            out[("resource" if m.group(3) == "resources" else "data", m.group(5))] = config
        elif fqn.split(".")[1:2] == ["provider"]:
            out[("provider", fqn.split(".")[0].rsplit("-", 1)[-1])] = config
    return out


def rendered_types() -> set[tuple[str, str]]:
    """(kind, type) of every resource, data source and provider in the renders tradeplane is tested on."""
    sys.path.insert(0, str(ROOT))
    import yaml

    from tests.terraform import estates
    from tradeplane.estate import load, load_text
    from tradeplane.estate.synth import render_mix
    from tradeplane.plan import render_terraform  # the composer: with the SLO alerts observe hands in
    from tradeplane.terraform.schema import scan

    found: set[tuple[str, str]] = set()
    renders = [load(ROOT / "examples" / name) for name in ("dv-trading", "small")]
    renders += [build() for build in estates.ALL.values()]
    renders.append(load_text(yaml.safe_dump(render_mix(4), sort_keys=False), "synthetic.yaml"))
    for est in renders:
        for path, text in render_terraform(est).files.items():
            if path.endswith(".tf"):
                for b in scan(text):
                    if b.type in ("resource", "data") and len(b.labels) == 2:
                        found.add((b.type, b.labels[0]))
                    elif b.type == "provider" and b.labels:
                        found.add(("provider", b.labels[0]))
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=ROOT / ".tools" / "cdktf")
    args = ap.parse_args()
    wanted = rendered_types()
    out: dict[str, Any] = {"providers": {}, "provider": {}, "resource": {}, "data": {}}
    for short, (package, version, source) in PACKAGES.items():
        got = fetch(package, version, args.cache)
        provider = got["package"]["cdktf"]["provider"]
        out["providers"][short] = {"source": source, "version": provider["version"], "package": f"{package}@{version}"}
        types = got["jsii"]["types"]
        for (kind, tf), fqn in sorted(index(got["jsii"]).items()):
            if (kind, tf) in wanted:
                out[kind][tf] = node(types, fqn)
    missing = sorted(f"{k} {t}" for k, t in wanted if t not in out[k] and t != "terraform_remote_state")
    if missing:
        print("not in any provider package:", ", ".join(missing), file=sys.stderr)
    lines = ["{"]
    sections = list(out.items())
    for si, (section, entries) in enumerate(sections):
        lines.append(f' "{section}": {{')
        items = sorted(entries.items())
        for i, (k, v) in enumerate(items):
            comma = "," if i < len(items) - 1 else ""
            lines.append(f"  {json.dumps(k)}: {json.dumps(v, separators=(',', ':'))}{comma}")
        lines.append(" }" + ("," if si < len(sections) - 1 else ""))
    lines.append("}")
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {sum(len(out[k]) for k in ('resource', 'data', 'provider'))} types, "
          f"{OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
