"""Self-serve: the time to evaluate a request against a plain ``plan`` of the same estate.

``evaluate`` patches a temporary copy (ruamel round trip), plans the patched estate and the
original, and compares them. Its peer is one plain ``tradeplane plan`` (load + ``plan.build``) of
the same estate: with the original's plan memoised (the console's and the CLI's steady state) a
request should cost about one plan; cold, about two. Printed, in one run, on the reference estate
(examples/dv-trading) and a synthetic one (``estate.synth``), for a new workload near a venue:

    plan s | evaluate cold s (ratio) | evaluate warm s (ratio) | patch + diff only s

    uv run python benchmarks/selfserve.py [--quick]   # --quick: a 200-subnet synthetic estate (else 2,000)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from tradeplane import estate as est
from tradeplane import plan
from tradeplane.estate.synth import synthetic, write_directory
from tradeplane.selfserve import evaluate, forget_plans, parse_request
from tradeplane.selfserve.document import EstateDocument

ROOT = Path(__file__).resolve().parents[1]


def _write_synthetic(root: Path, subnets: int) -> Path:
    return write_directory(synthetic(subnets), root)


def measure(path: Path, request: dict[str, Any]) -> dict[str, float]:
    req = parse_request(request)
    start = time.perf_counter()
    e = est.load(path)
    plan.build(e)
    plain = time.perf_counter() - start

    start = time.perf_counter()
    doc = EstateDocument.load(path)
    req.apply(doc, e)
    doc.diff(path.parent, doc.texts())
    patch = time.perf_counter() - start

    forget_plans()
    start = time.perf_counter()
    cold_outcome = evaluate(path, req)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    warm_outcome = evaluate(path, req)
    warm = time.perf_counter() - start
    assert cold_outcome.to_json() == warm_outcome.to_json()
    return {"plan": plain, "cold": cold, "warm": warm, "patch": patch, "verdict": cold_outcome.verdict == "acceptable",
            "added": len(cold_outcome.terraform.get("added", []))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a 200-subnet synthetic estate (else 2,000)")
    args = parser.parse_args()
    plan.build(est.load(ROOT / "examples/small"))  # warm imports and caches
    cases: list[tuple[str, Path, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        n = 200 if args.quick else 2000
        synth = _write_synthetic(Path(tmp), n)
        cases.append(("dv-trading", ROOT / "examples/dv-trading",
                      {"kind": "workload", "name": "cme-spreader", "desk": "futures", "near": "cme-globex",
                       "venues": ["cme-globex"], "latency_us": 9000, "ports": [9300]}))
        cases.append((f"synthetic {n:,} subnets", synth,
                      {"kind": "workload", "name": "new-strategy", "desk": "desk-0", "near": "cme-globex",
                       "latency_us": 400_000}))
        print(f"{'estate':<24}{'plan s':>9}{'evaluate cold s':>17}{'ratio':>7}{'evaluate warm s':>17}{'ratio':>7}"
              f"{'patch+diff s':>14}  outcome")
        for name, path, request in cases:
            r = measure(path, request)
            print(f"{name:<24}{r['plan']:9.2f}{r['cold']:17.2f}{r['cold'] / r['plan']:7.2f}{r['warm']:17.2f}"
                  f"{r['warm'] / r['plan']:7.2f}{r['patch']:14.3f}  "
                  f"{'acceptable' if r['verdict'] else 'refused'}, +{r['added']} resources", flush=True)
    print("\nratio = evaluate / plain plan on the same estate: cold plans twice (patched and original), "
          "warm reuses the original's plan (memoised by content).")


if __name__ == "__main__":
    main()
