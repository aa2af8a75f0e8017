"""Read recordings as batches of (stream, sequence, receive time, content) for ``compare``.

Two formats, recognised by their first bytes:

- **Parquet recordings of ``tradeplane feeds``** (``feeds/sinks/parquet.py``: a file or a directory
  of ``*.parquet``): a stream is venue/symbol/type, the sequence is ``seq``, the time ``ts_recv``
  (ns) and the content the exchange's fields (price, qty, ``ts_exchange``), so the two sides'
  receive times do not make every event differ. ``gap`` rows (written by the gateway, not the
  venue) are skipped. A stream without sequence numbers (one the gateway arbitrates ``keyed``:
  Kraken's book, ticker and trades, Coinbase's level2, ...; and any row recorded with
  ``seq`` = ``NO_SEQ``) is identified the way the gateway's arbiter identifies it:
  ``feeds.venues.arbitration_key`` of the recorded event (the ``payload``), e.g. a Kraken book
  update by its exchange timestamp and levels. Such a row is marked ``keyed`` and carries
  ``ident``, a 64-bit BLAKE2b digest of (stream, key); its content is then price and qty only,
  since the key already holds what of the exchange timestamp identifies the event (Coinbase
  Advanced's ticker time is each connection's own).
- **CME MDP 3.0 packet captures**, pcap or pcapng (read with dpkt). Each UDP packet starts with the
  MDP 3.0 packet header: ``MsgSeqNum`` (uint32, little-endian) then ``SendingTime`` (uint64,
  little-endian, ns since the epoch); that is enough for gaps, duplicates and latency without
  decoding the message bodies (CME Client Systems wiki, "MDP 3.0 - Packet Structure"). A stream
  is the UDP destination port (one per channel and feed), the time the capture timestamp, the
  content the whole UDP payload (which carries SendingTime). Ethernet, with or without one
  802.1Q tag; non-UDP frames and payloads shorter than the 12-byte header are counted, not read.

Memory stays bounded: batches of ``batch`` events. A truncated or corrupt capture raises
``InputError`` naming the file, the packet number and byte offset, and what was read before it.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import msgspec
import numpy as np

from tradeplane.errors import InputError, Location
from tradeplane.feeds.events import NO_SEQ, event_decoder
from tradeplane.feeds.venues import arbitration_key, arbitration_mode

__all__ = ["Batch", "Reader", "open_recording", "same_recording"]

MDP_HEADER = struct.Struct("<IQ")  # MsgSeqNum uint32, SendingTime uint64 (ns)
PCAP_MAGICS = {b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"}
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
PARQUET_MAGIC = b"PAR1"


@dataclass
class Batch:
    """Parallel arrays: stream id (into ``Reader.streams``), sequence, receive time (ns), content hash;
    ``keyed`` (bool) marks events a sequence number does not identify, ``ident`` their identity (int64
    digest of stream and arbitration key; 0 elsewhere) and ``tx`` is the exchange time (ns; 0 where
    unknown), which names keyed events in samples. ``Batch.sequenced``: nothing keyed (captures)."""

    stream: np.ndarray
    seq: np.ndarray
    t: np.ndarray
    content: np.ndarray
    keyed: np.ndarray
    ident: np.ndarray
    tx: np.ndarray

    @classmethod
    def sequenced(cls, stream: np.ndarray, seq: np.ndarray, t: np.ndarray, content: np.ndarray) -> Batch:
        zeros = np.zeros(len(seq), dtype=np.int64)
        return cls(stream, seq, t, content, np.zeros(len(seq), dtype=bool), zeros, zeros)

    def __len__(self) -> int:
        return len(self.seq)


@dataclass
class Reader:
    """A recording opened for batches; ``streams`` names the stream ids as they appear."""

    path: Path
    kind: str  # "parquet", "pcap" or "pcapng"
    batch: int = 65_536
    streams: list[str] = field(default_factory=list)
    events: int = 0
    skipped: int = 0  # frames that are not MDP packets (non-UDP, short payloads) or gap rows
    last_seq: dict[str, int] = field(default_factory=dict)
    _ids: dict[Any, int] = field(default_factory=dict)
    _keyed: list[bool] = field(default_factory=list)  # per stream id: arbitrated keyed (no sequence)

    def stream_id(self, key: Any, name: str) -> int:
        sid = self._ids.get(key)
        if sid is None:
            sid = self._ids[key] = len(self.streams)
            self.streams.append(name)
            self._keyed.append(False)
        return sid

    def batches(self) -> Iterator[Batch]:
        if self.kind == "parquet":
            yield from self._parquet()
        else:
            yield from self._pcap()

    # ------------------------------------------------------------------ parquet

    def _files(self) -> list[Path]:
        if self.path.is_dir():
            files = sorted(self.path.glob("*.parquet"))
            if not files:
                raise InputError.single(f"{self.path} holds no .parquet files", location=Location(str(self.path)),
                                        hint="give a recording directory of tradeplane feeds, a .parquet file, "
                                             "or a pcap/pcapng capture")
            return files
        return [self.path]

    def _parquet(self) -> Iterator[Batch]:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        columns = ["type", "venue", "symbol", "seq", "ts_recv", "ts_exchange", "price", "qty", "payload"]
        for f in self._files():
            try:
                pf = pq.ParquetFile(f)
            except (OSError, pa.ArrowInvalid) as exc:
                raise InputError.single(f"not a readable Parquet recording: {exc}", location=Location(str(f)),
                                        hint=self._so_far()) from None
            missing = [c for c in columns if c not in pf.schema_arrow.names]
            if missing:
                raise InputError.single(f"not a tradeplane feed recording: no column(s) {', '.join(missing)}",
                                        location=Location(str(f)), field=missing[0],
                                        hint="record with 'tradeplane feeds run' (Parquet sink)")
            row = 0
            try:
                for rb in pf.iter_batches(columns=columns, batch_size=self.batch):
                    row += rb.num_rows
                    keep = pc.not_equal(rb.column(0), "gap")
                    rb = rb.filter(keep)
                    self.skipped += int(len(keep) - rb.num_rows)
                    if rb.num_rows == 0:
                        continue
                    key = pc.binary_join_element_wise(rb.column(1), rb.column(2), rb.column(0), "/")
                    enc = key.dictionary_encode()
                    local = [self._parquet_stream(v) for v in enc.dictionary.to_pylist()]
                    sid = np.asarray(local, dtype=np.int64)[enc.indices.to_numpy(zero_copy_only=False)]
                    seq = rb.column(3).fill_null(-1).to_numpy().astype(np.int64)
                    t = rb.column(4).fill_null(0).to_numpy().astype(np.int64)
                    tx = rb.column(5).fill_null(0).to_numpy().astype(np.int64)
                    price = rb.column(6).fill_null(0).to_numpy().astype(np.int64)
                    qty = rb.column(7).fill_null(0).to_numpy().astype(np.int64)
                    with np.errstate(over="ignore"):
                        content = (price * np.int64(0x9E3779B1)) ^ (qty * np.int64(0x85EBCA77))
                    keyed = np.asarray(self._keyed, dtype=bool)[sid] | (seq == NO_SEQ)
                    ident = self._identities(f, row - len(keep), keep.fill_null(False).to_numpy(zero_copy_only=False),
                                             rb.column(8), keyed, sid)
                    content = np.where(keyed, content, content ^ tx)
                    self.events += len(seq)
                    yield Batch(sid, seq, t, content, keyed, ident, tx)
            except (OSError, pa.ArrowInvalid) as exc:
                raise InputError.single(f"corrupt Parquet recording after row {row:,}: {exc}",
                                        location=Location(str(f), row), hint=self._so_far()) from None

    def _parquet_stream(self, name: str) -> int:
        """The id of stream ``venue/symbol/type`` (the symbol may hold a '/'), noting whether the
        gateway arbitrates it ``keyed``."""
        sid = self.stream_id(name, name)
        venue, _, rest = name.partition("/")
        self._keyed[sid] = arbitration_mode(venue, rest.rpartition("/")[2]) == "keyed"
        return sid

    def _identities(self, f: Path, first_row: int, kept: np.ndarray, payload: Any, keyed: np.ndarray,
                    sid: np.ndarray) -> np.ndarray:
        """The ``ident`` of each keyed row (0 elsewhere): a signed 64-bit BLAKE2b digest of the msgpack
        of (stream name, arbitration key of the decoded payload). A row whose payload is no recorded
        event is an ``InputError`` naming the file and row; one whose key turns out to be None
        (sequenced after all) is left unkeyed."""
        ident = np.zeros(len(keyed), dtype=np.int64)
        rows = np.flatnonzero(keyed)
        if not len(rows):
            return ident
        where = np.flatnonzero(kept)  # the rows of the file's batch the gap filter kept
        payloads = payload.take(rows).to_pylist()
        encode = msgspec.msgpack.encode
        for i, raw in zip(rows.tolist(), payloads, strict=True):
            try:
                ev = event_decoder.decode(raw or b"")
            except (msgspec.DecodeError, msgspec.ValidationError, TypeError) as exc:
                row = first_row + int(where[i]) + 1
                raise InputError.single(
                    f"row {row:,}: payload is not a recorded event ({exc}), and this stream has no sequence "
                    f"number to identify it by", location=Location(str(f), row), field="payload",
                    hint="the recording is damaged: record it again with 'tradeplane feeds run' (Parquet sink)"
                ) from None
            k = arbitration_key(ev)
            if k is None:
                keyed[i] = False
                continue
            digest = hashlib.blake2b(encode((self.streams[int(sid[i])], k)), digest_size=8).digest()
            ident[i] = int.from_bytes(digest, "little", signed=True)
        return ident

    # ------------------------------------------------------------------ pcap / pcapng

    def _so_far(self) -> str:
        streams = ", ".join(f"{s} up to seq {self.last_seq[s]}" for s in sorted(self.last_seq)[:4])
        return f"read {self.events:,} event(s) before it" + (f" ({streams})" if streams else "") + \
            "; compare what was read by cutting the capture there, or capture again"

    def _pcap(self) -> Iterator[Batch]:
        import dpkt

        with open(self.path, "rb") as raw:
            f = _Tracked(raw, self.kind)
            try:
                reader: Any = dpkt.pcapng.Reader(f) if self.kind == "pcapng" else dpkt.pcap.Reader(f)
            except (ValueError, dpkt.Error) as exc:
                raise InputError.single(f"corrupt {self.kind} file header: {exc}", location=Location(str(self.path)),
                                        hint="is this a pcap/pcapng capture?") from None
            nano = self.kind == "pcap" and getattr(reader, "_divisor", 1e6) == 1e9
            little = self.kind == "pcap" and f.first[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1")
            hdr = struct.Struct(("<" if little else ">") + "II")
            dlt = reader.datalink()
            if dlt != dpkt.pcap.DLT_EN10MB:
                raise InputError.single(f"link type {dlt} is not Ethernet", location=Location(str(self.path)),
                                        hint="capture on an Ethernet interface (DLT_EN10MB)")
            sids: list[int] = []
            seqs: list[int] = []
            times: list[int] = []
            contents: list[int] = []
            packet = 0
            it = iter(reader)
            while True:
                start = f.pos
                try:
                    ts, buf = next(it)
                except StopIteration:
                    if f.short:
                        raise InputError.single(
                            f"truncated {self.kind} file after record {packet} at byte {start:,}: the file ends "
                            f"inside a record", location=Location(str(self.path), packet + 1), field="packet",
                            hint=self._so_far()) from None
                    break
                except (dpkt.NeedData, dpkt.UnpackError, ValueError, struct.error) as exc:
                    raise InputError.single(
                        f"corrupt or truncated {self.kind} record {packet + 1} at byte {start:,}: {exc}",
                        location=Location(str(self.path), packet + 1), field="packet", hint=self._so_far()) from None
                packet += 1
                if f.short:
                    raise InputError.single(
                        f"truncated {self.kind} record {packet} at byte {start:,}: the file ends inside it",
                        location=Location(str(self.path), packet), field="packet", hint=self._so_far())
                if self.kind == "pcap" and f.header is not None:
                    sec, frac = hdr.unpack(f.header[:8])
                    t_ns = sec * 1_000_000_000 + (frac if nano else frac * 1000)
                else:
                    t_ns = round(ts * 1e9)
                parsed = _udp(buf)
                if parsed is None:
                    self.skipped += 1
                    continue
                port, payload = parsed
                seq, _sending = MDP_HEADER.unpack_from(payload)
                name = f"udp/{port}"
                sids.append(self.stream_id(port, name))
                seqs.append(seq)
                times.append(t_ns)
                contents.append(hash(payload))
                self.last_seq[name] = seq
                self.events += 1  # counted when read, so an error mid-batch says how many were read
                if len(seqs) >= self.batch:
                    yield _batch(sids, seqs, times, contents)
                    sids, seqs, times, contents = [], [], [], []
            if seqs:
                yield _batch(sids, seqs, times, contents)


def _batch(sids: list[int], seqs: list[int], times: list[int], contents: list[int]) -> Batch:
    return Batch.sequenced(np.asarray(sids, dtype=np.int64), np.asarray(seqs, dtype=np.int64),
                 np.asarray(times, dtype=np.int64), np.asarray(contents, dtype=np.int64))


def _udp(frame: bytes) -> tuple[int, bytes] | None:
    """(destination port, UDP payload) of an Ethernet/IPv4/UDP frame carrying an MDP header, else None."""
    if len(frame) < 14:
        return None
    off = 14
    ethertype = int.from_bytes(frame[12:14], "big")
    if ethertype == 0x8100 and len(frame) >= 18:
        ethertype = int.from_bytes(frame[16:18], "big")
        off = 18
    if ethertype != 0x0800 or len(frame) < off + 20:
        return None
    ihl = (frame[off] & 0x0F) * 4
    if frame[off + 9] != 17 or len(frame) < off + ihl + 8 + MDP_HEADER.size:
        return None
    udp = off + ihl
    return int.from_bytes(frame[udp + 2:udp + 4], "big"), frame[udp + 8:]


class _Tracked:
    """A file wrapper that knows its offset, the last pcap record header and whether a read came up short.

    pcap: the global header (24 bytes), then record headers (16 bytes) and bodies alternate; an empty
    read where a record header belongs is the normal end. pcapng: any partial read is a truncation.
    """

    def __init__(self, f: IO[bytes], kind: str) -> None:
        self._f = f
        self.kind = kind
        self.pos = 0
        self.short = False
        self.header: bytes | None = None
        self._reads = 0
        self.first = f.read(4)
        f.seek(0)

    def read(self, n: int = -1) -> bytes:
        data = self._f.read(n)
        self.pos += len(data)
        self._reads += 1
        if self.kind == "pcap" and self._reads > 1:
            is_header = self._reads % 2 == 0
            if is_header:
                self.header = data
                if 0 < len(data) < n:
                    self.short = True
            elif len(data) < n:
                self.short = True
        elif 0 < len(data) < n:
            self.short = True
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._f, name)


def _files_of(p: Path) -> list[Path]:
    return sorted(p.glob("*.parquet")) if p.is_dir() else [p]


def _digest(p: Path) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    for f in _files_of(p):
        h.update(f.name.encode() + b"\0" if p.is_dir() else b"")
        with open(f, "rb") as raw:
            while chunk := raw.read(1 << 20):
                h.update(chunk)
        h.update(b"\0")
    return h.digest()


def same_recording(left: str | Path, right: str | Path) -> str:
    """Why two recordings are one and the same (``"the same file"``, ``"the same content"``), or ``""``.

    A recording compared with itself matches event for event and proves nothing about the other
    side. Same content is checked by size first, then a BLAKE2 digest of the bytes (a directory:
    its ``*.parquet`` files by name and content)."""
    a, b = Path(left), Path(right)
    try:
        if a.resolve() == b.resolve() or a.samefile(b):
            return "the same file"
    except OSError:
        return ""
    fa, fb = _files_of(a), _files_of(b)
    if a.is_dir() != b.is_dir() or len(fa) != len(fb):
        return ""
    if [f.stat().st_size for f in fa] != [f.stat().st_size for f in fb]:
        return ""
    return "the same content" if _digest(a) == _digest(b) else ""


def open_recording(path: str | Path, batch: int = 65_536) -> Reader:
    """Recognise a recording by its first bytes; ``InputError`` when it is none of the known kinds."""
    p = Path(path)
    if not p.exists():
        raise InputError.single(f"no recording at {p}", location=Location(str(p)),
                                hint="give a pcap/pcapng capture, a .parquet file or a recording directory")
    if p.is_dir():
        return Reader(p, "parquet", batch)
    with open(p, "rb") as f:
        head = f.read(4)
    if head == PARQUET_MAGIC:
        return Reader(p, "parquet", batch)
    if head == PCAPNG_MAGIC:
        return Reader(p, "pcapng", batch)
    if head in PCAP_MAGICS:
        return Reader(p, "pcap", batch)
    raise InputError.single(f"{p} is not a recording tradeplane reads (first bytes {head.hex() or 'empty'})",
                            location=Location(str(p)),
                            hint="give a pcap/pcapng capture of CME MDP 3.0 or a tradeplane feeds Parquet recording")
