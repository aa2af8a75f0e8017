"""Migration state: which waves are done, in a JSON file beside the estate, written atomically.

``advance`` records a wave done only when its checks pass: the earlier waves are done, every check
of the wave's stage passes (the plan is recomputed from the estate as it is now), and, when the
wave moves market data, drop copy or a strategy, a parallel-run comparison passes its criteria.
The file is replaced in one step (write a temporary file in the same directory, flush, fsync,
rename), so a crash leaves the old state or the new one, never half of one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tradeplane.errors import InputError, Location, UnsupportedError
from tradeplane.estate import ColoRole, Estate
from tradeplane.migrate.compare import Comparison
from tradeplane.migrate.plan import MigrationPlan
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

    def to_json(self) -> dict[str, Any]:
        return {"wave": self.wave, "workloads": list(self.workloads), "done_at": self.done_at,
                "checks": list(self.checks), "compare": self.compare}


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
                                            tuple(w.get("checks", ())), w.get("compare"))
                 for w in data.get("waves", [])}
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
            out.append(WaveStatus(w.number, w.wave.workloads, "done", True, f"done at {rec.done_at}"))
            continue
        state_name = "pending" if next_set else "next"
        next_set = True
        detail = w.slot.reason if w.ok else "; ".join(w.blocking)
        out.append(WaveStatus(w.number, w.wave.workloads, state_name, w.ok, detail))
    for n in sorted(set(state.done) - {w.number for w in p.waves}):
        warnings.append(f"wave {n} is recorded done but the plan has no wave {n}")
    return out, warnings


def advance(estate: Estate, p: MigrationPlan, state: State, wave: int, at: datetime,
            comparison: Comparison | None = None) -> State:
    """A new state with ``wave`` done; ``UnsupportedError`` saying why when it may not be recorded."""
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
    if not w.ok:
        raise UnsupportedError(f"wave {wave} cannot be recorded done: {len(w.blocking)} check(s) fail",
                               [UnsupportedError.single(b).problems[0] for b in w.blocking])
    if set(w.roles) & NEEDS_COMPARE and comparison is None:
        raise UnsupportedError.single(
            f"wave {wave} moves {', '.join(sorted(set(w.roles) & NEEDS_COMPARE))}: give the parallel-run "
            "recordings", field="--left/--right",
            hint="tradeplane migrate advance ESTATE WAVE --left COLO.pcap --right GCP.pcap")
    if comparison is not None and not comparison.passed:
        raise UnsupportedError.single(f"wave {wave}: the parallel run fails its cutover criteria: "
                                      + "; ".join(comparison.reasons), field="compare")
    record = WaveRecord(wave, w.wave.workloads, at.isoformat(), tuple(f"{c.name}: {c.summary}" for c in w.checks),
                        comparison.to_json() if comparison else None)
    return State(estate.name, p.fingerprint, {**state.done, wave: record})
