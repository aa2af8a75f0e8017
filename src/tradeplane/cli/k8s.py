"""`tradeplane k8s render`: Kubernetes manifests per GKE cluster, from the same solve as the VMs."""

from __future__ import annotations

from pathlib import Path

import typer

from tradeplane import estate as est
from tradeplane.cli.output import Table, console, print_json
from tradeplane.errors import Problem, UnsupportedError

app = typer.Typer(no_args_is_help=True, help="Kubernetes scheduling on GKE compiled from the placement solve.")


@app.command()
def render(path: Path = typer.Argument(..., help="estate directory", show_default=False),
           output: Path = typer.Option(..., "-o", "--output", help="write the manifests here, a folder per cluster"),
           json: bool = typer.Option(False, "--json", help="print JSON instead of tables")) -> None:
    """Node-pool affinity, tolerations, anti-affinity, spread, PDBs and priority classes per cluster."""
    from tradeplane import k8s
    from tradeplane.plan import kubernetes
    from tradeplane.writing import check_dir

    check_dir(output)  # before any work: a file or an unwritable folder is one line, and nothing is touched
    e = est.load(path)
    manifests, problems = kubernetes(e)
    if problems:
        raise UnsupportedError("GKE cannot schedule the estate as declared", [Problem(p) for p in problems])
    files = k8s.write(manifests, output)
    if json:
        print_json({"clusters": {m.cluster: sorted(m.files) for m in manifests},
                    "files": [str(f) for f in files]})
        return
    table = Table("cluster", "workload", "desk", "class", "replicas", "zones", "anti-affinity")
    for m in manifests:
        for d in m.documents():
            if d["kind"] != "Deployment":
                continue
            meta, spec = d["metadata"], d["spec"]
            anti = spec["template"]["spec"]["affinity"].get("podAntiAffinity", {})
            legs = sorted({v for t in anti.get("requiredDuringSchedulingIgnoredDuringExecution", [])
                           for x in t["labelSelector"]["matchExpressions"] for v in x["values"]})
            table.add_row(m.cluster, meta["name"], meta["namespace"], meta["labels"]["tradeplane.io/latency-class"],
                          str(spec["replicas"]), meta["annotations"]["tradeplane.io/zones"], ", ".join(legs))
    console.print(table)
    console.print(f"wrote {len(files)} files to {output}")
