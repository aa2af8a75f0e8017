"""Migration state: which waves are done, in a JSON file beside the estate, written atomically.

``advance`` records a wave done only when its checks pass: the earlier waves are done, the previous
wave's soak (``migration.soak_days`` after it was recorded) has elapsed, the migration has started
(``migration.start``), the instant is inside a
window the wave may use (a closed period of an allowed kind, long enough for its cutover and
rollback, in no declared venue event: ``windows.fits``) unless an explicit reason to record it
outside one is given (kept in the record: ``WaveRecord.outside_window``, shown by ``status``), every
check of the wave's stage passes (the plan is recomputed from the estate as it is now), and, when
the wave moves market data, drop copy or a strategy, a parallel-run comparison of two different
recordings (a recording compared with itself proves nothing) passes its criteria. A refusal is one
``UnsupportedError`` line saying when the wave may be recorded. The soak has no override: shortening
it is an estate change (``soak_days``), reviewed like any other.
The file is replaced in one step (write a temporary file in the same directory, flush, fsync,
rename), so a crash leaves the old state or the new one, never half of one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tradeplane.errors import InputError, Location, UnsupportedError
from tradeplane.estate import ColoRole, Estate, hours
from tradeplane.migrate.compare import Comparison
from tradeplane.migrate.plan import MigrationPlan, WavePlan
from tradeplane.migrate.recordings import same_recording
from tradeplane.migrate.windows import HORIZON_DAYS, local, next_window, window_at
from tradeplane.writing import write_file

__all__ = ["State", "WaveRecord", "WaveStatus", "advance", "load_state", "save_state", "state_path", "status"]

NEEDS_COMPARE = {ColoRole.MARKET_DATA.value, ColoRole.DROP_COPY.value, ColoRole.STRATEGY.value}


@dataclass(frozen=True)
class WaveRecord:
    wave: int
    workloads: tuple[str, ...]
    done_at: str
    checks: tuple[str, ...]
    compare: dict[str, Any] | None = None
    outside_window: str = ""
    """The reason given for recording the wave outside a cutover window (``--outside-window``), or ``""``."""

    def to_json(self) -> dict[str, Any]:
        out = {"wave": self.wave, "workloads": list(self.workloads), "done_at": self.done_at,
               "checks": list(self.checks), "compare": self.compare}
        if self.outside_window:
            out["outside_window"] = self.outside_window
        return out


@dataclass
class State:
    estate: str
    fingerprint: str = ""
    done: dict[int, WaveRecord] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"estate": self.estate, "fingerprint": self.fingerprint,
                "waves": [self.done[k].to_json() for k in sorted(self.done)]}


@dataclass(frozen=True)
class WaveStatus:
    wave: int
    workloads: tuple[str, ...]
    state: str  # "done", "next", "pending"
    ready: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"wave": self.wave, "workloads": list(self.workloads), "state": self.state, "ready": self.ready,
                "detail": self.detail}


def state_path(estate_path: str | Path) -> Path:
    """``examples/dv-trading`` -> ``examples/dv-trading.migrate-state.json`` (beside the estate)."""
    p = Path(estate_path)
    return p.parent / f"{p.name}.migrate-state.json"


def load_state(path: str | Path, estate: str) -> State:
    """The recorded state; an empty one when the file does not exist yet."""
    p = Path(path)
    if not p.exists():
        return State(estate)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
        waves = {int(w["wave"]): WaveRecord(int(w["wave"]), tuple(w["workloads"]), str(w["done_at"]),
                                            tuple(w.get("checks", ())), w.get("compare"),
                                            str(w.get("outside_window") or ""))
                 for w in data.get("waves", [])}
        for rec in waves.values():
            _instant(rec.done_at)
        return State(str(data.get("estate", estate)), str(data.get("fingerprint", "")), waves)
    except json.JSONDecodeError as exc:
        raise InputError.single(f"migration state is not valid JSON: {exc.msg}",
                                location=Location(str(p), exc.lineno, exc.colno),
                                hint="restore it from version control; it is written by 'migrate advance'") from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError.single(f"migration state has an unexpected shape: {exc}", location=Location(str(p)),
                                field="waves", hint="restore it from version control") from None


def save_state(path: str | Path, state: State) -> None:
    """Write atomically (``tradeplane.writing.write_file``: a temporary file beside it, fsync, then one
    rename); ``OutputError`` naming ``--state`` when it cannot be written."""
    write_file(path, json.dumps(state.to_json(), indent=2, sort_keys=True) + "\n", "--state")


def status(p: MigrationPlan, state: State) -> tuple[list[WaveStatus], list[str]]:
    """Each wave's state, and warnings (the plan changed since a wave was recorded)."""
    out: list[WaveStatus] = []
    warnings: list[str] = []
    next_set = False
    for w in p.waves:
        rec = state.done.get(w.number)
        if rec is not None:
            if rec.workloads != w.wave.workloads:
                warnings.append(f"wave {w.number} was recorded with {', '.join(rec.workloads)} but the plan now "
                                f"moves {', '.join(w.wave.workloads)}")
            outside = f" (outside a cutover window: {rec.outside_window})" if rec.outside_window else ""
            out.append(WaveStatus(w.number, w.wave.workloads, "done", True, f"done at {rec.done_at}{outside}"))
            continue
        state_name = "pending" if next_set else "next"
        next_set = True
        detail = w.slot.reason if w.ok else "; ".join(w.blocking)
        out.append(WaveStatus(w.number, w.wave.workloads, state_name, w.ok, detail))
    for n in sorted(set(state.done) - {w.number for w in p.waves}):
        warnings.append(f"wave {n} is recorded done but the plan has no wave {n}")
    return out, warnings


def _instant(text: str) -> datetime:
    t = datetime.fromisoformat(text)
    if t.tzinfo is None:
        raise ValueError(f"done_at {text!r} has no time zone")
    return t


def _when(estate: Estate, p: MigrationPlan, w: WavePlan, state: State, at: datetime,
          outside_window: str) -> None:
    """Refuse (one line saying when it may proceed) before the migration's start, before the previous
    wave's soak has elapsed, or outside a window the wave may use (``windows.window_at``) unless
    ``outside_window`` gives the reason."""
    colo = estate.colocation
    assert colo is not None and colo.migration is not None
    m = colo.migration
    h = hours.venue_hours(estate.venue(p.venue))
    zone = ZoneInfo(h.timezone)
    need = w.slot.needs_minutes
    earlier = [n for n in state.done if n < w.number]
    soak_end: datetime | None = None
    if earlier:
        prev = state.done[max(earlier)]
        soak_end = _instant(prev.done_at) + timedelta(days=m.soak_days)
    start = datetime.combine(date.fromisoformat(m.start), time(0), zone)
    after = max(at, start, *([soak_end] if soak_end is not None else []))
    nxt = next_window(h, after, need, m.windows, p.blackouts)
    then = (f"in no window: none within {HORIZON_DAYS} days is long enough outside declared events" if nxt is None
            else f"from {nxt.kind.replace('-', ' ')} {local(max(nxt.start, after), zone)} to {local(nxt.end, zone)}")
    if at < start:
        raise UnsupportedError.single(
            f"wave {w.number} may be recorded {then}: the migration starts {m.start} (now is {local(at, zone)})",
            field="start", hint="no wave is recorded before the migration's start date")
    if soak_end is not None and at < soak_end:
        prev_n = max(earlier)
        raise UnsupportedError.single(
            f"wave {w.number} may be recorded {then}: wave {prev_n}'s {m.soak_days}-day soak runs until "
            f"{local(soak_end, zone)} (wave {prev_n} recorded done at {local(_instant(state.done[prev_n].done_at), zone)}"
            f"; now is {local(at, zone)})", field="soak_days",
            hint="the soak is the parallel run between waves; it has no override (shorten soak_days in the estate, "
                 "reviewed, if it must)")
    if outside_window.strip():
        return
    if window_at(h, at, need, m.windows, p.blackouts) is None:
        raise UnsupportedError.single(
            f"wave {w.number} may be recorded {then}: now ({local(at, zone)}) is not inside a "
            f"{'/'.join(m.windows)} window of {p.venue} it fits ({need} min, outside declared events)",
            field="window", hint="record it in its window, or give --outside-window REASON (the state file keeps "
                                 "the reason and 'migrate status' shows it)")


def advance(estate: Estate, p: MigrationPlan, state: State, wave: int, at: datetime,
            comparison: Comparison | None = None, *, outside_window: str = "") -> State:
    """A new state with ``wave`` done at ``at`` (timezone-aware); ``UnsupportedError`` saying why (and,
    for time, when it may proceed) when it may not be recorded; see the module docstring.
    ``outside_window``: the reason to record it outside a cutover window, kept in the record."""
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    numbers = [w.number for w in p.waves]
    if wave not in numbers:
        raise UnsupportedError.single(f"the plan has no wave {wave}", field="wave",
                                      hint=f"waves are {', '.join(map(str, numbers)) or 'none'}")
    if wave in state.done:
        raise UnsupportedError.single(f"wave {wave} is already recorded done ({state.done[wave].done_at})",
                                      field="wave")
    missing = [n for n in numbers if n < wave and n not in state.done]
    if missing:
        raise UnsupportedError.single(f"wave {wave} cannot be done before wave(s) {', '.join(map(str, missing))}",
                                      field="wave", hint="advance the waves in order")
    w = p.wave(wave)
    _when(estate, p, w, state, at, outside_window)
    if not w.ok:
        raise UnsupportedError(f"wave {wave} cannot be recorded done: {len(w.blocking)} check(s) fail",
                               [UnsupportedError.single(b).problems[0] for b in w.blocking])
    if set(w.roles) & NEEDS_COMPARE and comparison is None:
        raise UnsupportedError.single(
            f"wave {wave} moves {', '.join(sorted(set(w.roles) & NEEDS_COMPARE))}: give the parallel-run "
            "recordings", field="--left/--right",
            hint="tradeplane migrate advance ESTATE WAVE --left COLO.pcap --right GCP.pcap")
    if comparison is not None:
        same = same_recording(comparison.left.path, comparison.right.path)
        if same:
            raise UnsupportedError.single(
                f"wave {wave}: --left {comparison.left.path} and --right {comparison.right.path} are {same}: a "
                "recording compared with itself proves nothing", field="--left/--right",
                hint="give the colocation's recording and the GCP side's recording of the same parallel run")
    if comparison is not None and not comparison.passed:
        raise UnsupportedError.single(f"wave {wave}: the parallel run fails its cutover criteria: "
                                      + "; ".join(comparison.reasons), field="compare")
    record = WaveRecord(wave, w.wave.workloads, at.isoformat(), tuple(f"{c.name}: {c.summary}" for c in w.checks),
                        comparison.to_json() if comparison else None, outside_window.strip())
    return State(estate.name, p.fingerprint, {**state.done, wave: record})
