"""``compare(left, right)``: two recordings of the same feed, event by event, with a cutover verdict.

LEFT is the reference (the colocation side), RIGHT the candidate (the GCP side). An event is
identified by its stream and sequence number (``recordings``); on a stream without sequence
numbers (``keyed``: Kraken, Coinbase level2, ...) by its stream and the key the feeds gateway's
arbiter drops copies by (``feeds.venues.arbitration_key``: e.g. a Kraken book update's exchange
timestamp and levels), never by its receive time. The comparison streams both recordings in
batches, alternately, so memory is bounded by the batch size and the ``window``:

- **duplicated**: a (stream, seq) seen again on the same side within the last ``recent`` batches;
  a keyed event: a copy of the same key that one side holds more of than the other (the n-th copy
  on one side pairs with the n-th on the other, copies counted within the last ``recent`` batches),
  so content that really comes twice on both sides is matched twice, not duplicated;
- **reordered**: a sequence number lower than the highest already seen on that stream and side
  (keyed events have no order to break);
- **matched**: present on both sides; **differing** when their content differs;
- **missing** / **extra**: on one side only, once the other side has moved ``window`` sequence
  numbers (keyed: ``window`` events) past it on that stream (or at the end);
- **latency**: RIGHT time minus LEFT time of each matched event, in a log-bucketed histogram (exact
  below 2,048 µs, within 1.6% above), giving p50/p99/max in µs. Both sides' clocks must be
  comparable (PTP on both; never a smeared clock against an unsmeared one).

The verdict checks the counts of the candidate side against the wave's ``CutoverCriteria``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
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
# A keyed event's match key: its 64-bit identity mixed with its occurrence, with the sign bit set, so
# it never equals a sequenced key (stream << SEQ_BITS | seq, never negative). Two different keyed
# events share a key only by a 63-bit digest collision: about n^2 / 2^64 for n events a side.
KEYED_BIT = np.int64(-(1 << 63))
OCC_MIX = np.int64(0x9E3779B97F4A7C15 - (1 << 64))  # odd (golden ratio), as a signed 64-bit integer


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
    duplicated_sample: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "events": self.events, "duplicated": self.duplicated,
                "reordered": self.reordered, "skipped": self.skipped, "streams": self.streams,
                "duplicated_sample": self.duplicated_sample}


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
                            "differing": self.differing_sample, "duplicated": self.right.duplicated_sample},
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


@dataclass
class _Pending:
    """Events of one side not matched yet, as parallel arrays: match ``key``, stream id, position on
    the stream (sequenced: the key, whose low bits are the sequence; keyed: the event's ordinal on its
    stream on this side), receive time, content hash, exchange time, keyed, and ``dup`` (a keyed
    event's second or later occurrence on this side)."""

    key: np.ndarray
    sid: np.ndarray
    pos: np.ndarray
    t: np.ndarray
    content: np.ndarray
    tx: np.ndarray
    keyed: np.ndarray
    dup: np.ndarray

    @classmethod
    def empty(cls) -> _Pending:
        z = np.empty(0, dtype=np.int64)
        f = np.empty(0, dtype=bool)
        return cls(z, z, z, z, z, z, f, f)

    def __len__(self) -> int:
        return len(self.key)

    def select(self, mask: np.ndarray) -> _Pending:
        return _Pending(*(getattr(self, n)[mask] for n in _PENDING))

    def extend(self, *more: _Pending) -> _Pending:
        if not more:
            return self
        return _Pending(*(np.concatenate([getattr(p, n) for p in (self, *more)]) for n in _PENDING))

    def name(self, names: list[str], i: int) -> str:
        """How a sample names event ``i``: ``stream seq N``, or for a keyed event ``stream at`` its
        exchange time (``stream event N (no exchange time)`` when it has none)."""
        sid = int(self.sid[i])
        stream = names[sid] if sid < len(names) else f"stream {sid}"
        if not self.keyed[i]:
            return f"{stream} seq {int(self.key[i]) & SEQ_MASK}"
        tx = int(self.tx[i])
        if tx <= 0:
            return f"{stream} event {int(self.pos[i]) + 1} (no exchange time)"
        at = datetime.fromtimestamp(tx // 1_000_000_000, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        return f"{stream} at {at}.{tx % 1_000_000_000:09d}Z"


_PENDING = ("key", "sid", "pos", "t", "content", "tx", "keyed", "dup")


def _ranks(values: np.ndarray) -> np.ndarray:
    """For each element, how many equal values come before it (stable: in array order)."""
    order = np.argsort(values, kind="stable")
    s = values[order]
    idx = np.arange(len(s))
    starts = np.ones(len(s), dtype=bool)
    starts[1:] = s[1:] != s[:-1]
    out = np.empty(len(s), dtype=np.int64)
    out[order] = idx - np.maximum.accumulate(np.where(starts, idx, 0))
    return out


class _Running:
    """Per side: highest key per sequenced stream, events per keyed stream, recent keys (duplicates)
    and the events not matched yet."""

    def __init__(self, recent: int) -> None:
        self.hi = np.full(0, -1, dtype=np.int64)  # per stream id: highest key seen (sequenced events)
        self.n = np.zeros(0, dtype=np.int64)  # per stream id: keyed events seen
        self.recent: list[np.ndarray] = []  # per batch: first occurrences' keys (sequenced)
        self.recent_ident: list[np.ndarray] = []  # per batch: every keyed event's identity
        self.recent_batches = recent
        self.pending = _Pending.empty()

    def grow(self, streams: int) -> None:
        if streams > len(self.hi):
            self.hi = np.concatenate([self.hi, np.full(streams - len(self.hi), -1, dtype=np.int64)])
            self.n = np.concatenate([self.n, np.zeros(streams - len(self.n), dtype=np.int64)])

    def take(self, b: Batch, side: Side, names: list[str]) -> None:
        """Count duplicates and reorders of the batch's sequenced events; add its first occurrences
        and all its keyed events (numbered by occurrence) to the pending events."""
        self.grow(int(b.stream.max()) + 1)
        new: list[_Pending] = []
        seq_mask = ~b.keyed
        self.recent.append(self._sequenced(b, seq_mask, side, names, new) if seq_mask.any()
                           else np.empty(0, dtype=np.int64))
        self.recent_ident.append(self._keyed(b, b.keyed, new) if b.keyed.any() else np.empty(0, dtype=np.int64))
        if len(self.recent) > self.recent_batches:
            self.recent.pop(0)
            self.recent_ident.pop(0)
        self.pending = self.pending.extend(*new)

    def _sequenced(self, b: Batch, m: np.ndarray, side: Side, names: list[str], new: list[_Pending]) -> np.ndarray:
        stream, t, content, tx = b.stream[m], b.t[m], b.content[m], b.tx[m]
        keys: np.ndarray = (stream << SEQ_BITS) | (b.seq[m] & SEQ_MASK)
        # Duplicates: within the batch, and against the recent batches.
        _, first = np.unique(keys, return_index=True)
        keep = np.zeros(len(keys), dtype=bool)
        keep[first] = True
        if self.recent:
            keep &= ~np.isin(keys, np.concatenate(self.recent))
        dups = int(len(keys) - np.count_nonzero(keep))
        if dups:
            side.duplicated += dups
            room = SAMPLE - len(side.duplicated_sample)
            if room > 0:
                d = keys[~keep][:room]
                side.duplicated_sample += [f"{names[int(k) >> SEQ_BITS]} seq {int(k) & SEQ_MASK}" for k in d]
        # Reordered: a first occurrence lower than the running maximum of its stream (arrival order).
        order = np.argsort(stream, kind="stable")
        ks = keys[order]
        ss = stream[order]
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
        k = keys[keep]
        new.append(_Pending(k, stream[keep], k, t[keep], content[keep], tx[keep],
                            np.zeros(len(k), dtype=bool), np.zeros(len(k), dtype=bool)))
        return k

    def _keyed(self, b: Batch, m: np.ndarray, new: list[_Pending]) -> np.ndarray:
        """Keyed events: each is its identity and its occurrence on this side (0 the first time, 1
        for a second copy within the recent batches, ...), so the n-th copy on one side pairs with
        the n-th on the other and only copies one side has more of are left over as duplicates."""
        stream: np.ndarray = b.stream[m]
        ident: np.ndarray = b.ident[m]
        pos = self.n[stream] + _ranks(stream)  # ordinal of the event on its stream, this side
        self.n += np.bincount(stream, minlength=len(self.n))
        history = np.concatenate(self.recent_ident) if self.recent_ident else np.empty(0, dtype=np.int64)
        occ = _ranks(np.concatenate([history, ident]))[len(history):]
        with np.errstate(over="ignore"):
            key = (ident ^ (occ * OCC_MIX)) | KEYED_BIT
        new.append(_Pending(key, stream, pos, b.t[m], b.content[m], b.tx[m],
                            np.ones(len(key), dtype=bool), occ > 0))
        return ident


def compare_readers(left: Reader, right: Reader, criteria: CutoverCriteria | None = None, *,
                    window: int = 100_000, recent: int = 8) -> Comparison:
    """Compare two opened recordings; see the module docstring. ``window`` is in sequence numbers
    (events, on a stream without them)."""
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
        return Batch(table[b.stream], b.seq, b.t, b.content, b.keyed, b.ident, b.tx)

    lmap: dict[int, int] = {}
    lit, rit = left.batches(), right.batches()
    ldone = rdone = False
    while not (ldone and rdone):
        if not ldone:
            lb = next(lit, None)
            if lb is None:
                ldone = True
            elif len(lb):
                ub = unify(left, lb, lmap)
                lrun.take(ub, ls, sorted(names, key=names.__getitem__))
        if not rdone:
            rb = next(rit, None)
            if rb is None:
                rdone = True
            elif len(rb):
                ub = unify(right, rb, rmap)
                rrun.take(ub, rs, sorted(names, key=names.__getitem__))
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
    lp, rp = lrun.pending, rrun.pending
    if not len(lp) or not len(rp):
        return
    common, li, ri = np.intersect1d(lp.key, rp.key, assume_unique=True, return_indices=True)
    if not len(common):
        return
    result.matched += len(common)
    hist.add(rp.t[ri] - lp.t[li])
    diff = lp.content[li] != rp.content[ri]
    n = int(np.count_nonzero(diff))
    if n:
        result.differing += n
        room = SAMPLE - len(result.differing_sample)
        result.differing_sample += [lp.name(names, int(i)) for i in li[diff][:max(room, 0)]]
    lkeep = np.ones(len(lp), dtype=bool)
    lkeep[li] = False
    rkeep = np.ones(len(rp), dtype=bool)
    rkeep[ri] = False
    lrun.pending, rrun.pending = lp.select(lkeep), rp.select(rkeep)


def _evict(lrun: _Running, rrun: _Running, window: int, result: Comparison, names: list[str], *, final: bool) -> None:
    """Settle the events the other side can no longer bring: it is ``window`` positions past them on
    their stream, or both recordings have ended. A keyed event's later copy is a duplicate of its
    side; any other is missing (LEFT only) or extra (RIGHT only)."""
    for run, other, attr, sample, side in ((lrun, rrun, "missing", result.missing_sample, result.left),
                                           (rrun, lrun, "extra", result.extra_sample, result.right)):
        p = run.pending
        if not len(p):
            continue
        if final:
            gone = np.ones(len(p), dtype=bool)
        else:
            other.grow(int(p.sid.max()) + 1)
            hi, n = other.hi[p.sid], other.n[p.sid]
            gone = np.where(p.keyed, (n > 0) & (p.pos < n - 1 - window), (hi >= 0) & (p.pos < hi - window))
        if not gone.any():
            continue
        order = np.lexsort((p.pos, p.keyed, p.sid))
        order = order[gone[order]]
        dup = p.dup[order]
        for rows, count_side, what, into in ((order[dup], side, "duplicated", side.duplicated_sample),
                                             (order[~dup], result, attr, sample)):
            if not len(rows):
                continue
            setattr(count_side, what, getattr(count_side, what) + len(rows))
            room = SAMPLE - len(into)
            if room > 0:
                into += [p.name(names, int(i)) for i in rows[:room]]
        run.pending = p.select(~gone)


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
