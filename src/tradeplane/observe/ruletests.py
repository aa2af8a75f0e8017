"""Generated ``promtool test rules`` unit tests: each alert fires, and resolves, at the evaluation
time the burn-rate arithmetic predicts.

For every SLO the test feeds a series that is good for ``LEAD``, fully bad for ``BURN``, then good
again, sampled at the scrape interval. A small model of the rules (Prometheus 2.x semantics:
closed range windows ``[t - w, t]``, ``rate`` with its extrapolation, ``for`` counted from the
first active evaluation) predicts, for each burn window, the first evaluation at which the alert
fires and the first at which it has resolved; the test asserts the alert list at those instants
and one evaluation before each. ``promtool`` then proves that the real rules agree with the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import accumulate
from typing import Any

from tradeplane.observe.rules import (
    BURN_ALERT,
    LINK_DOWN_ALERT,
    LINK_DOWN_FOR,
    alert_labels,
    le_value,
    number,
    rate_window,
)
from tradeplane.observe.standard import (
    SloSpec,
    Standard,
    duration,
    good_when,
    metric_of,
    selector_matchers,
    venue_links,
)

__all__ = ["BURN", "LEAD", "Prediction", "link_test", "predict", "slo_test"]

LEAD = timedelta(hours=1)
BURN = timedelta(minutes=30)
TAIL = timedelta(hours=7)
_COUNTER_START = 1000


@dataclass(frozen=True)
class Prediction:
    """Evaluation steps (indices) at which a burn window's alert starts firing and stops."""

    fires: int | None
    resolves: int | None


def _bad_at(i: int, dt: int) -> bool:
    t = i * dt
    return LEAD.total_seconds() < t <= (LEAD + BURN).total_seconds()


def _steps(dt: int) -> int:
    return int((LEAD + BURN + TAIL).total_seconds()) // dt


def _extrapolated_rate(values: Sequence[float], first: int, last: int, dt: int, rng: int) -> float | None:
    """Prometheus 2.x ``rate()`` of samples ``first..last`` (indices, spacing ``dt``) in a range of ``rng`` s
    ending at ``last``."""
    n = last - first + 1
    if n < 2:
        return None
    result = values[last] - values[first]
    sampled = (last - first) * dt
    to_start = float(first * dt - (last * dt - rng))
    to_end = 0.0
    avg = sampled / (n - 1)
    if result > 0 and values[first] >= 0:
        to_zero = sampled * (values[first] / result)
        to_start = min(to_start, to_zero)
    threshold = avg * 1.1
    interval = float(sampled)
    interval += to_start if to_start < threshold else avg / 2
    interval += to_end if to_end < threshold else avg / 2
    return result * (interval / sampled) / rng


def _kind(slo: SloSpec) -> tuple[str, str | None]:
    """The shape of an SLO's test series: ``gauge`` (with its good-when), ``count``, ``bad`` or ``good``."""
    s = slo.sli
    if s.gauge is not None and s.good_when is not None:
        return "gauge", s.good_when
    if s.histogram is not None:
        return "count", None
    return ("bad", None) if s.bad is not None else ("good", None)


def _series(slo: SloSpec, dt: int) -> dict[str, list[float]]:
    """Input series (by role) of one SLO's test: counters, histogram counters or the gauge."""
    return {k: list(v) for k, v in _series_of(*_kind(slo), dt)}


@lru_cache(maxsize=64)
def _series_of(kind: str, when: str | None, dt: int) -> tuple[tuple[str, tuple[float, ...]], ...]:
    """The series of one shape (the same for every SLO of that shape: computed once per render)."""
    n = _steps(dt) + 1
    bad = [1 if _bad_at(i, dt) else 0 for i in range(n)]
    if kind == "gauge" and when is not None:
        op, v = good_when(when)
        x = float(v)
        good_v, bad_v = {"==": (x, x + 1), "!=": (x + 1, x), "<=": (x - 1, x + 1), "<": (x - 1, x + 1),
                         ">=": (x + 1, x - 1), ">": (x + 1, x - 1)}[op]
        return (("gauge", tuple(bad_v if b else good_v for b in bad)),)
    bad_cum = list(accumulate(bad))
    total = tuple(float(_COUNTER_START + i) for i in range(n))
    good = tuple(t - b for t, b in zip(total, bad_cum, strict=True))
    if kind == "count":
        return (("count", total), ("bucket", good))
    if kind == "bad":
        return (("bad", tuple(float(b) for b in bad_cum)), ("total", total))
    return (("good", good), ("total", total))


def predict(standard: Standard, slo: SloSpec) -> list[Prediction]:
    """For each burn window of ``slo`` (in order), when its alert fires and resolves in the test.

    The model depends only on the series' shape, the scrape interval, the rate window, the pending
    time and each window's (long, short, error-ratio threshold), so SLOs that share them share one
    computation (memoised: a render of 500 alike SLOs models the rules once).
    """
    obs = standard.estate.observability
    windows = tuple((w.long, w.short, float(number(w.threshold(slo.objective)))) for w in slo.windows)
    return list(_predict(*_kind(slo), obs.scrape_interval_seconds, int(rate_window(standard).total_seconds()),
                         obs.pending_seconds, windows))


@lru_cache(maxsize=256)
def _predict(kind: str, when: str | None, dt: int, rng: int, pending: float,
             windows: tuple[tuple[timedelta, timedelta, float], ...]) -> tuple[Prediction, ...]:
    series = dict(_series_of(kind, when, dt))
    n = _steps(dt) + 1
    bad_rec: list[float | None] = []
    tot_rec: list[float | None] = []
    for i in range(n):
        if "gauge" in series:
            bad_rec.append(1.0 if _bad_at(i, dt) else 0.0)
            tot_rec.append(1.0)
            continue
        first = max(0, i - rng // dt)
        if "count" in series:
            tot = _extrapolated_rate(series["count"], first, i, dt, rng)
            good = _extrapolated_rate(series["bucket"], first, i, dt, rng)
            bad = None if tot is None or good is None else tot - good
        elif "bad" in series:
            tot = _extrapolated_rate(series["total"], first, i, dt, rng)
            bad = _extrapolated_rate(series["bad"], first, i, dt, rng)
        else:
            tot = _extrapolated_rate(series["total"], first, i, dt, rng)
            good = _extrapolated_rate(series["good"], first, i, dt, rng)
            bad = None if tot is None or good is None else tot - good
        bad_rec.append(bad)
        tot_rec.append(tot)
    pb = list(accumulate((b or 0.0) for b in bad_rec))
    pt = list(accumulate((t or 0.0) for t in tot_rec))
    have = list(accumulate(1 if t is not None else 0 for t in tot_rec))

    def ratio(i: int, w: timedelta) -> float | None:
        lo = i - int(w.total_seconds()) // dt - 1  # closed window [t - w, t]
        cnt = have[i] - (have[lo] if lo >= 0 else 0)
        if cnt == 0:
            return None
        total = pt[i] - (pt[lo] if lo >= 0 else 0.0)
        bad = pb[i] - (pb[lo] if lo >= 0 else 0.0)
        return bad / total if total else None

    out = []
    for long, short, theta in windows:
        active_at: int | None = None
        fires = resolves = None
        for i in range(n):
            rl, rs = ratio(i, long), ratio(i, short)
            active = rl is not None and rs is not None and rl > theta and rs > theta
            if active:
                if active_at is None:
                    active_at = i
                if fires is None and (i - active_at) * dt >= pending:
                    fires = i
            else:
                active_at = None
                if fires is not None and resolves is None:
                    resolves = i
        out.append(Prediction(fires, resolves))
    return tuple(out)


def _encode(values: list[float]) -> str:
    """promtool's expanding notation: runs of a constant step as ``start+stepxN``."""
    parts: list[str] = []
    i = 0
    while i < len(values):
        if i + 1 == len(values):
            parts.append(number(values[i]))
            break
        step = values[i + 1] - values[i]
        j = i + 1
        while j + 1 < len(values) and values[j + 1] - values[j] == step:
            j += 1
        parts.append(f"{number(values[i])}{'+' if step >= 0 else ''}{number(step)}x{j - i}")
        i = j + 1
    return " ".join(parts)


def _labels(selector: str, by: tuple[str, ...], extra: dict[str, str]) -> dict[str, str]:
    labels = {k: ("x" if op != "=" else v) for k, op, v in selector_matchers(selector)}
    for b in by:
        labels.setdefault(b, "x")
    labels.update(extra)
    return labels


def _series_text(name: str, labels: dict[str, str]) -> str:
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{name}{{{inner}}}"


def slo_test(standard: Standard, slo: SloSpec, rule_file: str) -> dict[str, Any]:
    """The promtool test file (as data) of one SLO."""
    dt = standard.estate.observability.scrape_interval_seconds
    data = _series(slo, dt)
    s = slo.sli
    inputs: list[dict[str, str]] = []
    if s.gauge is not None:
        inputs.append({"series": _series_text(metric_of(s.gauge), _labels(s.gauge, s.by, {})),
                       "values": _encode(data["gauge"])})
    elif s.histogram is not None and s.threshold_seconds is not None:
        base = metric_of(s.histogram)
        labels = _labels(s.histogram, s.by, {})
        inputs.append({"series": _series_text(f"{base}_count", labels), "values": _encode(data["count"])})
        inputs.append({"series": _series_text(f"{base}_bucket", {**labels, "le": le_value(s.threshold_seconds)}),
                       "values": _encode(data["bucket"])})
    else:
        for role in ("good", "bad", "total"):
            sel = getattr(s, role)
            if sel is not None:
                inputs.append({"series": _series_text(metric_of(sel), _labels(sel, s.by, {})),
                               "values": _encode(data[role])})
    by_values = {b: _labels(next(x for x in (s.gauge, s.histogram, s.total) if x), s.by, {})[b] for b in s.by}
    preds = predict(standard, slo)
    instants: set[int] = set()
    for p in preds:
        for i in (p.fires, p.resolves):
            if i is not None:
                instants.update((i - 1, i))
    annotations = _annotations(standard, slo)
    tests = []
    for i in sorted(x for x in instants if x >= 0):
        firing = [w for w, p in zip(slo.windows, preds, strict=True)
                  if p.fires is not None and p.fires <= i and (p.resolves is None or i < p.resolves)]
        exp = []
        for w in firing:
            labels = {"slo": slo.name, **by_values, **alert_labels(standard, slo, w)}
            exp.append({"exp_labels": labels, "exp_annotations": annotations.get(duration(w.long), {})})
        tests.append({"eval_time": f"{i * dt}s", "alertname": BURN_ALERT, "exp_alerts": exp})
    return {"rule_files": [rule_file], "evaluation_interval": f"{dt}s",
            "tests": [{"name": f"{slo.name}: {duration(BURN)} total burn after {duration(LEAD)}",
                       "interval": f"{dt}s", "input_series": inputs, "alert_rule_test": tests}]}


def _annotations(standard: Standard, slo: SloSpec) -> dict[str, dict[str, str]]:
    """The burn alerts' annotations of ``slo`` by long window (``"1h"``: {...})."""
    from tradeplane.observe.rules import slo_rules

    return {rule["labels"]["long_window"]: dict(rule["annotations"])
            for group in slo_rules(standard, slo, _EPOCH)["groups"] for rule in group["rules"]
            if rule.get("alert") == BURN_ALERT}


def link_test(standard: Standard, rule_file: str) -> dict[str, Any] | None:
    """The promtool tests of ``HybridLinkDown`` and ``VenueLinksDown``.

    First every link's sessions go down for ``BURN`` and come back: each link's alert and each
    carried venue's alert fire and resolve. Then, for a venue carried by several links, only one of
    them goes down: its ``HybridLinkDown`` fires but the venue's does not (the survivor carries it).
    """
    from tradeplane.observe.rules import VENUE_LINKS_DOWN_ALERT, link_rules

    rules = link_rules(standard)
    if rules is None:
        return None
    by_alert: dict[tuple[str, str], dict[str, Any]] = {}
    for rule in rules["groups"][0]["rules"]:
        key = rule["labels"].get("link") or rule["labels"]["venue"]
        by_alert[(rule["alert"], key)] = rule
    links = sorted(k for a, k in by_alert if a == LINK_DOWN_ALERT)
    venues = {v: ls for v, ls in venue_links(standard.estate).items()}
    dt = standard.estate.observability.scrape_interval_seconds
    n = int((LEAD + BURN + timedelta(minutes=10)).total_seconds()) // dt + 1
    down_from = int(LEAD.total_seconds()) // dt + 1
    down_to = int((LEAD + BURN).total_seconds()) // dt
    fires = down_from + int(LINK_DOWN_FOR.total_seconds()) // dt

    def scenario(name: str, down: set[str]) -> dict[str, Any]:
        inputs = [{"series": _series_text("hybrid_bgp_session_up", {"link": link, "session": "s0"}),
                   "values": _encode([0.0 if link in down and down_from <= i <= down_to else 1.0
                                      for i in range(n)])} for link in links]
        tests = []
        for i in (fires - 1, fires, down_to, down_to + 1):
            on = fires <= i <= down_to
            for alert, keys in ((LINK_DOWN_ALERT, links), (VENUE_LINKS_DOWN_ALERT, sorted(venues))):
                exp = []
                for key in keys:
                    gone = key in down if alert == LINK_DOWN_ALERT else set(venues[key]) <= down
                    if on and gone:
                        rule = by_alert[(alert, key)]
                        exp.append({"exp_labels": dict(rule["labels"]),
                                    "exp_annotations": dict(rule["annotations"])})
                tests.append({"eval_time": f"{i * dt}s", "alertname": alert, "exp_alerts": exp})
        return {"name": name, "interval": f"{dt}s", "input_series": inputs, "alert_rule_test": tests}

    cases = [scenario("hybrid links down then back", set(links))]
    shared = next((ls for ls in venues.values() if len(ls) > 1 and set(ls) <= set(links)), None)
    if shared is not None:
        cases.append(scenario(f"{shared[0]} down, the other links still carry its venues", {shared[0]}))
    return {"rule_files": [rule_file], "evaluation_interval": f"{dt}s", "tests": cases}


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
