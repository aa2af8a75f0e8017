"""Migration figures, one run: plan a large colocation, and compare two large recordings.

1. ``migrate.plan`` on the reference estate with N colocation workloads (2,000 full, 100 --quick)
   and 5 dependencies each (10,000 full): units, waves and every per-wave proof (net verify,
   placement, latency across the Interconnect, capacity, cost, Terraform). Prints workloads/s.
2. ``migrate.compare`` over two Parquet recordings of E events (10 million full, 200,000 --quick)
   with one event lost and one duplicated, against a pandas merge of the same two recordings:
   events/s and peak memory (tracemalloc for ours; the merge holds both in memory).

Usage: python benchmarks/migrate.py [--quick]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from tradeplane import estate as est
from tradeplane import migrate

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = ["type", "venue", "symbol", "seq", "ts_exchange", "ts_recv", "price", "qty", "payload"]


def colocation(n: int, deps: int, seed: int = 1) -> dict[str, Any]:
    rng = random.Random(seed)
    hosts = [{"name": f"h{i:05d}", "address": f"172.16.{(i // 250) % 16}.{i % 250 + 1}"} for i in range(n)]
    racks = [{"name": f"r{i // 40:04d}", "monthly_usd": 9500, "hosts": hosts[i:i + 40]} for i in range(0, n, 40)]
    roles = ["market-data", "strategy", "order-gateway", "risk", "drop-copy", "monitoring"]
    workloads = []
    for i in range(n):
        # A layered DAG: a workload depends on earlier ones only (at most 40 back), like md -> strategy -> gateway.
        targets = sorted({rng.randrange(max(0, i - 40), i) for _ in range(deps)}) if i else []
        workloads.append({
            "name": f"w{i:05d}", "role": roles[i % len(roles)], "desk": "futures", "team": "fut-exec",
            "hosts": [f"h{i:05d}"], "listens_on": [9000], "cutover_minutes": 5,
            "depends_on": [{"workload": f"w{t:05d}", "ports": [9000]} for t in targets],
            "target": {"network": "gcp-trading", "subnet": "futures-trading", "machine_type": "n2-standard-8",
                       "tags": ["cme"]},
        })
    return {"site": "aurora-colo", "racks": racks, "workloads": workloads,
            "migration": {"venue": "cme-globex", "start": "2026-12-07", "soak_days": 0,
                          "max_wave_workloads": max(1, n // 10)}}


def bench_plan(n: int, deps: int, tmp: Path) -> None:
    out = tmp / "estate"
    shutil.copytree(ROOT / "examples" / "dv-trading", out)
    (out / "colocation.yaml").write_text(yaml.safe_dump({"colocation": colocation(n, deps)}), encoding="utf-8")
    e = est.load(out)
    colo = e.colocation
    assert colo is not None
    ndeps = sum(len(w.depends_on) for w in colo.workloads)
    t = time.perf_counter()
    p = migrate.plan(e)
    dt = time.perf_counter() - t
    print(f"plan: {n:,} colocation workloads, {ndeps:,} dependencies -> {len(p.waves)} waves, each proven "
          f"({'all ready' if p.ok else 'some blocked'}) in {dt:,.1f} s: {n / dt:,.0f} workloads/s, "
          f"{dt / max(1, len(p.waves)):,.2f} s per wave")


def write_recording(path: Path, events: int, lag_ns: int, lose: int, dup: int, batch: int = 1_000_000) -> None:
    import numpy as np

    schema = pa.schema([("type", pa.string()), ("venue", pa.string()), ("symbol", pa.string()), ("seq", pa.int64()),
                        ("ts_exchange", pa.int64()), ("ts_recv", pa.int64()), ("price", pa.int64()),
                        ("qty", pa.int64()), ("payload", pa.binary())])
    with pq.ParquetWriter(path, schema) as w:
        for start in range(1, events + 1, batch):
            seq = np.arange(start, min(events + 1, start + batch), dtype=np.int64)
            seq = seq[seq != lose]
            if start <= dup < start + batch:
                seq = np.sort(np.concatenate([seq, [dup]]))
            n = len(seq)
            t = 1_765_000_000_000_000_000 + seq * 1000
            table = pa.table({"type": pa.array(["trades"] * n), "venue": pa.array(["cme"] * n),
                              "symbol": pa.array(["ESZ6"] * n), "seq": seq, "ts_exchange": t,
                              "ts_recv": t + lag_ns + (seq % 97) * 10, "price": 500_000 + seq % 100,
                              "qty": seq % 7 + 1, "payload": pa.array([b""] * n, pa.binary())}, schema=schema)
            w.write_table(table)


def bench_compare(events: int, tmp: Path) -> None:
    import pandas as pd

    left, right = tmp / "colo.parquet", tmp / "gcp.parquet"
    write_recording(left, events, 5_000, lose=-1, dup=-1)
    write_recording(right, events, 4_005_000, lose=events // 2, dup=events // 3)
    tracemalloc.start()
    t = time.perf_counter()
    r = migrate.compare(left, right)
    ours = time.perf_counter() - t
    _, ours_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert (r.missing, r.right.duplicated) == (1, 1), r.to_json()
    tracemalloc.start()
    t = time.perf_counter()
    cols = ["venue", "symbol", "type", "seq", "ts_recv", "price", "qty", "ts_exchange"]
    a = pd.read_parquet(left, columns=cols)
    b = pd.read_parquet(right, columns=cols)
    m = a.merge(b, on=["venue", "symbol", "type", "seq"], how="outer", suffixes=("_l", "_r"), indicator=True)
    lat = (m["ts_recv_r"] - m["ts_recv_l"]).dropna() / 1000
    _ = (int((m["_merge"] == "left_only").sum()), float(lat.quantile(0.5)), float(lat.quantile(0.99)))
    theirs = time.perf_counter() - t
    _, theirs_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    total = r.left.events + r.right.events
    print(f"compare: {events:,} events a side; ours {total / ours:,.0f} events/s, peak {ours_peak / 2**20:,.0f} MiB "
          f"(p50 {r.p50_us:,.0f} µs, p99 {r.p99_us:,.0f} µs, missing {r.missing}, duplicated {r.right.duplicated}); "
          f"pandas merge {total / theirs:,.0f} events/s, peak {theirs_peak / 2**20:,.0f} MiB")
    print(f"ratio: speed ours/pandas {theirs / ours:.2f}x; memory pandas/ours {theirs_peak / max(1, ours_peak):.1f}x "
          f"(ours also finds duplicates and reorders, which a merge does not)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n, events = (100, 200_000) if args.quick else (2_000, 10_000_000)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        bench_compare(events, tmp)
        bench_plan(n, 5, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
