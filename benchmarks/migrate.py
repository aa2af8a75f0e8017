"""Migration figures, one run: plan a large colocation, and compare two large recordings.

1. ``migrate.plan`` on the reference estate with N colocation workloads (2,000 full, 100 --quick;
   ``tradeplane.migrate.synth``) and about 5 dependencies each (about 10,000 full): units, waves and every
   per-wave proof, proven incrementally (only what each wave changes). Then a few waves (first,
   middle, last) re-proven whole (``prove``): the ratio whole / incremental per wave, and whether
   the verdicts are equal. With several ``--workloads`` sizes, the growth exponent of a wave's proof.
2. ``migrate.compare`` over two Parquet recordings of E events (10 million full, 200,000 --quick)
   with one event lost and one duplicated, against a pandas merge of the same two recordings:
   events/s and peak memory (tracemalloc for ours; the merge holds both in memory).

Usage: python benchmarks/migrate.py [--quick] [--part all|plan|compare] [--workloads N ...] [--events E]
"""

from __future__ import annotations

import argparse
import math
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
from tradeplane.migrate.proof import finding_key, prove
from tradeplane.migrate.synth import colocation

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = ["type", "venue", "symbol", "seq", "ts_exchange", "ts_recv", "price", "qty", "payload"]


def load_estate(n: int, deps: int, max_wave: int, tmp: Path) -> est.Estate:
    out = tmp / f"estate-{n}"
    shutil.copytree(ROOT / "examples" / "dv-trading", out)
    # n2-standard-4: 2,000 of them fit us-central1's n2 allowance (4 zones x 2,400 vCPUs); n2-standard-8 do not.
    data = {"colocation": colocation(n, deps, max_wave=max_wave, machine_type="n2-standard-4")}
    (out / "colocation.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return est.load(out)


def bench_plan(n: int, deps: int, max_wave: int, samples: int, tmp: Path) -> tuple[float, float, float]:
    """Plan with incremental proofs, then re-prove ``samples`` waves whole (first, ..., last);
    returns (workloads, mean incremental s/wave, whole-stage s of the last sampled wave or 0)."""
    e = load_estate(n, deps, max_wave, tmp)
    colo = e.colocation
    assert colo is not None
    ndeps = sum(len(w.depends_on) for w in colo.workloads)
    t = time.perf_counter()
    p = migrate.plan(e)
    dt = time.perf_counter() - t
    per = [w.proof.seconds for w in p.waves]
    inc_mean = sum(per) / max(1, len(per))
    print(f"plan: {n:,} colocation workloads, {ndeps:,} dependencies -> {len(p.waves)} waves "
          f"({'all ready' if p.ok else 'some blocked'}) in {dt:,.1f} s; incremental proof per wave: mean "
          f"{inc_mean:,.2f} s, max {max(per, default=0):,.2f} s; baseline (stage 0) {p.baseline.seconds:,.1f} s",
          flush=True)
    base_keys = {finding_key(f) for f in p.baseline.findings}
    last_whole = 0.0
    picks = sorted({round(i * (len(p.waves) - 1) / max(1, samples - 1)) for i in range(samples)}) if p.waves else []
    if samples == 1 and p.waves:
        picks = [len(p.waves) - 1]  # one sample: the last wave, where the stage is largest
    blocked: dict[str, int] = {}
    for w in p.waves:
        for line in w.blocking:
            key = line.split(":", 1)[0]
            blocked[key] = blocked.get(key, 0) + 1
    if blocked:
        first = next(line for w in p.waves for line in w.blocking)
        print(f"  blocked: {blocked} (first: {first[:160]})", flush=True)
    for i in picks:
        w = p.waves[i]
        moved = [x for v in p.waves[:i + 1] for x in v.wave.workloads]
        whole = prove(e, moved, base_keys)
        same = ({c.name: (c.ok, c.problems) for c in whole.checks}
                == {c.name: (c.ok, c.problems) for c in w.proof.checks})
        print(f"  wave {w.number}/{len(p.waves)} ({len(moved):,} moved): whole stage {whole.seconds:,.2f} s, "
              f"incremental {w.proof.seconds:,.2f} s ({w.proof.mode}): ratio {whole.seconds / w.proof.seconds:,.1f}x, "
              f"verdicts {'equal' if same else 'DIFFER'}", flush=True)
        last_whole = whole.seconds
    return float(n), inc_mean, last_whole


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


def _run_compare(kind: str, left: str, right: str) -> tuple[float, int, int, dict[str, Any]]:
    """One side of the comparison in a fresh process: (seconds, tracemalloc peak, peak RSS growth over the
    imports, result). Linux only (/proc, ru_maxrss in KiB)."""
    import resource

    import pandas as pd
    import pyarrow.compute  # noqa: F401 - what compare imports lazily: imported before timing, as in a warm process

    page = resource.getpagesize()
    with open("/proc/self/statm", encoding="ascii") as f:
        before = int(f.read().split()[1]) * page  # resident now: the interpreter and its imports
    tracemalloc.start()
    t = time.perf_counter()
    if kind == "ours":
        r = migrate.compare(Path(left), Path(right))
        out = {"events": r.left.events + r.right.events, "missing": r.missing, "duplicated": r.right.duplicated,
               "p50_us": r.p50_us, "p99_us": r.p99_us}
    else:
        cols = ["venue", "symbol", "type", "seq", "ts_recv", "price", "qty", "ts_exchange"]
        a = pd.read_parquet(left, columns=cols)
        b = pd.read_parquet(right, columns=cols)
        m = a.merge(b, on=["venue", "symbol", "type", "seq"], how="outer", suffixes=("_l", "_r"), indicator=True)
        lat = (m["ts_recv_r"] - m["ts_recv_l"]).dropna() / 1000
        out = {"missing": int((m["_merge"] == "left_only").sum()), "p50_us": float(lat.quantile(0.5)),
               "p99_us": float(lat.quantile(0.99))}
    seconds = time.perf_counter() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before  # Linux: KiB; growth over imports
    return seconds, peak, rss, out


def bench_compare(events: int, tmp: Path) -> None:
    """Both sides in fresh processes (spawn), so each peak RSS is its own; tracemalloc misses Arrow's pool."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    left, right = tmp / "colo.parquet", tmp / "gcp.parquet"
    write_recording(left, events, 5_000, lose=-1, dup=-1)
    write_recording(right, events, 4_005_000, lose=events // 2, dup=events // 3)
    runs = {}
    for kind in ("ours", "pandas"):
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
            runs[kind] = pool.submit(_run_compare, kind, str(left), str(right)).result()
    (ours, ours_peak, ours_rss, r), (theirs, theirs_peak, theirs_rss, _) = runs["ours"], runs["pandas"]
    assert (r["missing"], r["duplicated"]) == (1, 1), r
    total = r["events"]
    mib = 2**20
    print(f"compare: {events:,} events a side; ours {total / ours:,.0f} events/s, peak {ours_peak / mib:,.0f} MiB "
          f"traced / {ours_rss / mib:,.0f} MiB RSS growth (p50 {r['p50_us']:,.0f} µs, p99 {r['p99_us']:,.0f} µs, missing "
          f"{r['missing']}, duplicated {r['duplicated']}); pandas merge {total / theirs:,.0f} events/s, peak "
          f"{theirs_peak / mib:,.0f} MiB traced / {theirs_rss / mib:,.0f} MiB RSS growth", flush=True)
    print(f"ratio: speed ours/pandas {theirs / ours:.2f}x; memory pandas/ours {theirs_rss / max(1, ours_rss):.1f}x RSS, "
          f"{theirs_peak / max(1, ours_peak):.1f}x traced (ours also finds duplicates and reorders, which a merge "
          f"does not)", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--part", choices=["all", "plan", "compare"], default="all")
    ap.add_argument("--workloads", type=int, nargs="*", help="plan sizes (default 2,000; --quick 100)")
    ap.add_argument("--events", type=int, help="events a side for compare (default 10,000,000; --quick 200,000)")
    ap.add_argument("--samples", type=int, default=3, help="waves re-proven whole for the ratio")
    args = ap.parse_args()
    sizes = args.workloads or ([100] if args.quick else [2_000])
    events = args.events or (200_000 if args.quick else 10_000_000)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if args.part in ("all", "compare"):
            bench_compare(events, tmp)
        if args.part in ("all", "plan"):
            points = [bench_plan(n, 6, max(10, n // 40), args.samples, tmp) for n in sizes]
            if len(points) > 1:
                (n0, t0, w0), (n1, t1, w1) = points[0], points[-1]
                grow = math.log(n1 / n0)
                print(f"growth ({n0:,.0f} -> {n1:,.0f} workloads, waves of at most workloads/40): incremental "
                      f"s/wave ~ workloads^{math.log(t1 / t0) / grow:.2f}"
                      + (f"; whole-stage proof of the last wave ~ workloads^{math.log(w1 / w0) / grow:.2f}"
                         if w0 and w1 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
