"""The standard, compiled: every SLO the firm runs (the estate's own and the built-in ones), each
resolved to its owner, indicator, windows and burn-rate thresholds.

Burn-rate alerting follows the Google SRE Workbook, chapter 5 "Alerting on SLOs", section
"Multiwindow, Multi-Burn-Rate Alerts": page when 2% of the error budget is spent in 1 hour or 5% in
6 hours, open a ticket when 10% is spent in 3 days; each long window is paired with a short window
of 1/12 of it so an alert stops soon after the burn does. The burn-rate factor is *derived* from the
SLO's own window: spending fraction ``f`` of the budget in ``long`` means burning at
``f * counted(window) / counted(long)`` times the sustainable rate, where ``counted`` is the time the
rules count (``observe.rules`` joins every recording with ``<prefix>:slo_open``). For a 24x7 SLO
that is the whole span, ``f * window / long`` (14.4 for 2%/1h of 30 days, 13.44 of 28 days); for an
SLO with a trading calendar it is trading time (:class:`CountedTime`: Nasdaq's 09:30-16:00 session
counts 130 h of a 28-day window and at most 1 h of an hour, so its page for 2% in 1 h is 2.6x).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from tradeplane.errors import EstateError, Location, Problem
from tradeplane.estate.hours import Interval, open_intervals, venue_hours
from tradeplane.estate.model import (
    BuiltinSlo,
    CrossCloud,
    DirectConnect,
    Estate,
    Interconnect,
    MarketHours,
    MetricSpec,
    Sli,
    Slo,
    Vpn,
)
from tradeplane.observe.catalog import FEEDS_LATENCY_BUCKETS, STREAM_LIVE, builtin_metrics

__all__ = [
    "POLICY",
    "REFERENCE_START",
    "REFERENCE_WEEKS",
    "BurnWindow",
    "CountedTime",
    "Exposed",
    "SloSpec",
    "Standard",
    "bucket_problem",
    "burn_windows",
    "compile_standard",
    "counted_time",
    "duration",
    "good_when",
    "links_carrying",
    "metric_of",
    "selector_matchers",
    "venue_links",
]

#: (share of the error budget spent, long window, severity): the SRE Workbook's recommended policy.
POLICY: tuple[tuple[float, timedelta, str], ...] = (
    (0.02, timedelta(hours=1), "page"),
    (0.05, timedelta(hours=6), "page"),
    (0.10, timedelta(days=3), "ticket"),
)
SHORT_WINDOW_DIVISOR = 12  # the Workbook's short window: 1/12 of the long one (5m for 1h)
HYBRID_LINKS = (Interconnect, DirectConnect, Vpn, CrossCloud)


@dataclass(frozen=True)
class BurnWindow:
    """One multi-window burn-rate alert: fires while the error ratio over both ``long`` and ``short``
    exceeds ``factor * (1 - objective)``.

    ``counted_long`` and ``counted_window`` are the counted times the factor was derived from
    (``factor = budget_share * counted_window / counted_long``): the most a ``long`` window counts
    and what the SLO window counts; the spans themselves for a 24x7 SLO."""

    long: timedelta
    short: timedelta
    budget_share: float
    factor: float
    severity: str
    counted_long: timedelta | None = None
    counted_window: timedelta | None = None

    def threshold(self, objective: float) -> float:
        """The error ratio (0..1) both windows must exceed; capped at 1 (an objective so loose that
        the burn cannot be reached fires only on total failure)."""
        return min(1.0, self.factor * (1.0 - objective / 100.0))


#: The fixed span over which a trading calendar's weekly schedule is measured: 52 weeks from
#: Monday 2025-01-06 00:00 UTC (a fixed span, so rendered factors never depend on today's date).
REFERENCE_START = datetime(2025, 1, 6, tzinfo=UTC)
REFERENCE_WEEKS = 52


@dataclass(frozen=True)
class CountedTime:
    """The time the rules of an SLO with a trading calendar count, from its venues' weekly schedule.

    ``per_week`` is the mean open time of a week (any calendar venue trading: their sessions less
    their daily halts, merged), ``most`` pairs each long burn window of ``POLICY`` with the most
    time any window of that length counts (Nasdaq 09:30-16:00 New York: 1 h of 1 h, 6 h of 6 h,
    19.5 h of 3 days, i.e. three sessions; CME Globex with its daily 16:00-17:00 halt: 1 h, 6 h,
    69 h). Both are measured over the fixed span of ``REFERENCE_WEEKS`` weeks from
    ``REFERENCE_START`` with the venues' hours through ``tradeplane.estate.hours.open_intervals``
    (the model ``observe.calendar.closed_intervals`` compiles into the ``slo_open`` rule, daylight
    saving included), so they are deterministic. Holidays and dated maintenance windows are left
    out: they close a few days a year and would make the factors depend on the date rendered.
    """

    venues: tuple[str, ...]
    per_week: timedelta
    most: tuple[tuple[timedelta, timedelta], ...]

    def window(self, days: int) -> timedelta:
        """What a rolling window of ``days`` counts on average (exact for whole weeks: 28 days of
        Nasdaq count 4 x 32.5 h = 130 h)."""
        return self.per_week * days / 7

    def longest(self, span: timedelta) -> timedelta:
        """The most time any window of ``span`` counts (``KeyError`` for a span not in ``POLICY``)."""
        return dict(self.most)[span]


def _most_open(opens: list[Interval], span: timedelta) -> timedelta:
    """The most open time in any half-open window of ``span`` over the sorted, merged ``opens``:
    the maximum is reached with the window starting at an open or ending at a close."""
    starts = [s for s, _ in opens]
    ends = [e for _, e in opens]
    cumulative = [timedelta()]
    for s, e in opens:
        cumulative.append(cumulative[-1] + (e - s))

    def open_before(t: datetime) -> timedelta:  # open time in (-inf, t)
        i = bisect_right(starts, t)  # intervals starting at or before t
        if i == 0:
            return timedelta()
        s, e = opens[i - 1]
        return cumulative[i - 1] + (min(e, t) - s)

    best = timedelta()
    for lo in (*starts, *(e - span for e in ends)):
        best = max(best, open_before(lo + span) - open_before(lo))
    return min(best, span)


@lru_cache(maxsize=64)
def _counted(hours: tuple[MarketHours, ...], venues: tuple[str, ...]) -> CountedTime | None:
    span_end = REFERENCE_START + timedelta(weeks=REFERENCE_WEEKS)
    raw = sorted(iv for h in hours for iv in open_intervals(h.model_copy(update={"holidays": ()}),
                                                          REFERENCE_START, span_end))
    opens: list[Interval] = []
    for s, e in raw:
        if opens and s <= opens[-1][1]:
            opens[-1] = (opens[-1][0], max(opens[-1][1], e))
        else:
            opens.append((s, e))
    total = sum((e - s for s, e in opens), timedelta())
    if total == timedelta():
        return None
    return CountedTime(venues, total / REFERENCE_WEEKS,
                       tuple((long, _most_open(opens, long)) for _, long, _ in POLICY))


def counted_time(estate: Estate, venues: tuple[str, ...]) -> CountedTime | None:
    """The :class:`CountedTime` of a calendar of ``venues`` (names in ``estate``); ``None`` when
    there is no calendar or it never opens (the rules count nothing, so nothing can burn)."""
    if not venues:
        return None
    return _counted(tuple(venue_hours(estate.venue(v)) for v in venues), venues)


def burn_windows(window_days: int, counted: CountedTime | None = None) -> tuple[BurnWindow, ...]:
    """The burn-rate windows of an SLO with a ``window_days`` rolling window.

    Without ``counted`` (a 24x7 SLO) the factor is ``share * window / long``; with it (an SLO whose
    rules count only trading time) ``share * counted.window(window_days) / counted.longest(long)``.
    """
    window = timedelta(days=window_days)
    out = []
    for share, long, severity in POLICY:
        cw, cl = (window, long) if counted is None else (counted.window(window_days), counted.longest(long))
        out.append(BurnWindow(long, long / SHORT_WINDOW_DIVISOR, share, share * (cw / cl), severity, cl, cw))
    return tuple(out)


def duration(d: timedelta) -> str:
    """A Prometheus duration: ``5m``, ``1h``, ``3d``."""
    s = int(d.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s % size == 0:
            return f"{s // size}{unit}"
    return f"{s}s"


_SEL = re.compile(r'^(?P<name>[a-z][a-z0-9_]*[a-z0-9])(\{(?P<body>[^{}]*)\})?$')
_MATCHER = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*')


def metric_of(selector: str) -> str:
    """The metric name of a selector such as ``feeds_events_total{venue="binance"}``."""
    m = _SEL.match(selector)
    if m is None:
        raise ValueError(f"not a metric selector: {selector!r}")
    return m.group("name")


def selector_matchers(selector: str) -> list[tuple[str, str, str]]:
    """The ``(label, op, value)`` matchers of a selector; ``ValueError`` when malformed."""
    m = _SEL.match(selector)
    if m is None:
        raise ValueError(f"not a metric selector: {selector!r}")
    body = (m.group("body") or "").strip().rstrip(",")
    out: list[tuple[str, str, str]] = []
    pos = 0
    while pos < len(body):
        mm = _MATCHER.match(body, pos)
        if mm is None:
            raise ValueError(f"malformed label matchers in {selector!r}: write label=\"value\", ...")
        out.append((mm.group(1), mm.group(2), mm.group(3)))
        pos = mm.end()
        if pos < len(body):
            if body[pos] != ",":
                raise ValueError(f"malformed label matchers in {selector!r}: separate them with commas")
            pos += 1
    return out


def good_when(condition: str) -> tuple[str, str]:
    """``"== 2"`` -> ``("==", "2")``: the comparison and the number of a time indicator."""
    text = condition.strip()
    op = text[: len(text) - len(text.lstrip("=!<>"))]
    return op, text[len(op):].strip()


@dataclass(frozen=True)
class Exposed:
    """A metric some service exposes, with the workloads that run the service."""

    spec: MetricSpec
    service: str
    workloads: tuple[str, ...]
    env: str


@dataclass(frozen=True)
class SloSpec:
    """One SLO as every backend compiles it.

    ``kind`` is ``custom`` for the estate's own SLOs, else the built-in kind (``feed_freshness``,
    ``feed_gaps``, ``feed_resyncs``, ``feed_latency``, ``link_availability``). ``objective`` is in
    percent; ``calendar_venues`` and ``maintenance`` say when the budget is not spent, ``counted``
    what the rules count of the calendar's weekly schedule (``None``: all of the window), from which
    the burn-rate factors of ``windows`` are derived.
    """

    name: str
    kind: str
    description: str
    objective: float
    window_days: int
    desk: str
    team: str
    env: str
    sli: Sli
    calendar_venues: tuple[str, ...] = ()
    maintenance: tuple[tuple[str, str, str], ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    location: Location | None = None
    counted: CountedTime | None = None

    @property
    def windows(self) -> tuple[BurnWindow, ...]:
        """The burn windows of the rules (factors over the time they count)."""
        return burn_windows(self.window_days, self.counted)

    @property
    def calendar_windows(self) -> tuple[BurnWindow, ...]:
        """The burn windows over the whole calendar window (for backends that count all time:
        the cloud SLOs); the same as ``windows`` for a 24x7 SLO."""
        return burn_windows(self.window_days)

    @property
    def budget(self) -> float:
        """The error budget as a ratio (0.001 for 99.9%)."""
        return 1.0 - self.objective / 100.0

    def metrics(self) -> tuple[str, ...]:
        """Names of the metrics the indicator reads (as exposed: counters with ``_total``)."""
        s = self.sli
        if s.histogram is not None:
            return (metric_of(s.histogram),)
        if s.gauge is not None:
            return (metric_of(s.gauge),)
        return tuple(metric_of(x) for x in (s.good, s.bad, s.total) if x is not None)


@dataclass(frozen=True)
class Standard:
    """The compiled standard: SLOs sorted by name, exposed metrics by name, and the rules."""

    estate: Estate
    slos: tuple[SloSpec, ...]
    exposed: dict[str, Exposed] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        return self.estate.observability.metric_prefix

    def slo(self, name: str) -> SloSpec:
        return next(s for s in self.slos if s.name == name)


def _exposed(estate: Estate) -> dict[str, Exposed]:
    out: dict[str, Exposed] = {}
    envs = {w.name: w.env for w in estate.workloads}
    for svc in estate.observability.services:
        env = next((envs[w] for w in svc.workloads if w in envs), "prod")
        for spec in (*builtin_metrics(svc.name), *svc.metrics):
            out[spec.name] = Exposed(spec, svc.name, svc.workloads, env)
    if any(isinstance(link, HYBRID_LINKS) for link in estate.links):
        for spec in builtin_metrics("hybrid"):
            out[spec.name] = Exposed(spec, "hybrid", (), "prod")
    return out


def _builtin(estate: Estate, exposed: dict[str, Exposed], problems: list[Problem]) -> list[SloSpec]:
    o = estate.observability
    b = o.builtin
    out: list[SloSpec] = []
    feeds = next((s for s in o.services if s.name == "feeds"), None)
    if feeds is not None:
        runners = [w for w in sorted(estate.workloads, key=lambda w: w.name) if w.name in feeds.workloads]
        venues = sorted({v for w in runners for v in w.venues})
        owner = runners[0] if runners else None
        for kind, cfg in (("feed_freshness", b.feed_freshness), ("feed_gaps", b.feed_gaps),
                          ("feed_resyncs", b.feed_resyncs), ("feed_latency", b.feed_latency)):
            if not cfg.enabled or owner is None:
                continue
            desk, team = cfg.desk or owner.desk, cfg.team or owner.team
            if kind == "feed_latency":
                bad = bucket_problem(cfg.threshold_seconds, "feeds_exchange_to_receive_seconds",
                                     FEEDS_LATENCY_BUCKETS)
                if bad is not None:
                    problems.append(Problem(bad[0], estate.where(cfg, "threshold_seconds") or estate.where(cfg),
                                            "observability.builtin.feed_latency.threshold_seconds", bad[1]))
                    continue
            for venue in venues:
                out.append(_feed_slo(estate, kind, cfg, venue, desk, team, owner.env))
    links = sorted((x for x in estate.links if isinstance(x, HYBRID_LINKS)), key=lambda x: x.name)
    cfg = b.link_availability
    # Link SLOs are owned by whoever runs the hybrid network: declared with an owner they are
    # compiled; declared without one it is an error; not declared at all, there are none.
    if links and cfg.enabled and (cfg.desk is not None or "link_availability" in b.model_fields_set):
        if cfg.desk is None or cfg.team is None:
            problems.append(Problem(
                "the estate has hybrid links, so link_availability needs an owner",
                estate.where(cfg) or estate.where(estate.observability, "builtin"),
                "observability.builtin.link_availability",
                "add 'desk:' and 'team:' (e.g. desk: platform, team: network), or 'enabled: false'"))
        else:
            for link in links:
                out.append(SloSpec(
                    name=f"link-availability-{link.name}", kind="link_availability",
                    description=f"hybrid link {link.name} ({link.kind}) has its BGP sessions up",
                    objective=cfg.objective, window_days=cfg.window_days, desk=cfg.desk, team=cfg.team,
                    env="prod", sli=Sli(gauge=f'hybrid_bgp_session_up{{link="{link.name}"}}', good_when="== 1",
                                        by=("link", "session")),
                    labels=(("link", link.name),), location=estate.where(cfg)))
    return out


def _feed_slo(estate: Estate, kind: str, cfg: BuiltinSlo, venue: str, desk: str, team: str, env: str) -> SloSpec:
    sel = f'{{venue="{venue}"}}'
    stream = ("venue", "channel", "symbol")
    if kind == "feed_freshness":
        sli = Sli(gauge=f"feeds_stream_state{sel}", good_when=f"== {STREAM_LIVE}", by=stream)
        what = "every stream is live (fresh, in sync)"
    elif kind == "feed_gaps":
        sli = Sli(bad=f"feeds_gaps_total{sel}", total=f"feeds_events_total{sel}", by=stream)
        what = "events are delivered without a gap on every leg"
    elif kind == "feed_resyncs":
        sli = Sli(bad=f"feeds_resyncs_total{sel}", total=f"feeds_events_total{sel}", by=stream)
        what = "events are delivered without a book resync"
    else:
        sli = Sli(histogram=f"feeds_exchange_to_receive_seconds{sel}", threshold_seconds=cfg.threshold_seconds,
                  by=("venue",))
        what = f"exchange-to-receive latency is at most {cfg.threshold_seconds} s"
    names = {"feed_freshness": "feed-freshness", "feed_gaps": "feed-gaps", "feed_resyncs": "feed-resyncs",
             "feed_latency": "feed-latency"}
    v = estate.venue(venue) if venue in {x.name for x in estate.venues} else None
    calendar = (venue,) if v is not None and v.hours is not None and not v.hours.always_open else ()
    return SloSpec(name=f"{names[kind]}-{venue}", kind=kind, description=f"{venue}: {what}",
                   objective=cfg.objective, window_days=cfg.window_days, desk=desk, team=team, env=env, sli=sli,
                   calendar_venues=calendar, labels=(("venue", venue),), location=estate.where(cfg))


def bucket_problem(threshold: float | None, metric: str, buckets: tuple[float, ...] | None) -> tuple[str, str] | None:
    """``(message, fix)`` when a latency SLO's ``threshold`` is not one of the ``buckets`` of the
    histogram ``metric`` it reads, else ``None``.

    The SLI counts good observations from the bucket ``le="<threshold>"``; a threshold between two
    bounds names a series no client exposes, so the SLO could never be measured (nor fire). The fix
    names the nearest bounds. A histogram with no declared buckets cannot be checked: that is a
    problem too (declare them).
    """
    if threshold is None:
        return None
    if buckets is None:
        return (f"{metric} declares no buckets, so threshold_seconds {threshold:g} cannot be checked against them",
                f"add 'buckets: [...]' (the le bounds the service exposes) to {metric} under observability.services")
    if threshold in buckets:
        return None
    below = [b for b in buckets if b < threshold]
    above = [b for b in buckets if b > threshold]
    nearest = " or ".join(f"{b:g}" for b in (below[-1:] + above[:1]))
    return (f"{threshold:g} is not a bucket bound of {metric}: le=\"{threshold:g}\" matches no series, so the "
            "SLO could never be measured",
            f"use {nearest}, the nearest bounds (all: {', '.join(f'{b:g}' for b in buckets)})")


def _check_indicator(estate: Estate, slo: Slo, exposed: dict[str, Exposed], problems: list[Problem]) -> str:
    """Problems of one custom SLO's indicator; returns the env of the service exposing it."""
    sli = slo.indicator
    path = f"{estate.path_of(slo)}.indicator" if estate.path_of(slo) else "indicator"
    env = "prod"
    for fname in ("good", "bad", "total", "histogram", "gauge"):
        sel = getattr(sli, fname)
        if sel is None:
            continue
        where = estate.where(sli, fname) or estate.where(slo, "indicator")
        try:
            name = metric_of(sel)
            matchers = selector_matchers(sel)
        except ValueError as exc:
            problems.append(Problem(str(exc), where, f"{path}.{fname}"))
            continue
        known = exposed.get(name)
        if known is None:
            close = [n for n in sorted(exposed) if n.split("_")[0] == name.split("_")[0]][:4]
            problems.append(Problem(
                f"no service exposes metric {name!r}", where, f"{path}.{fname}",
                ("exposed with that prefix: " + ", ".join(close)) if close else
                "declare it under observability.services[].metrics, or fix the name"))
            continue
        env = known.env
        want = {"good": "counter", "bad": "counter", "total": "counter", "histogram": "histogram",
                "gauge": "gauge"}[fname]
        if known.spec.type != want:
            problems.append(Problem(f"{name} is a {known.spec.type}; '{fname}' needs a {want}", where,
                                    f"{path}.{fname}"))
        elif fname == "histogram":
            bad = bucket_problem(sli.threshold_seconds, name, known.spec.buckets)
            if bad is not None:
                problems.append(Problem(bad[0], estate.where(sli, "threshold_seconds") or where,
                                        f"{path}.threshold_seconds", bad[1]))
        for label, _, _ in matchers:
            if label not in known.spec.labels:
                problems.append(Problem(f"{name} has no label {label!r}", where, f"{path}.{fname}",
                                        "its labels: " + (", ".join(known.spec.labels) or "none")))
        for label in sli.by:
            if label not in known.spec.labels:
                problems.append(Problem(f"'by' label {label!r} is not a label of {name}",
                                        estate.where(sli, "by") or where, f"{path}.by",
                                        "its labels: " + (", ".join(known.spec.labels) or "none")))
    return env


def compile_standard(estate: Estate) -> Standard:
    """Resolve every SLO of ``estate`` (custom and built-in) and check it against the standard.

    Raises ``EstateError`` with one located problem per SLO naming a metric nothing exposes,
    an SLO name used twice (custom against built-in), or a desk (or team) with no alert route.
    Objectives outside (0, 100) and windows outside 7..90 days are rejected by the loader.
    """
    problems: list[Problem] = []
    exposed = _exposed(estate)
    specs = _builtin(estate, exposed, problems)
    builtin_names = {s.name for s in specs}
    for slo in estate.observability.slos:
        path = estate.path_of(slo)
        if slo.name in builtin_names:
            problems.append(Problem(f"duplicate SLO name '{slo.name}': a built-in SLO has it",
                                    estate.where(slo, "name"), f"{path}.name" if path else "name",
                                    "rename it, or disable the built-in under observability.builtin"))
            continue
        env = _check_indicator(estate, slo, exposed, problems)
        cal = slo.calendar
        specs.append(SloSpec(
            name=slo.name, kind="custom", description=slo.description, objective=slo.objective,
            window_days=slo.window_days, desk=slo.desk, team=slo.team, env=env, sli=slo.indicator,
            calendar_venues=cal.venues if cal else (),
            maintenance=tuple((m.start, m.end, m.reason) for m in cal.maintenance) if cal else (),
            location=estate.where(slo)))
    routed = {(r.desk, r.team) for r in estate.observability.routes}
    for spec in specs:
        if (spec.desk, None) not in routed and (spec.desk, spec.team) not in routed:
            custom = next((s for s in estate.observability.slos if s.name == spec.name), None)
            where = estate.where(custom, "desk") if custom is not None else spec.location
            problems.append(Problem(
                f"SLO '{spec.name}' belongs to desk '{spec.desk}' (team '{spec.team}'), which has no alert route",
                where, f"{estate.path_of(custom)}.desk" if custom is not None else f"slo {spec.name}",
                f"add 'observability.routes: [{{desk: {spec.desk}, webhook_url: ...}}]'"))
    if problems:
        n = len(problems)
        raise EstateError(f"observability standard: {n} problem{'s' if n != 1 else ''}", problems)
    specs = [replace(s, counted=counted_time(estate, s.calendar_venues)) if s.calendar_venues else s
             for s in specs]
    return Standard(estate, tuple(sorted(specs, key=lambda s: s.name)), exposed)


def links_carrying(estate: Estate) -> dict[str, list[str]]:
    """Hybrid link name -> the venues whose market data travels over it (sorted); a venue's
    connectivity names the link directly, or the site the link lands at."""
    hybrid = [x for x in estate.links if isinstance(x, HYBRID_LINKS)]
    sites: dict[str, set[str]] = {}
    for link in hybrid:
        if isinstance(link, Interconnect):
            sites.setdefault(link.name, set()).add(link.site)
        elif isinstance(link, DirectConnect):
            sites.setdefault(link.name, set()).update(c.location for c in link.connections)
        elif isinstance(link, Vpn):
            sites.setdefault(link.name, set()).add(link.remote)
    out: dict[str, list[str]] = {}
    for link in hybrid:
        venues = sorted({v.name for v in estate.venues for c in v.connectivity
                         if c.via is not None and (c.via == link.name or c.via in sites.get(link.name, set()))})
        if venues:
            out[link.name] = venues
    return dict(sorted(out.items()))


def venue_links(estate: Estate) -> dict[str, list[str]]:
    """Venue -> the hybrid links carrying its market data (sorted): ``links_carrying`` inverted."""
    out: dict[str, list[str]] = {}
    for link, venues in links_carrying(estate).items():
        for v in venues:
            out.setdefault(v, []).append(link)
    return {v: sorted(ls) for v, ls in sorted(out.items())}
