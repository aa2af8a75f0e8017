"""Ingest and allocate generated FOCUS data: DuckDB (ours) against plain pandas, in one run.

    uv run python benchmarks/finops.py              # 10 million rows (a few minutes)
    uv run python benchmarks/finops.py --rows 2000000
    uv run python benchmarks/finops.py --quick      # 300k rows, seconds

The generated data is cached in the temp directory (keyed by row count and generator
source), so a second run skips generation; --fresh regenerates.

Generates hourly FOCUS 1.2 Parquet (AWS + GCP) for the reference estate with the fleets
scaled up, then runs each engine in its own child process (so each peak RSS is its own):

* duckdb: ``tradeplane.finops.open_session`` = validate every file, normalise, allocate
  (tags/accounts, shared-cost rules) into the ``allocated`` table, memory-limited;
* pandas: the same allocation written plainly with pandas, reading the Parquet in
  row-group batches (needed columns only) so it fits in memory at all.

Both results are compared desk by desk (they must agree to the cent), then rows per
second and peak memory are printed with the ratio DuckDB / pandas.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ESTATE = ROOT / "examples" / "dv-trading"
END = date(2026, 11, 24)


def _rss_mib() -> float:
    """Peak resident memory of this process (VmHWM; ru_maxrss would carry the parent's over exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def generate(out: Path, rows: int) -> dict[str, Any]:
    from tradeplane import estate as est
    from tradeplane.finops import generate as gen

    e = est.load(ESTATE)
    days = 30 if rows >= 1_000_000 else 14
    with tempfile.TemporaryDirectory() as probe:
        r1 = gen(e, Path(probe) / "s1", end=END, days=1, slices=24, scale=1, inject=False).rows
        r2 = gen(e, Path(probe) / "s2", end=END, days=1, slices=24, scale=2, inject=False).rows
    per_scale = max(1, r2 - r1)
    scale = max(1, math.ceil((rows / days - r1) / per_scale) + 1)
    t = time.perf_counter()
    res = gen(e, out, end=END, days=days, slices=24, scale=scale)
    return {"rows": res.rows, "files": res.files, "days": days, "scale": scale,
            "seconds": time.perf_counter() - t}


def run_duckdb(files: list[str], memory_limit: str) -> dict[str, Any]:
    from tradeplane import estate as est
    from tradeplane.finops import BillingDbConfig, open_session

    e = est.load(ESTATE)
    t = time.perf_counter()
    with open_session(e, files, db=BillingDbConfig(memory_limit=memory_limit)) as s:
        by_desk = dict(s.con.execute("SELECT desk, round(sum(cost), 2) FROM allocated GROUP BY desk").fetchall())
        (n,), = s.con.execute("SELECT count(*) FROM billing").fetchall()
    return {"seconds": time.perf_counter() - t, "rows": int(n), "by_desk": by_desk, "peak_rss_mib": _rss_mib()}


def run_pandas(files: list[str]) -> dict[str, Any]:
    import pandas as pd
    import pyarrow.parquet as pq

    from tradeplane import estate as est
    from tradeplane.finops import default_rules
    from tradeplane.finops.allocation import maps_of

    e = est.load(ESTATE)
    m = maps_of(e)
    rules = default_rules(e)
    desks = set(m.desks)
    acct_desk = dict(m.account_desk)
    acct_ids = m.accounts
    cols = ["ChargePeriodStart", "ProviderName", "SubAccountId", "ServiceName", "ServiceCategory", "ResourceType",
            "ConsumedQuantity", "ConsumedUnit", "EffectiveCost", "Tags"]
    t = time.perf_counter()
    direct_parts, pool_parts, usage_parts = [], [], []
    n = 0
    for f in files:
        pf = pq.ParquetFile(f)
        for batch in pf.iter_batches(batch_size=500_000, columns=cols):
            df = batch.to_pandas()
            n += len(df)
            tags = df["Tags"].map(lambda t: {k.removeprefix("user:"): v for k, v in t} if isinstance(t, list)
                                  else {x["key"]: x["value"] for x in t} if t is not None else {})
            df["tag_desk"] = tags.map(lambda d: d.get("desk"))
            df = df.drop(columns=["Tags"])
            df["day"] = df["ChargePeriodStart"].dt.date
            df["provider"] = df["ProviderName"].map(lambda p: "aws" if "Amazon" in p else "gcp")
            acct = df["SubAccountId"].map(acct_desk)
            df["desk"] = df["tag_desk"].where(df["tag_desk"].isin(desks), acct)
            df["rule"] = None
            for r in reversed(rules.shared):  # first rule wins
                mask = pd.Series(True, index=df.index)
                if r.match.service:
                    mask &= df["ServiceName"].isin(r.match.service)
                if r.match.resource_type:
                    mask &= df["ResourceType"].isin(r.match.resource_type)
                if r.match.accounts:
                    mask &= df["SubAccountId"].isin([acct_ids.get(a, a) for a in r.match.accounts])
                df.loc[mask, "rule"] = r.name
                if r.split == "by_usage" and r.usage is not None:
                    u = df["ResourceType"].isin(r.usage.resource_type) & (df["ConsumedUnit"] == r.usage.unit) \
                        & df["desk"].notna()
                    usage_parts.append(df[u].groupby(["day", "desk"])["ConsumedQuantity"].sum()
                                       .rename("w").reset_index().assign(rule=r.name))
            shared = df["rule"].notna()
            direct_parts.append(df[~shared].assign(desk=df["desk"].fillna("unallocated"))
                                .groupby(["day", "desk"])["EffectiveCost"].sum().reset_index())
            pool_parts.append(df[shared].groupby(["day", "rule"])["EffectiveCost"].sum().reset_index())
    direct = pd.concat(direct_parts).groupby(["day", "desk"])["EffectiveCost"].sum().reset_index()
    pool = pd.concat(pool_parts).groupby(["day", "rule"])["EffectiveCost"].sum().reset_index()
    weights = []
    for r in rules.shared:
        days = pool.loc[pool["rule"] == r.name, ["day"]]
        if r.split == "proportional":
            w = direct[direct["desk"] != "unallocated"].rename(columns={"EffectiveCost": "w"})
            if r.desks:
                w = w[w["desk"].isin(r.desks)]
            weights.append(w.assign(rule=r.name))
        elif r.split == "by_usage":
            parts = [p for p in usage_parts if len(p) and p["rule"].iloc[0] == r.name]
            if parts:
                weights.append(pd.concat(parts).groupby(["day", "desk", "rule"])["w"].sum().reset_index())
        else:
            pairs = sorted(r.shares.items()) if r.split == "fixed" else [(d, 1.0) for d in (r.desks or m.desks)]
            v = pd.DataFrame(pairs, columns=["desk", "w"])
            weights.append(days.merge(v, how="cross").assign(rule=r.name))
    w = pd.concat(weights)
    w = w.groupby(["day", "rule", "desk"])["w"].sum().reset_index()
    w = w[w["w"] > 0]
    w["share"] = w["w"] / w.groupby(["day", "rule"])["w"].transform("sum")
    split = pool.merge(w, on=["day", "rule"], how="left")
    split["desk"] = split["desk"].fillna("unallocated")
    split["cost"] = split["EffectiveCost"] * split["share"].fillna(1.0)
    total = pd.concat([direct.rename(columns={"EffectiveCost": "cost"})[["desk", "cost"]], split[["desk", "cost"]]])
    by_desk = {k: round(float(v), 2) for k, v in total.groupby("desk")["cost"].sum().items()}
    return {"seconds": time.perf_counter() - t, "rows": n, "by_desk": by_desk, "peak_rss_mib": _rss_mib()}


def _cache_dir(rows: int) -> Path:
    src = (ROOT / "src" / "tradeplane" / "finops" / "generate.py").read_bytes()
    key = hashlib.sha256(src).hexdigest()[:10]
    return Path(tempfile.gettempdir()) / f"tradeplane-finops-bench-{rows}-{key}"


def _child(engine: str, files: list[str], memory_limit: str) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", engine, "--memory-limit", memory_limit, *files]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000, help="FOCUS rows to generate (default 10M)")
    ap.add_argument("--quick", action="store_true", help="300k rows, for a run in seconds")
    ap.add_argument("--memory-limit", default="2GB", help="DuckDB memory limit")
    ap.add_argument("--data", type=Path, help="generate into (or reuse) this directory (default: a temp cache)")
    ap.add_argument("--fresh", action="store_true", help="regenerate even if cached data exists")
    ap.add_argument("--child", choices=["duckdb", "pandas"], help=argparse.SUPPRESS)
    ap.add_argument("files", nargs="*", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        res = run_duckdb(a.files, a.memory_limit) if a.child == "duckdb" else run_pandas(a.files)
        print(json.dumps(res, default=str))
        return
    rows = 300_000 if a.quick else a.rows
    out = a.data or _cache_dir(rows)
    manifest = out / "manifest.json"
    if manifest.exists() and not a.fresh:
        m = json.loads(manifest.read_text())
        gen = {"rows": m["rows"], "files": m["files"], "seconds": 0.0, "days": "cached", "scale": "?"}
        print(f"reusing generated data in {out} (--fresh to regenerate)")
    else:
        gen = generate(out, rows)
    size = sum(Path(f).stat().st_size for f in gen["files"]) / 2**20
    if gen["days"] == "cached":
        print(f"{gen['rows']:,} FOCUS rows, {size:,.0f} MiB Parquet")
    else:
        print(f"generated {gen['rows']:,} FOCUS rows ({gen['days']} days hourly, fleets x{gen['scale']}), "
              f"{size:,.0f} MiB Parquet in {gen['seconds']:.1f} s")
    duck = _child("duckdb", gen["files"], a.memory_limit)
    pand = _child("pandas", gen["files"], a.memory_limit)
    agree = set(duck["by_desk"]) == set(pand["by_desk"]) and all(
        abs(duck["by_desk"][k] - pand["by_desk"][k]) <= 0.05 for k in duck["by_desk"])
    print(f"{'engine':8} {'seconds':>9} {'rows/s':>14} {'peak RSS MiB':>13}")
    for name, r in (("duckdb", duck), ("pandas", pand)):
        print(f"{name:8} {r['seconds']:9.2f} {r['rows'] / r['seconds']:14,.0f} {r['peak_rss_mib']:13,.0f}")
    print(f"allocations agree desk by desk: {'yes' if agree else 'NO'}")
    if not agree:
        print(json.dumps({"duckdb": duck["by_desk"], "pandas": pand["by_desk"]}, indent=1, sort_keys=True))
    print(f"ratio: duckdb is {pand['seconds'] / duck['seconds']:.2f}x the throughput of pandas, "
          f"with {duck['peak_rss_mib'] / pand['peak_rss_mib']:.2f}x its peak memory "
          f"(duckdb memory_limit {a.memory_limit})")
    if not agree:
        sys.exit(1)


if __name__ == "__main__":
    main()
