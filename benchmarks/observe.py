"""Burn-rate alerting against a plain threshold alert, on a replayed month of a synthetic SLI.

The SLI is one minute of events at a time (1,000 events a minute, a 99.9% objective over 28 days):
background errors at a third of the budget with Poisson noise, short error spikes that burn almost
nothing (deploys, a venue hiccup), and injected real burns of different speeds. Both alerting
schemes read the same minutes:

* the standard: ``tradeplane.observe``'s multi-window multi-burn-rate alerts (page 2%/1h and
  5%/6h, ticket 10%/3d, short windows 1/12, factors from the window) with its pending time;
* a plain threshold: page when the 5-minute error ratio exceeds the SLO's error budget (0.1%)
  for 5 minutes, the alert most teams start with.

A page is false when it starts outside a real burn (a burn counts until one hour after it ends).
Printed: detection time of each real burn for each scheme, false pages, and their ratios; then the
render time of 500 SLOs (``observe.render_standard``) against 50, per SLO.

    uv run python benchmarks/observe.py [--quick] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime
from itertools import accumulate

from tradeplane import estate as est
from tradeplane import observe
from tradeplane.estate.model import Sli, Slo
from tradeplane.observe.standard import burn_windows

EVENTS = 1000
OBJECTIVE = 99.9
WINDOW_DAYS = 28
BUDGET = 1 - OBJECTIVE / 100
PENDING_MIN = 2
# (start minute, duration minutes, burn rate in budgets): real burns to catch.
BURNS = ((3 * 1440 + 600, 45, 30.0), (8 * 1440 + 200, 300, 8.0), (13 * 1440, 2 * 1440, 2.0),
         (19 * 1440 + 900, 12, 100.0), (24 * 1440 + 60, 150, 15.0))


def month(seed: int, minutes: int) -> list[int]:
    """Bad events per minute."""
    rng = random.Random(seed)
    rate = [BUDGET / 3] * minutes
    for start, length, burn in BURNS:
        for m in range(start, min(minutes, start + length)):
            rate[m] = BUDGET * burn
    for _ in range(minutes // 720):  # about two short spikes a day: 2-6 minutes at 1.5% errors
        s = rng.randrange(minutes)
        for m in range(s, min(minutes, s + rng.randint(2, 6))):
            rate[m] = max(rate[m], 0.015)
    return [_poisson(rng, EVENTS * r) for r in rate]


def _poisson(rng: random.Random, lam: float) -> int:
    if lam > 50:
        return max(0, round(rng.gauss(lam, lam ** 0.5)))
    n, p, limit = 0, 1.0, pow(2.718281828459045, -lam)
    while True:
        p *= rng.random()
        if p <= limit:
            return n
        n += 1


def episodes(active: list[bool], pending: int) -> list[int]:
    """Minutes at which an alert starts firing (active for ``pending`` minutes first)."""
    out, run = [], 0
    for m, a in enumerate(active):
        run = run + 1 if a else 0
        if run == pending + 1:
            out.append(m)
    return out


def standard_alerts(bad: list[int]) -> tuple[list[int], list[int]]:
    """(page starts, ticket starts) of the standard's burn-rate alerts."""
    pre = [0, *accumulate(bad)]

    def ratio(m: int, w: int) -> float:
        lo = max(0, m + 1 - w)
        return (pre[m + 1] - pre[lo]) / (EVENTS * (m + 1 - lo))

    pages: set[int] = set()
    tickets: set[int] = set()
    for w in burn_windows(WINDOW_DAYS):
        long_m, short_m = int(w.long.total_seconds() // 60), int(w.short.total_seconds() // 60)
        theta = w.threshold(OBJECTIVE)
        active = [ratio(m, long_m) > theta and ratio(m, short_m) > theta for m in range(len(bad))]
        (pages if w.severity == "page" else tickets).update(episodes(active, PENDING_MIN))
    return _dedupe(sorted(pages)), _dedupe(sorted(tickets))


def threshold_alerts(bad: list[int]) -> list[int]:
    pre = [0, *accumulate(bad)]
    active = [(pre[m + 1] - pre[max(0, m - 4)]) / (EVENTS * (m + 1 - max(0, m - 4))) > BUDGET
              for m in range(len(bad))]
    return episodes(active, 5)


def _dedupe(starts: list[int], gap: int = 60) -> list[int]:
    """Starts of separate incidents (a page within ``gap`` minutes of the last is the same one)."""
    out: list[int] = []
    for s in starts:
        if not out or s - out[-1] > gap:
            out.append(s)
    return out


def score(starts: list[int], minutes: int) -> tuple[list[int | None], int]:
    detect: list[int | None] = []
    real = [(s, min(minutes, s + d + 60)) for s, d, _ in BURNS if s < minutes]
    for s, e in real:
        hit = next((x for x in starts if s <= x < e), None)
        detect.append(None if hit is None else hit - s)
    false = sum(1 for x in starts if not any(s <= x < e for s, e in real))
    return detect, false


def render_time(n: int, base: est.Estate) -> float:
    o = base.observability
    extra = tuple(Slo(name=f"bench-{i:04d}", description=f"synthetic {i}", objective=99.9, window_days=28,
                      desk="equities", team="eq-exec",
                      indicator=Sli(good=f'orders_accepted_total{{venue="v{i}"}}',
                                    total=f'orders_requests_total{{venue="v{i}"}}'))
                  for i in range(n))
    e = base.model_copy(update={"observability": o.model_copy(update={
        "slos": extra, "builtin": o.builtin.model_copy(update={k: getattr(o.builtin, k).model_copy(
            update={"enabled": False}) for k in type(o.builtin).model_fields})})})
    t = time.perf_counter()
    files = observe.render(e, datetime(2026, 12, 1, tzinfo=UTC))
    elapsed = time.perf_counter() - t
    assert len([f for f in files if f.endswith(".rules.yml")]) == n
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100 SLOs instead of 500 for the render figure")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    minutes = WINDOW_DAYS * 1440 + 2 * 1440
    bad = month(args.seed, minutes)
    pages, tickets = standard_alerts(bad)
    plain = _dedupe(threshold_alerts(bad))
    s_detect, s_false = score(sorted({*pages, *tickets}), minutes)
    p_detect, p_false = score(plain, minutes)
    _, s_false_pages = score(pages, minutes)
    print(f"replayed {minutes:,} minutes ({minutes // 1440} days), {EVENTS} events/min, objective {OBJECTIVE}%")
    print(f"{'real burn':<32} {'standard':>12} {'threshold':>12}")
    for (_, length, burn), a, b in zip(BURNS, s_detect, p_detect, strict=True):
        label = f"{burn:g}x budget for {length} min"
        print(f"{label:<32} {_t(a):>12} {_t(b):>12}")
    print(f"{'false pages':<32} {s_false_pages:>12} {p_false:>12}")
    caught = sum(x is not None for x in s_detect)
    print(f"standard: caught {caught}/{len(BURNS)} real burns; false pages {s_false_pages} (tickets {len(tickets)} "
          f"incl. {s_false - s_false_pages if s_false > s_false_pages else 0} false)")
    print(f"ratio false pages threshold/standard: {p_false / max(1, s_false_pages):.1f}x "
          f"({p_false} vs {s_false_pages})")
    both = [(a, b) for a, b in zip(s_detect, p_detect, strict=True) if a is not None and b is not None]
    if both:
        print(f"ratio mean detection time standard/threshold: "
              f"{sum(a for a, _ in both) / max(1, sum(b for _, b in both)):.2f}x (slower detection buys fewer pages)")
    base = est.load("examples/dv-trading")
    n = 100 if args.quick else 500
    small, big = render_time(n // 10, base), render_time(n, base)
    print(f"render {n} SLOs: {big:.2f} s ({big / n * 1000:.1f} ms per SLO); {n // 10} SLOs: {small:.2f} s; "
          f"per-SLO ratio {(big / n) / (small / (n // 10)):.2f}x (1.0 = linear)")


def _t(minutes: int | None) -> str:
    return "missed" if minutes is None else f"{minutes} min"


if __name__ == "__main__":
    main()

