"""``compare(left, right)``: two recordings of the same feed, event by event, with a cutover verdict.

LEFT is the reference (the colocation side), RIGHT the candidate (the GCP side). An event is
identified by its stream and sequence number (``recordings``). The comparison streams both
recordings in batches, alternately, so memory is bounded by the batch size and the ``window``:

- **duplicated**: a (stream, seq) seen again on the same side within the last ``recent`` batches;
- **reordered**: a sequence number lower than the highest already seen on that stream and side;
- **matched**: present on both sides; **differing** when their content differs;
- **missing** / **extra**: on one side only, once the other side has moved ``window`` sequence
  numbers past it on that stream (or at the end);
- **latency**: RIGHT time minus LEFT time of each matched event, in a log-bucketed histogram (exact
  below 2,048 µs, within 1.6% above), giving p50/p99/max in µs. Both sides' clocks must be
  comparable (PTP on both; never a smeared clock against an unsmeared one).

The verdict checks the counts of the candidate side against the wave's ``CutoverCriteria``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tradeplane.errors import InputError, Location
from tradeplane.estate import CutoverCriteria
from tradeplane.migrate.recordings import Batch, Reader, open_recording, same_recording

__all__ = ["Comparison", "Side", "compare", "compare_readers"]

SEQ_BITS = 40
SEQ_MASK = (1 << SEQ_BITS) - 1
SAMPLE = 10


@dataclass
class Side:
    """What one recording held."""

    path: str
    kind: str
    events: int = 0
    duplicated: int = 0
    reordered: int = 0
    skipped: int = 0
    streams: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "events": self.events, "duplicated": self.duplicated,
                "reordered": self.reordered, "skipped": self.skipped, "streams": self.streams}


@dataclass
class Comparison:
    left: Side
    right: Side
    matched: int = 0
    missing: int = 0
    extra: int = 0
    differing: int = 0
    p50_us: float = float("nan")
    p99_us: float = float("nan")
    max_us: float = float("nan")
    min_us: float = float("nan")
    missing_sample: list[str] = field(default_factory=list)
    extra_sample: list[str] = field(default_factory=list)
    differing_sample: list[str] = field(default_factory=list)
    verdict: str = "pass"
    reasons: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    def latency_line(self) -> str:
        """The latency in one line for people: ``latency right - left: p50 4,800.0 µs, p99 ..., max ...``,
        or, when no event is on both sides (no latency to measure), says so instead of printing NaN."""
        if not self.matched:
            return "latency right - left: not measured: no event is on both sides"
        return (f"latency right - left: p50 {self.p50_us:,.1f} µs, p99 {self.p99_us:,.1f} µs, "
                f"max {self.max_us:,.1f} µs")

    def to_json(self) -> dict[str, Any]:
        def r(x: float) -> float | None:
            return None if x != x else round(x, 3)

        return {"left": self.left.to_json(), "right": self.right.to_json(), "matched": self.matched,
                "missing": self.missing, "extra": self.extra, "differing": self.differing,
                "duplicated": self.right.duplicated, "reordered": self.right.reordered,
                "latency_us": {"p50": r(self.p50_us), "p99": r(self.p99_us), "max": r(self.max_us),
                               "min": r(self.min_us)},
                "samples": {"missing": self.missing_sample, "extra": self.extra_sample,
                            "differing": self.differing_sample},
                "verdict": self.verdict, "reasons": self.reasons}


# --------------------------------------------------------------------------- latency histogram

_LINEAR = 1 << 16  # exact to the microsecond below 65.5 ms
_LOG = 16


def _bucket(v_us: np.ndarray) -> np.ndarray:
    a = np.abs(v_us)
    big = a >= _LINEAR
    e = np.zeros_like(a)
    e[big] = np.floor(np.log2(a[big].astype(np.float64))).astype(np.int64)
    m = np.zeros_like(a)
    m[big] = (a[big] >> (e[big] - 6)) & 63
    b = np.where(big, _LINEAR + (e - _LOG) * 64 + m, a)
    out: np.ndarray = np.where(v_us < 0, -b, b)
    return out


def _value(b: int) -> float:
    a = abs(b)
    if a < _LINEAR:
        v = float(a)
    else:
        e, m = (a - _LINEAR) // 64 + _LOG, (a - _LINEAR) % 64
        v = float((64 + m) << (e - 6)) + float(1 << (e - 6)) / 2  # the middle of the bucket
    return -v if b < 0 else v


class _Histogram:
    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.n = 0
        self.max_ns: int | None = None
        self.min_ns: int | None = None

    def add(self, diff_ns: np.ndarray) -> None:
        if not len(diff_ns):
            return
        hi, lo = int(diff_ns.max()), int(diff_ns.min())
        self.max_ns = hi if self.max_ns is None else max(self.max_ns, hi)
        self.min_ns = lo if self.min_ns is None else min(self.min_ns, lo)
        keys, counts = np.unique(_bucket(diff_ns // 1000), return_counts=True)
        for k, c in zip(keys.tolist(), counts.tolist(), strict=True):
            self.counts[k] = self.counts.get(k, 0) + c
        self.n += len(diff_ns)

    def quantile(self, q: float) -> float:
        if not self.n:
            return float("nan")
        want = q * self.n
        seen = 0
        for k in sorted(self.counts, key=_value):
            seen += self.counts[k]
            if seen >= want:
                return _value(k)
        return _value(max(self.counts, key=_value))


# --------------------------------------------------------------------------- one side's running state


class _Running:
    """Per side: highest key per stream, recent keys (duplicates) and unmatched events."""

    def __init__(self, recent: int) -> None:
        self.hi = np.full(0, -1, dtype=np.int64)  # per stream id: highest key seen
        self.recent: list[np.ndarray] = []
        self.recent_batches = recent
        self.keys = np.empty(0, dtype=np.int64)
        self.t = np.empty(0, dtype=np.int64)
        self.content = np.empty(0, dtype=np.int64)

    def grow(self, streams: int) -> None:
        if streams > len(self.hi):
            self.hi = np.concatenate([self.hi, np.full(streams - len(self.hi), -1, dtype=np.int64)])

    def take(self, b: Batch, side: Side) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Count duplicates and reorders; return the batch's first occurrences (key, t, content)."""
        keys = (b.stream << SEQ_BITS) | (b.seq & SEQ_MASK)
        self.grow(int(b.stream.max()) + 1)
        # Duplicates: within the batch, and against the recent batches.
        _, first = np.unique(keys, return_index=True)
        keep = np.zeros(len(keys), dtype=bool)
        keep[first] = True
        if self.recent:
            keep &= ~np.isin(keys, np.concatenate(self.recent))
        side.duplicated += int(len(keys) - np.count_nonzero(keep))
        self.recent.append(keys[keep])
        if len(self.recent) > self.recent_batches:
            self.recent.pop(0)
        # Reordered: a first occurrence lower than the running maximum of its stream (arrival order).
        order = np.argsort(b.stream, kind="stable")
        ks = keys[order]
        ss = b.stream[order]
        cm = np.maximum.accumulate(ks)
        prev = np.empty_like(ks)
        prev[0] = -1
        prev[1:] = cm[:-1]
        starts = np.ones(len(ks), dtype=bool)
        starts[1:] = ss[1:] != ss[:-1]
        carry = self.hi[ss]
        prev = np.where(starts, carry, np.maximum(prev, carry))
        side.reordered += int(np.count_nonzero((ks < prev) & keep[order]))
        ends = np.ones(len(ks), dtype=bool)
        ends[:-1] = starts[1:]
        self.hi[ss[ends]] = np.maximum(self.hi[ss[ends]], cm[ends])
        return keys[keep], b.t[keep], b.content[keep]


def _name(streams: list[str], key: int) -> str:
    sid, seq = key >> SEQ_BITS, key & SEQ_MASK
    stream = streams[sid] if sid < len(streams) else f"stream {sid}"
    return f"{stream} seq {seq}"


def compare_readers(left: Reader, right: Reader, criteria: CutoverCriteria | None = None, *,
                    window: int = 100_000, recent: int = 8) -> Comparison:
    """Compare two opened recordings; see the module docstring. ``window`` is in sequence numbers."""
    crit = criteria or CutoverCriteria()
    ls, rs = Side(str(left.path), left.kind), Side(str(right.path), right.kind)
    result = Comparison(ls, rs)
    lrun, rrun = _Running(recent), _Running(recent)
    hist = _Histogram()
    # Stream ids must mean the same stream on both sides: map the right side's ids onto the left's.
    rmap: dict[int, int] = {}
    names: dict[str, int] = {}

    def unify(reader: Reader, b: Batch, mapping: dict[int, int]) -> Batch:
        for sid in range(len(mapping), len(reader.streams)):
            mapping[sid] = names.setdefault(reader.streams[sid], len(names))
        table = np.asarray([mapping[i] for i in range(len(reader.streams))], dtype=np.int64)
        return Batch(table[b.stream], b.seq, b.t, b.content)

    lmap: dict[int, int] = {}
    lit, rit = left.batches(), right.batches()
    ldone = rdone = False
    while not (ldone and rdone):
        if not ldone:
            lb = next(lit, None)
            if lb is None:
                ldone = True
            elif len(lb):
                k, t, c = lrun.take(unify(left, lb, lmap), ls)
                lrun.keys, lrun.t, lrun.content = (np.concatenate([lrun.keys, k]), np.concatenate([lrun.t, t]),
                                                   np.concatenate([lrun.content, c]))
        if not rdone:
            rb = next(rit, None)
            if rb is None:
                rdone = True
            elif len(rb):
                k, t, c = rrun.take(unify(right, rb, rmap), rs)
                rrun.keys, rrun.t, rrun.content = (np.concatenate([rrun.keys, k]), np.concatenate([rrun.t, t]),
                                                   np.concatenate([rrun.content, c]))
        streams = sorted(names, key=names.__getitem__)
        _match(lrun, rrun, result, hist, streams)
        _evict(lrun, rrun, window, result, streams, final=ldone and rdone)
    ls.events, rs.events = left.events, right.events
    ls.skipped, rs.skipped = left.skipped, right.skipped
    ls.streams, rs.streams = len(left.streams), len(right.streams)
    result.p50_us, result.p99_us = hist.quantile(0.50), hist.quantile(0.99)
    if hist.max_ns is not None and hist.min_ns is not None:
        result.max_us, result.min_us = hist.max_ns / 1000, hist.min_ns / 1000
    _verdict(result, crit)
    return result


def _match(lrun: _Running, rrun: _Running, result: Comparison, hist: _Histogram, names: list[str]) -> None:
    if not len(lrun.keys) or not len(rrun.keys):
        return
    common, li, ri = np.intersect1d(lrun.keys, rrun.keys, assume_unique=True, return_indices=True)
    if not len(common):
        return
    result.matched += len(common)
    hist.add(rrun.t[ri] - lrun.t[li])
    diff = lrun.content[li] != rrun.content[ri]
    n = int(np.count_nonzero(diff))
    if n:
        result.differing += n
        room = SAMPLE - len(result.differing_sample)
        result.differing_sample += [_name(names, int(k)) for k in common[diff][:max(room, 0)]]
    lkeep = np.ones(len(lrun.keys), dtype=bool)
    lkeep[li] = False
    rkeep = np.ones(len(rrun.keys), dtype=bool)
    rkeep[ri] = False
    lrun.keys, lrun.t, lrun.content = lrun.keys[lkeep], lrun.t[lkeep], lrun.content[lkeep]
    rrun.keys, rrun.t, rrun.content = rrun.keys[rkeep], rrun.t[rkeep], rrun.content[rkeep]


def _evict(lrun: _Running, rrun: _Running, window: int, result: Comparison, names: list[str], *, final: bool) -> None:
    for run, other, attr, sample in ((lrun, rrun, "missing", result.missing_sample),
                                     (rrun, lrun, "extra", result.extra_sample)):
        if not len(run.keys):
            continue
        if final:
            gone = np.ones(len(run.keys), dtype=bool)
        else:
            sid = run.keys >> SEQ_BITS
            other.grow(int(sid.max()) + 1)
            gone = run.keys < other.hi[sid] - window
            gone &= other.hi[sid] >= 0
        n = int(np.count_nonzero(gone))
        if not n:
            continue
        setattr(result, attr, getattr(result, attr) + n)
        room = SAMPLE - len(sample)
        if room > 0:
            sample += [_name(names, int(k)) for k in np.sort(run.keys[gone])[:room]]
        keep = ~gone
        run.keys, run.t, run.content = run.keys[keep], run.t[keep], run.content[keep]


def _verdict(r: Comparison, c: CutoverCriteria) -> None:
    checks = [
        ("missing", r.missing, c.max_missing), ("extra", r.extra, c.max_extra),
        ("duplicated", r.right.duplicated, c.max_duplicated), ("reordered", r.right.reordered, c.max_reordered),
        ("differing", r.differing, c.max_differing),
    ]
    reasons = [f"{what}: {got:,} > {limit:,} allowed" for what, got, limit in checks if got > limit]
    if r.matched == 0:
        reasons.append("no event is on both sides: are these recordings of the same feed?")
    elif r.p99_us > c.max_p99_us:
        reasons.append(f"latency p99 {r.p99_us:,.0f} µs > {c.max_p99_us:,.0f} µs allowed")
    if c.max_us is not None and r.matched and r.max_us > c.max_us:
        reasons.append(f"latency max {r.max_us:,.0f} µs > {c.max_us:,.0f} µs allowed")
    r.reasons = reasons
    r.verdict = "fail" if reasons else "pass"


def compare(left: str | Path, right: str | Path, criteria: CutoverCriteria | None = None, *,
            window: int = 100_000, batch: int = 65_536) -> Comparison:
    """Compare two recordings (pcap, pcapng, Parquet file or recording directory); ``InputError`` for
    a file that is none of these, truncated or corrupt (with what was read before the damage), or
    when both sides are one recording (the same file, or the same bytes: ``recordings.same_recording``),
    since a recording compared with itself matches everything and proves nothing."""
    lr, rr = open_recording(left, batch), open_recording(right, batch)
    same = same_recording(left, right)
    if same:
        raise InputError.single(
            f"{left} and {right} are {same}: a recording compared with itself proves nothing about the GCP side",
            location=Location(str(right)), field="RIGHT",
            hint="give the colocation's recording as LEFT and the GCP side's recording of the same period as RIGHT")
    return compare_readers(lr, rr, criteria, window=window)
