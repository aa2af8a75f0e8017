"""Parquet recorder (rolling files) and replayer.

Each row is one normalised event: typed columns for querying (type, venue, symbol, seq,
timestamps, price/qty where the event has one) plus ``payload``, the event itself in
msgpack, so a replay gives back exactly the events that were recorded. Files roll over
after ``rotate_rows`` rows or ``rotate_s`` seconds of receive time and are named so that
sorting by name is sorting by time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from tradeplane.errors import InputError
from tradeplane.feeds.events import BBO, CHANNEL_OF, Gap, MarketEvent, Trade, event_decoder, event_encoder

SCHEMA = pa.schema([
    ("type", pa.string()),
    ("venue", pa.string()),
    ("symbol", pa.string()),
    ("seq", pa.int64()),
    ("ts_exchange", pa.int64()),
    ("ts_recv", pa.int64()),
    ("price", pa.int64()),
    ("qty", pa.int64()),
    ("payload", pa.binary()),
])


@dataclass
class ParquetRecorder:
    directory: Path
    rotate_rows: int = 1_000_000
    rotate_s: float = 3600.0
    batch: int = 10_000
    files: list[Path] = field(default_factory=list)
    rows: int = 0
    _cols: dict[str, list[Any]] = field(default_factory=lambda: {n: [] for n in SCHEMA.names})
    _writer: pq.ParquetWriter | None = None
    _file_rows: int = 0
    _file_start_ns: int = 0

    def __post_init__(self) -> None:
        self.directory = Path(self.directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def publish(self, ev: MarketEvent) -> None:
        c = self._cols
        c["type"].append(CHANNEL_OF[type(ev)] if not isinstance(ev, Gap) else "gap")
        c["venue"].append(ev.venue)
        c["symbol"].append(ev.symbol)
        c["seq"].append(getattr(ev, "seq", getattr(ev, "from_seq", -1)))
        c["ts_exchange"].append(getattr(ev, "ts_exchange", 0))
        c["ts_recv"].append(ev.ts_recv)
        if isinstance(ev, Trade):
            c["price"].append(ev.price)
            c["qty"].append(ev.qty)
        elif isinstance(ev, BBO):
            c["price"].append(ev.bid_price)
            c["qty"].append(ev.bid_qty)
        else:
            c["price"].append(None)
            c["qty"].append(None)
        c["payload"].append(event_encoder.encode(ev))
        if len(c["payload"]) >= self.batch:
            self.flush()

    def flush(self) -> None:
        c = self._cols
        n = len(c["payload"])
        if not n:
            return
        first_ts = c["ts_recv"][0]
        if self._writer is not None and (
            self._file_rows >= self.rotate_rows or first_ts - self._file_start_ns >= self.rotate_s * 1e9
        ):
            self._close_file()
        if self._writer is None:
            path = self.directory / f"md-{first_ts:020d}-{len(self.files):06d}.parquet"
            self._writer = pq.ParquetWriter(path, SCHEMA, compression="zstd")
            self.files.append(path)
            self._file_rows = 0
            self._file_start_ns = first_ts
        table = pa.Table.from_pydict(c, schema=SCHEMA)
        self._writer.write_table(table)
        self._file_rows += n
        self.rows += n
        self._cols = {k: [] for k in SCHEMA.names}

    def _close_file(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def close(self) -> None:
        self.flush()
        self._close_file()

    async def aclose(self) -> None:
        self.close()


def recorded_files(directory: Path, *, what: str = "") -> list[Path]:
    """The recording files (``md-*.parquet``) in ``directory``, in order: the one check of a recording
    directory (``feeds replay``, ``feeds simulate --replay``, ``replay()``). Raises InputError, one
    line (prefixed with ``what``, e.g. the option's name, when given), when the directory does not
    exist, is not a directory, or holds no recording file."""
    directory = Path(directory)
    head = f"{what} {directory}" if what else str(directory)
    expected = "give the directory the Parquet sink recorded into (sinks.parquet.dir), holding md-*.parquet files"
    if not directory.exists():
        raise InputError(f"{head}: no such recording directory; {expected}")
    if not directory.is_dir():
        raise InputError(f"{head}: not a directory; {expected}")
    files = sorted(directory.glob("md-*.parquet"))
    if not files:
        raise InputError(f"{head}: no recording files in it (no md-*.parquet); {expected}")
    return files


def replay(directory: Path, *, venue: str | None = None, symbol: str | None = None) -> Iterator[MarketEvent]:
    """Every recorded event, in recorded order (optionally one venue / symbol)."""
    for path in recorded_files(directory):
        try:
            pf = pq.ParquetFile(path)
            batches = pf.iter_batches(columns=["venue", "symbol", "payload"], batch_size=65_536)
            for n, batch in enumerate(batches):
                venues = batch.column(0).to_pylist()
                symbols = batch.column(1).to_pylist()
                payloads = batch.column(2).to_pylist()
                decode = event_decoder.decode
                for row, (v, s, p) in enumerate(zip(venues, symbols, payloads, strict=True)):
                    if (venue is None or v == venue) and (symbol is None or s == symbol):
                        try:
                            ev = decode(p)
                        except (msgspec.DecodeError, msgspec.ValidationError, TypeError) as exc:
                            raise InputError(f"{path}: row {n * 65_536 + row + 1}: payload is not a recorded event "
                                             f"({exc}); the recording is damaged") from None
                        yield ev
        except (pa.ArrowException, OSError, KeyError) as exc:
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputError(f"{path}: not a readable Parquet recording (truncated?): {msg}") from None


async def replay_into(directory: Path, sinks: Sequence[Any], *, speed: float = 0.0) -> int:
    """Publish a recording into sinks; ``speed`` 1.0 keeps the original pacing, 0 is as fast as possible."""
    n = 0
    t0_rec = 0
    t0_wall = 0.0
    loop = asyncio.get_running_loop()
    for ev in replay(directory):
        if speed > 0:
            if not t0_rec:
                t0_rec, t0_wall = ev.ts_recv, loop.time()
            delay = (ev.ts_recv - t0_rec) / 1e9 / speed - (loop.time() - t0_wall)
            if delay > 0:
                await asyncio.sleep(delay)
        for s in sinks:
            s.publish(ev)
        n += 1
        if n % 4096 == 0:
            await asyncio.sleep(0)
    return n


def summarise(directory: Path) -> dict[str, list[dict[str, Any]]]:
    """A recording at a glance: ``{"streams": [{venue, channel, symbol, events}], "gaps": [{venue, symbol,
    channel, from, to, reason}]}``, streams sorted. Raises InputError for a missing or damaged recording."""
    counts: dict[tuple[str, str, str], int] = {}
    gaps: list[dict[str, Any]] = []
    for ev in replay(directory):
        key = (ev.venue, CHANNEL_OF[type(ev)], ev.symbol)
        counts[key] = counts.get(key, 0) + 1
        if isinstance(ev, Gap):
            gaps.append({"venue": ev.venue, "symbol": ev.symbol, "channel": ev.channel, "from": ev.from_seq,
                         "to": ev.to_seq, "reason": ev.reason})
    streams: list[dict[str, Any]] = [
        {"venue": v, "channel": c, "symbol": s, "events": n} for (v, c, s), n in sorted(counts.items())
    ]
    return {"streams": streams, "gaps": gaps}
