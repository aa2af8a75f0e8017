"""Parallel-run comparison over MDP 3.0 captures (written with dpkt) and tradeplane Parquet recordings."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tradeplane.errors import InputError
from tradeplane.estate import CutoverCriteria
from tradeplane.feeds.events import Trade
from tradeplane.feeds.sinks.parquet import ParquetRecorder
from tradeplane.migrate import compare
from tradeplane.migrate.compare import _Histogram

from . import mdp

T0 = 1_765_000_000_000_000_000


def _sides(tmp_path: Path) -> tuple[Path, Path]:
    left = mdp.write(tmp_path / "colo.pcap", [(i, T0 + i * 1000) for i in range(1, 1001)], delay_ns=5_000)
    packets = [(i, T0 + i * 1000) for i in range(1, 1001) if i != 500]  # seq 500 lost
    packets.insert(10, (3, T0 + 3000))  # seq 3 twice
    packets[20], packets[21] = packets[21], packets[20]  # one swap
    right = mdp.write(tmp_path / "gcp.pcapng", packets, delay_ns=4_805_000, ng=True, body_of={700: b"\x01" * 20})
    return left, right


def test_pcap_against_pcapng_finds_every_kind_of_difference(tmp_path: Path) -> None:
    left, right = _sides(tmp_path)
    r = compare(left, right)
    assert (r.left.kind, r.right.kind) == ("pcap", "pcapng")
    assert (r.left.events, r.right.events) == (1000, 1000)
    assert (r.matched, r.missing, r.extra, r.differing) == (999, 1, 0, 1)
    assert (r.right.duplicated, r.right.reordered, r.left.duplicated, r.left.reordered) == (1, 1, 0, 0)
    assert r.missing_sample == ["udp/14310 seq 500"] and r.differing_sample == ["udp/14310 seq 700"]
    # GCP receives 4.8 ms later (pcapng timestamps are floats: within a microsecond).
    assert r.p50_us == 4800 and r.p99_us == 4800 and abs(r.max_us - 4800) < 1
    assert not r.passed
    assert r.reasons[0] == "missing: 1 > 0 allowed"
    lenient = CutoverCriteria(max_missing=1, max_duplicated=1, max_reordered=1, max_differing=1, max_p99_us=5000)
    assert compare(left, right, lenient).passed


def test_identical_captures_pass(tmp_path: Path) -> None:
    pk = [(i, T0 + i * 1000) for i in range(1, 300)]
    a = mdp.write(tmp_path / "a.pcap", pk, delay_ns=1_000)
    b = mdp.write(tmp_path / "b.pcap", pk, delay_ns=201_000)
    r = compare(a, b, CutoverCriteria(max_p99_us=250), batch=64)
    # dpkt writes float timestamps: the files themselves are exact only to a fraction of a microsecond.
    assert r.passed and r.matched == 299 and r.p99_us == 200 and abs(r.max_us - 200) < 1


def test_a_truncated_capture_is_a_located_error_with_what_was_read(tmp_path: Path) -> None:
    good = mdp.write(tmp_path / "a.pcap", [(i, T0 + i * 1000) for i in range(1, 101)])
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(good.read_bytes()[:-25])
    with pytest.raises(InputError) as exc:
        compare(good, cut)
    text = str(exc.value)
    assert "cut.pcap:100" in text and "truncated pcap record 100" in text
    # What was read: every event before the damaged record, counted even when no batch was full yet.
    assert "read 99 event(s) before it (udp/14310 up to seq 99)" in text
    big = mdp.write(tmp_path / "big.pcap", [(i, T0 + i * 1000) for i in range(1, 1001)])
    cut.write_bytes(big.read_bytes()[:-9])
    with pytest.raises(InputError, match=r"read 999 event\(s\) before it \(udp/14310 up to seq 999\)"):
        compare(big, cut)
    with pytest.raises(InputError, match=r"read 999 event\(s\) before it"):  # several batches, then the damage
        compare(big, cut, batch=64)


def test_nothing_matched_is_said_not_printed_as_nan(tmp_path: Path) -> None:
    a = mdp.write(tmp_path / "a.pcap", [(i, T0 + i * 1000) for i in range(1, 50)])
    b = mdp.write(tmp_path / "b.pcap", [(i, T0 + i * 1000) for i in range(1001, 1050)], port=14311)
    r = compare(a, b)
    assert r.matched == 0 and not r.passed
    assert r.latency_line() == "latency right - left: not measured: no event is on both sides"
    assert r.to_json()["latency_us"] == {"p50": None, "p99": None, "max": None, "min": None}
    assert "no event is on both sides: are these recordings of the same feed?" in r.reasons


def test_a_recording_compared_with_itself_is_refused(tmp_path: Path) -> None:
    a = mdp.write(tmp_path / "a.pcap", [(i, T0 + i * 1000) for i in range(1, 50)])
    with pytest.raises(InputError, match="are the same file: a recording compared with itself proves nothing"):
        compare(a, a)
    with pytest.raises(InputError, match="are the same file"):
        compare(a, tmp_path / "." / "a.pcap")
    copy = tmp_path / "copy.pcap"
    copy.write_bytes(a.read_bytes())
    with pytest.raises(InputError, match="are the same content"):
        compare(a, copy)
    other = mdp.write(tmp_path / "o.pcap", [(i, T0 + i * 1000) for i in range(1, 50)], delay_ns=1_000)
    assert compare(a, other).matched == 49  # same size, different bytes: compared


def test_garbage_is_not_a_recording(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"hello world")
    with pytest.raises(InputError, match="not a recording tradeplane reads"):
        compare(junk, junk)


def test_parquet_recordings_of_the_feed_gateway(tmp_path: Path) -> None:
    def record(directory: Path, lag_ns: int, drop: int | None) -> Path:
        rec = ParquetRecorder(directory, batch=100)
        for i in range(1, 501):
            if i == drop:
                continue
            rec.publish(Trade(venue="binance", symbol="BTCUSDT", seq=i, prev_seq=i - 1, ts_exchange=T0 + i,
                              ts_recv=T0 + i + lag_ns,
                              price=100_000 + i, qty=1, side=1, trade_id=str(i)))
        rec.close()
        return directory

    left = record(tmp_path / "colo", 1_000, None)
    right = record(tmp_path / "gcp", 3_001_000, 42)
    r = compare(left, right)
    assert (r.left.kind, r.matched, r.missing, r.differing) == ("parquet", 499, 1, 0)
    assert r.missing_sample == ["binance/BTCUSDT/trades seq 42"]
    assert r.p50_us == 3000
    shutil.copytree(left, tmp_path / "copy")  # a recording directory copied is still one recording
    with pytest.raises(InputError, match="are the same content"):
        compare(left, tmp_path / "copy")


def test_histogram_quantiles_are_within_two_percent() -> None:
    rng = np.random.default_rng(7)
    values = rng.lognormal(mean=8, sigma=1.5, size=50_000).astype(np.int64) * 1000
    h = _Histogram()
    h.add(values)
    for q in (0.5, 0.99):
        exact = np.quantile(values // 1000, q)
        assert abs(h.quantile(q) - exact) <= 0.02 * exact + 1


# --------------------------------------------------------------------------- a real gateway recording


def _record_gateway(out: Path) -> Path:
    """A real recording: the feeds gateway (two legs a venue) on the exchange simulator, Kraken (keyed:
    no sequence numbers, book and ticker rows recorded with seq = NO_SEQ) beside Binance (sequenced),
    book, trades and bbo, into the Parquet sink."""
    import asyncio

    from tradeplane.feeds.gateway import Gateway, LegSpec, Tuning, VenueSpec
    from tradeplane.feeds.instrument import Instrument
    from tradeplane.feeds.sim.server import ExchangeSimulator

    insts = {"kraken": [Instrument("kraken", "BTC/USD", "0.1", "0.00000001")],
             "binance": [Instrument("binance", "BTCUSDT", "0.01", "0.00001")]}

    async def run() -> None:
        rec = ParquetRecorder(out, batch=200)
        async with ExchangeSimulator(insts, rate_hz=400, steps=300, start_after=4, seed=5) as sim:
            specs = [VenueSpec(v, tuple(i), ("book", "trades", "bbo"),
                               tuple(LegSpec(e, sim.url(v, e), sim.rest(v, e)) for e in ("a", "b")))
                     for v, i in insts.items()]
            tuning = Tuning(seed=3, stale_floor_s=0.3, backoff_base_s=0.05, backoff_cap_s=0.2)
            async with Gateway(specs, [rec], tuning=tuning):
                await asyncio.wait_for(sim.done.wait(), 30)
                await asyncio.sleep(0.3)
        rec.close()

    asyncio.run(run())
    return out


@pytest.fixture(scope="module")
def gateway_recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _record_gateway(tmp_path_factory.mktemp("gateway") / "colo")


def _copy(src: Path, dst: Path, shift_ns: int = 0, edit: Any = None) -> Path:
    """The recording again, receive times (column and payload) moved by ``shift_ns``, rows changed by
    ``edit(rows) -> rows`` (rows as dicts, in recorded order). Written with another codec than the
    recorder's, so an unshifted copy is other bytes than the original."""
    import msgspec
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tradeplane.feeds.events import event_decoder, event_encoder
    from tradeplane.feeds.sinks.parquet import SCHEMA

    rows: list[dict[str, Any]] = []
    for f in sorted(src.glob("*.parquet")):
        rows += pq.read_table(f).to_pylist()
    for r in rows:
        r["ts_recv"] += shift_ns
        ev = event_decoder.decode(r["payload"])
        r["payload"] = event_encoder.encode(msgspec.structs.replace(ev, ts_recv=ev.ts_recv + shift_ns))
    if edit is not None:
        rows = edit(rows)
    dst.mkdir()
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), dst / "md-0.parquet", compression="snappy")
    return dst


def _kraken_book(rows: list[dict[str, Any]]) -> list[int]:
    return [i for i, r in enumerate(rows) if r["venue"] == "kraken" and r["type"] == "book"]


def _at(tx: int) -> str:
    from datetime import UTC, datetime

    return f"{datetime.fromtimestamp(tx // 1_000_000_000, UTC):%Y-%m-%dT%H:%M:%S}.{tx % 1_000_000_000:09d}Z"


@pytest.mark.integration
@pytest.mark.timeout(120)
def test_a_keyed_venue_shifted_or_not_is_matched_by_content(gateway_recording: Path, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    table = pq.read_table(gateway_recording)
    rows = table.to_pylist()
    kraken = [r for r in rows if r["venue"] == "kraken" and r["type"] in ("book", "bbo")]
    # What the trial found: Kraken's book and ticker come without sequence numbers (seq = NO_SEQ),
    # many a recording; Binance's are sequenced.
    assert len(kraken) > 100 and {r["seq"] for r in kraken} == {-1}
    assert any(r["venue"] == "binance" and r["seq"] > 0 for r in rows)
    for name, shift in (("shifted", 100_000), ("unshifted", 0)):
        right = _copy(gateway_recording, tmp_path / name, shift)
        r = compare(gateway_recording, right)
        assert (r.matched, r.missing, r.extra, r.differing) == (len(rows), 0, 0, 0), name
        assert (r.left.duplicated, r.right.duplicated, r.right.reordered) == (0, 0, 0), name
        assert r.p50_us == r.max_us == shift / 1000 and r.passed, name
        # a shifted receive time is never a difference, for any batch size (copies counted across batches)
        small = compare(gateway_recording, right, batch=64, window=50)
        assert (small.matched, small.missing, small.extra, small.right.duplicated) == (len(rows), 0, 0, 0), name


@pytest.mark.integration
@pytest.mark.timeout(120)
@pytest.mark.parametrize("batch,window", [(65_536, 100_000), (64, 50)])
def test_a_real_duplicate_and_a_real_loss_on_the_keyed_stream_are_reported(
        gateway_recording: Path, tmp_path: Path, batch: int, window: int) -> None:
    import pyarrow.parquet as pq

    rows = pq.read_table(gateway_recording).to_pylist()
    book = _kraken_book(rows)
    dup_i, lost_i = book[len(book) // 3], book[2 * len(book) // 3]

    def edit(rs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for i, r in enumerate(rs):
            if i != lost_i:
                out.append(r)
            if i == dup_i:
                out.append(dict(r, ts_recv=r["ts_recv"] + 5_000))  # a second copy, a little later
        return out

    right = _copy(gateway_recording, tmp_path / "gcp", 100_000, edit)
    r = compare(gateway_recording, right, batch=batch, window=window)
    assert (r.matched, r.missing, r.extra, r.differing) == (len(rows) - 1, 1, 0, 0)
    assert (r.right.duplicated, r.left.duplicated, r.right.reordered) == (1, 0, 0)
    assert r.missing_sample == [f"kraken/BTC/USD/book at {_at(rows[lost_i]['ts_exchange'])}"]
    assert r.right.duplicated_sample == [f"kraken/BTC/USD/book at {_at(rows[dup_i]['ts_exchange'])}"]
    assert r.reasons == ["missing: 1 > 0 allowed", "duplicated: 1 > 0 allowed"]
    assert r.to_json()["samples"]["duplicated"] == r.right.duplicated_sample


@pytest.mark.integration
@pytest.mark.timeout(120)
def test_the_same_content_twice_on_both_sides_is_matched_twice(gateway_recording: Path, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    rows = pq.read_table(gateway_recording).to_pylist()
    twice = _kraken_book(rows)[5]

    def edit(rs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [*rs[:twice + 1], dict(rs[twice]), *rs[twice + 1:]]

    left = _copy(gateway_recording, tmp_path / "colo", 0, edit)
    right = _copy(gateway_recording, tmp_path / "gcp", 100_000, edit)
    r = compare(left, right)
    assert (r.matched, r.missing, r.extra, r.left.duplicated, r.right.duplicated) == (len(rows) + 1, 0, 0, 0, 0)
    assert r.passed
    # once on the left, three times on the right: the right has two more, both duplicates
    right3 = _copy(gateway_recording, tmp_path / "gcp3", 100_000,
                   lambda rs: [*rs[:twice + 1], dict(rs[twice]), dict(rs[twice]), *rs[twice + 1:]])
    r = compare(gateway_recording, right3)
    assert (r.matched, r.right.duplicated, r.left.duplicated, r.extra) == (len(rows), 2, 0, 0)
    # on the right only, twice: one extra event and its duplicate
    left = _copy(gateway_recording, tmp_path / "colo5", 0, lambda rs: [*rs[:twice], *rs[twice + 1:]])
    r = compare(left, right)
    assert (r.matched, r.extra, r.right.duplicated, r.missing) == (len(rows) - 1, 1, 1, 0)
    assert r.extra_sample == r.right.duplicated_sample == [f"kraken/BTC/USD/book at {_at(rows[twice]['ts_exchange'])}"]


def test_a_keyed_row_whose_payload_is_damaged_is_a_located_error(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tradeplane.feeds.events import BBO
    from tradeplane.feeds.sinks.parquet import SCHEMA

    rec = ParquetRecorder(tmp_path / "colo", batch=100)
    for i in range(1, 11):
        rec.publish(BBO("kraken", "BTC/USD", -1, -1, T0 + i, T0 + i + 1000, 100 + i, 1, 200 + i, 1))
    rec.close()
    rows = pq.read_table(tmp_path / "colo").to_pylist()
    rows[6]["payload"] = b"\xc1junk"
    (tmp_path / "gcp").mkdir()
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), tmp_path / "gcp" / "md-0.parquet")
    with pytest.raises(InputError) as exc:
        compare(tmp_path / "colo", tmp_path / "gcp")
    text = str(exc.value)
    assert "md-0.parquet:7" in text and "payload" in text and "row 7: payload is not a recorded event" in text
    assert "no sequence number to identify it by" in text
