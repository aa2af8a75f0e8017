"""Resources rendered per second on a synthetic estate of about 10,000 resources.

The peer is Terraform itself: ``terraform fmt -check`` only reads and re-formats the
same files, so the ratio says how our whole compile (estate -> checked HCL) compares
with the cheapest pass Terraform makes over its output. Without a terraform binary
the peer is python-hcl2 parsing the output.

It also times the checks that run on the output: the provider-schema validation
(``check_schema``: every block against the hashicorp/aws and hashicorp/google schemas) and the
conformance checks (``check_conformance``: guardrails, alert delivery, placement, links,
secret access, project services), as resources checked per second and as a share of the
render time. Both walk the block structure the renderer hands on (``Rendered.blocks``); the
same checks re-reading the text with ``schema.scan`` are timed too, as their peer.

    uv run python benchmarks/terraform_render.py           # ~10,000 resources
    uv run python benchmarks/terraform_render.py --quick   # ~1,000 resources
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from tradeplane.estate import load_text
from tradeplane.estate.synth import render_mix
from tradeplane.plan import render_terraform
from tradeplane.terraform import check_conformance, check_references, check_schema, write


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="about 1,000 resources, in seconds")
    parser.add_argument("--check", action="store_true",
                        help="also parse the output with python-hcl2 and walk every reference (slow: about a minute)")
    args = parser.parse_args()
    vpcs = 10 if args.quick else 140
    estate = load_text(yaml.safe_dump(render_mix(vpcs), sort_keys=False), "synthetic.yaml")
    render_terraform(estate)  # warm imports and family discovery
    start = time.perf_counter()
    rendered = render_terraform(estate)  # the observability standard's alerts, then the render
    seconds = time.perf_counter() - start
    n = rendered.total
    size = sum(len(t) for t in rendered.files.values())
    print(f"rendered {n} resources ({len(rendered.files)} files, {size / 1e6:.1f} MB of HCL) in {seconds:.3f} s: "
          f"{n / seconds:,.0f} resources/s")
    start = time.perf_counter()
    schema_findings = check_schema(rendered)
    schema_s = time.perf_counter() - start
    start = time.perf_counter()
    conformance_findings = check_conformance(rendered, estate)
    conformance_s = time.perf_counter() - start
    print(f"provider-schema check: {schema_s:.3f} s ({n / schema_s:,.0f} resources/s, {schema_s / seconds:.2f}x the "
          f"render time), {len(schema_findings)} findings")
    print(f"conformance checks: {conformance_s:.3f} s ({n / conformance_s:,.0f} resources/s, "
          f"{conformance_s / seconds:.2f}x the render time), {len(conformance_findings)} findings")
    start = time.perf_counter()
    text_findings = [*check_schema(rendered.files), *check_conformance(rendered.files, estate)]
    text_s = time.perf_counter() - start
    print(f"the same two checks re-reading the text (schema.scan): {text_s:.3f} s, {text_s / seconds:.2f}x the render "
          f"time; on the renderer's block structure they take {(schema_s + conformance_s) / text_s:.2f}x that "
          f"({len(text_findings)} findings)")
    for f in [*schema_findings, *conformance_findings][:5]:
        print(f"  {f}")
    problems: list[object] = [*schema_findings, *conformance_findings]
    walk = 0.0
    terraform = shutil.which("terraform")
    if args.check or args.quick or terraform is None:
        start = time.perf_counter()
        problems += list(check_references(rendered.files))
        walk = time.perf_counter() - start
        print(f"python-hcl2 parse + reference walk: {walk:.3f} s ({n / walk:,.0f} resources/s), "
              f"{len(problems)} dangling references")
    if terraform is None:
        print(f"peer: python-hcl2 parsing the output; render / parse speed ratio {walk / seconds:.2f}x")
        return 0 if not problems else 1
    with tempfile.TemporaryDirectory() as tmp:
        write(rendered, Path(tmp))
        start = time.perf_counter()
        done = subprocess.run([terraform, "fmt", "-check", "-recursive", tmp], capture_output=True, check=False)
        fmt = time.perf_counter() - start
    print(f"peer: terraform fmt -check over the same files: {fmt:.3f} s ({n / fmt:,.0f} resources/s), "
          f"exit {done.returncode}")
    print(f"ratio: our render is {fmt / seconds:.2f}x the speed of terraform fmt -check on its output")
    return 0 if not problems and done.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
