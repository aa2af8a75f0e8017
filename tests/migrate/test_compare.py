"""Parallel-run comparison over MDP 3.0 captures (written with dpkt) and tradeplane Parquet recordings."""

from __future__ import annotations

import shutil
from pathlib import Path

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
