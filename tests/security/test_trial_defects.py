"""A new user's trial of key custody and the watchers (session 9): a bad key inventory, a wrong
BGP ``--format``, a malformed MRT record, a BGP feed that ends or is garbage, a chain with every
endpoint down. Each must be said, located, never a quiet all-clear, never a traceback."""

from __future__ import annotations

import io
import os
import shutil
import socket
import struct
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from tests.security.test_chain import Scripted, chain
from tests.security.test_check import run, secrets_tf
from tradeplane import estate as est
from tradeplane.cli import main, output
from tradeplane.errors import InputError
from tradeplane.security import KeyInventory, load_inventory
from tradeplane.security.alerts import ListSink
from tradeplane.security.bgp import SourceStats, read_exabgp, read_mrt
from tradeplane.security.bgp.run import guess_format, replay, watch
from tradeplane.security.bgp.sources import parse_exabgp
from tradeplane.security.bgp.sources.sniff import sniff
from tradeplane.security.chain import ChainWatcher, EndpointError
from tradeplane.security.inventory import KeyRecord

ROOT = Path(__file__).resolve().parents[2]
DV = ROOT / "examples" / "dv-trading"
ROUTE53 = Path(__file__).parent / "cases" / "route53-2018-04-24.ris.jsonl"
HIJACKED = ("205.251.193.0/24", "205.251.195.0/24", "205.251.197.0/24", "205.251.199.0/24")


@pytest.fixture(scope="module")
def reference() -> est.Estate:
    return est.load(DV)


def keys_file(tmp_path: Path, *records: str) -> Path:
    path = tmp_path / "keys.yaml"
    path.write_text("keys:\n" + "".join(f"  - {r}\n" for r in records))
    return path


MM = "{name: binance-mm-trade, venue: binance, created: 2026-09-15, desks: [crypto]}"
MD = "{name: binance-md-read, venue: binance, created: 2026-09-15, desks: [crypto]}"
CB = "{name: coinbase-mm-trade, venue: coinbase, created: 2026-09-15, desks: [crypto]}"


# ---------------------------------------------------------------------- 1. the key inventory


def test_typo_venue_is_a_located_error_naming_the_nearest_venue(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = keys_file(tmp_path, "{name: binance-mm-trade, venue: binanse, created: 2026-09-01, desks: [crypto]}", MD, CB)
    assert main(["security", "check", str(DV), "--keys", str(path), "--as-of", "2026-12-01"]) == 2
    err = capsys.readouterr().err
    assert f"{path}:2:" in err and "keys.0.venue: unknown venue 'binanse'" in err
    assert "did you mean 'binance'?" in err and "Traceback" not in err


def test_future_created_date_is_a_located_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = keys_file(tmp_path, MM, MD, "{name: coinbase-mm-trade, venue: coinbase, created: 2027-09-01, desks: [crypto]}")
    assert main(["security", "check", str(DV), "--keys", str(path), "--as-of", "2026-12-01"]) == 2
    err = capsys.readouterr().err
    assert f"{path}:4:" in err and "keys.2.created" in err
    assert "created 2027-09-01, after the judging date 2026-12-01" in err


@pytest.mark.parametrize("text", ["", "# no keys yet\n", "keys: []\n", "{}\n"])
def test_an_empty_inventory_is_refused_in_one_line(tmp_path: Path, text: str) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_inventory(path)
    lines = info.value.lines()
    assert len(lines) == 1 and str(path) in lines[0] and "lists no keys" in lines[0]


def test_empty_inventory_exits_2_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text("")
    assert main(["security", "check", str(DV), "--keys", str(path)]) == 2
    captured = capsys.readouterr()
    assert "lists no keys" in captured.err and "finding(s)" not in captured.out


def test_undeclared_key_is_a_located_high_finding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = keys_file(tmp_path, MM, MD, CB, "{name: ghost-key, venue: binance, created: 2026-09-01, desks: [crypto]}",
                     "{name: binance-md-raed, venue: binance, created: 2026-09-01, desks: [crypto]}")
    assert main(["security", "check", str(DV), "--keys", str(path), "--as-of", "2026-12-01", "--json"]) == 0
    import json

    found = {f["subject"]: f for f in json.loads(capsys.readouterr().out)["findings"]
             if f["rule"] == "custody.undeclared"}
    assert sorted(found) == ["binance/binance-md-raed", "binance/ghost-key"]
    assert all(f["severity"] == "high" for f in found.values())
    assert found["binance/ghost-key"]["location"].startswith(f"{path}:5:")
    assert "known: binance-md-read, binance-mm-trade" in found["binance/ghost-key"]["detail"]
    assert "did you mean 'binance-md-read'?" in found["binance/binance-md-raed"]["detail"]
    assert main(["security", "check", str(DV), "--keys", str(path), "--as-of", "2026-12-01", "--strict"]) == 1


def test_declared_key_missing_from_the_inventory_is_not_passed(reference: est.Estate) -> None:
    inventory = KeyInventory(keys=(KeyRecord(name="binance-mm-trade", venue="binance", created=date(2026, 9, 15),
                                             desks=("crypto",)),))
    found = run(reference, secrets_tf(), inventory, as_of=date(2026, 11, 30))
    assert ("custody.age-unknown", "binance/binance-md-read", "medium") in found
    assert ("custody.age-unknown", "coinbase/coinbase-mm-trade", "medium") in found
    assert not [f for f in found if f[1] == "binance/binance-mm-trade" and f[0] == "custody.age-unknown"]


def test_unknown_desk_and_a_key_listed_twice_are_located(tmp_path: Path, reference: est.Estate) -> None:
    path = keys_file(tmp_path, MM, "{name: binance-mm-trade, venue: binance, created: 2026-10-01, desks: [cyrpto]}")
    with pytest.raises(InputError) as info:
        run(reference, secrets_tf(), load_inventory(path), as_of=date(2026, 11, 30))
    text = str(info.value)
    assert f"{path}:3:" in text and "unknown desk 'cyrpto'" in text and "did you mean 'crypto'?" in text
    assert "keys.1.name: key 'binance-mm-trade' of binance is listed twice (first as keys.0" in text


def test_a_good_inventory_still_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = keys_file(tmp_path, MM, MD, CB)
    assert main(["security", "check", str(DV), "--keys", str(path), "--as-of", "2026-12-01"]) == 0
    assert "0 finding(s)" in capsys.readouterr().out


# ---------------------------------------------------------------------- 2. bgp replay formats


def test_ris_file_read_as_exabgp_is_refused_naming_its_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["security", "bgp", "replay", str(DV), str(ROUTE53), "--format", "exabgp"]) == 2
    captured = capsys.readouterr()
    assert f"nothing in {ROUTE53} parsed as exabgp" in captured.err
    assert "it looks like RIS Live JSON, try --format ris" in captured.err
    assert "announcements in watched space" not in captured.out


def test_ris_file_read_as_mrt_is_refused_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["security", "bgp", "replay", str(DV), str(ROUTE53), "--format", "mrt"]) == 2
    err = capsys.readouterr().err
    assert f"nothing in {ROUTE53} parsed as mrt" in err and "try --format ris" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_exabgp_file_read_as_ris_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bgp.jsonl"
    path.write_text("".join(exabgp_update(t, (3333, 10297), announce=(p,)) + "\n"
                            for t, p in enumerate(HIJACKED)))
    assert sniff(path) == "exabgp" and guess_format(path) == "exabgp"
    with pytest.raises(InputError, match="it looks like ExaBGP JSON, try --format exabgp"):
        replay(est.load(DV), path, "ris")
    guessed = replay(est.load(DV), path)  # no --format: the format it looks like
    assert guessed.format == "exabgp" and sorted(a.labels["announced"] for a in guessed.alerts) == list(HIJACKED)


def test_empty_updates_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    with pytest.raises(InputError, match="holds no BGP message"):
        replay(est.load(DV), path)


def test_replay_table_never_cuts_the_prefixes_at_80_columns(monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(output.console, "width", 80)
    assert main(["security", "bgp", "replay", str(DV), str(ROUTE53)]) == 0
    out = capsys.readouterr().out
    for prefix in HIJACKED:
        assert out.count(prefix) == 2  # firing and resolved, whole
    assert out.count("205.251.192.0/21") == 8 and "…" not in out
    assert max(len(line) for line in out.splitlines()) <= 80


def bgp_update(asn_path: tuple[int, ...], prefix: str) -> bytes:
    """A BGP UPDATE (RFC 4271) with 4-byte AS numbers: ORIGIN, AS_PATH, NEXT_HOP and one IPv4 NLRI."""
    segment = struct.pack("!BB", 2, len(asn_path)) + b"".join(struct.pack("!I", a) for a in asn_path)
    attrs = (struct.pack("!BBBB", 0x40, 1, 1, 0) + struct.pack("!BBB", 0x40, 2, len(segment)) + segment
             + struct.pack("!BBB", 0x40, 3, 4) + socket.inet_aton("192.0.2.1"))
    address, length = prefix.split("/")
    nlri = bytes([int(length)]) + socket.inet_aton(address)[: (int(length) + 7) // 8]
    body = struct.pack("!H", 0) + struct.pack("!H", len(attrs)) + attrs + nlri
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), 2) + body


def mrt_record(timestamp: int, kind: int, subtype: int, payload: bytes) -> bytes:
    """RFC 6396 section 2: timestamp, type, subtype, length, message."""
    return struct.pack("!IHHI", timestamp, kind, subtype, len(payload)) + payload


def bgp4mp_as4(timestamp: int, peer_as: int, asn_path: tuple[int, ...], prefix: str) -> bytes:
    """A BGP4MP_MESSAGE_AS4 record (type 16, subtype 4; RFC 6396 section 4.4.3)."""
    payload = (struct.pack("!IIHH", peer_as, 65000, 0, 1) + socket.inet_aton("192.0.2.1")
               + socket.inet_aton("192.0.2.2") + bgp_update(asn_path, prefix))
    return mrt_record(timestamp, 16, 4, payload)


def test_a_malformed_mrt_record_is_skipped_and_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "updates.20180424.1100"
    path.write_bytes(bgp4mp_as4(1524567900, 3333, (3333, 10297), "205.251.193.0/24")
                     + mrt_record(1524567901, 16, 0x2222, b"\x00" * 7)  # a subtype mrtparse reports as an error
                     + mrt_record(1524567901, 0x2222, 1, b"\x00" * 9)  # a type mrtparse fails on (KeyError)
                     + bgp4mp_as4(1524567902, 6939, (6939, 10297), "205.251.195.0/24"))
    stats = SourceStats()
    items = list(read_mrt(path, stats))
    assert [u.announced for u in items] == [("205.251.193.0/24",), ("205.251.195.0/24",)]  # type: ignore[union-attr]
    assert stats.read == 4 and stats.malformed == 2
    assert stats.examples[0] == f"{path}: record 2: Unsupported type: 16(BGP4MP), subtype: 8738(Unknown)"
    assert stats.examples[1].startswith(f"{path}: record 3: mrtparse cannot decode it (KeyError: ")
    assert main(["security", "bgp", "replay", str(DV), str(path), "--format", "mrt"]) == 0
    captured = capsys.readouterr()
    assert "205.251.193.0/24" in captured.out and "205.251.195.0/24" in captured.out
    assert "2 malformed message(s) skipped" in captured.err and "Traceback" not in captured.err


# ---------------------------------------------------------------------- 3. bgp watch: the feed ends


def exabgp_update(t: int, path: tuple[int, ...], announce: tuple[str, ...] = (), withdraw: tuple[str, ...] = ()) -> str:
    """One message as ExaBGP 4's JSON encoder writes it (``encoder json``; receive parsed updates)."""
    import json

    update: dict[str, object] = {"attribute": {"origin": "igp", "as-path": list(path)}}
    if announce:
        update["announce"] = {"ipv4 unicast": {"192.0.2.1": [{"nlri": p} for p in announce]}}
    if withdraw:
        update["withdraw"] = {"ipv4 unicast": [{"nlri": p} for p in withdraw]}
    return json.dumps({"exabgp": "4.2.21", "time": 1524567900.0 + t, "host": "collector", "pid": 1, "ppid": 1,
                       "counter": t, "type": "update", "neighbor": {
                           "address": {"local": "192.0.2.2", "peer": "192.0.2.1"}, "asn": {"local": 65000,
                                                                                           "peer": path[0]},
                           "direction": "receive", "message": {"update": update}}})


def test_a_line_that_is_not_exabgp_is_malformed_not_ignored() -> None:
    with pytest.raises(ValueError, match="not an ExaBGP JSON API message"):
        parse_exabgp({"type": "ris_message", "data": {"peer": "193.0.0.56", "timestamp": 1}})


def test_followed_stream_ends_at_end_of_input_and_at_exabgp_shutdown() -> None:
    stats = SourceStats()
    stream = io.StringIO(exabgp_update(0, (3333, 16509), announce=("205.251.192.0/23",)) + "\n"
                         + exabgp_update(1, (3333, 16509), announce=("205.251.194.0/23",)))  # no newline at the end
    assert len(list(read_exabgp(stream, stats, follow=True))) == 2
    assert "closed (end of input)" in stats.ended
    stats = SourceStats()
    shutdown = '{"exabgp": "4.2.21", "time": 1.0, "type": "notification", "notification": "shutdown"}\n'
    assert list(read_exabgp(io.StringIO(shutdown + exabgp_update(1, (3333, 10297), announce=("205.251.193.0/24",))),
                            stats, follow=True)) == []
    assert stats.ended.startswith("ExaBGP shut down")


def test_watch_raises_feed_lost_when_stdin_closes(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [exabgp_update(0, (3333, 10297), announce=("205.251.193.0/24",))]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines) + "\n"))
    sink = ListSink()
    result = watch(est.load(DV), None, "exabgp", sink, clock_ns=lambda: 1_600_000_000_000_000_000)
    names = [(a.status, a.labels["alertname"]) for a in sink.alerts]
    assert names == [("firing", "BgpSubPrefixHijack"), ("firing", "BgpFeedLost")]
    lost = sink.alerts[-1]
    assert lost.labels["severity"] == "critical" and "end of input" in lost.annotations["description"]
    assert result.source.ended


def test_garbage_feed_fires_feed_lost_and_a_good_message_resolves_it(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "garbage\n" * 5 + exabgp_update(0, (3333, 16509), announce=("205.251.192.0/23",)) + "\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    sink = ListSink()
    seen: list[str] = []
    result = watch(est.load(DV), None, "exabgp", sink, unreadable_after=3, clock_ns=lambda: 1,
                   on_skip=lambda stats, example: seen.append(example))
    assert [(a.status, a.labels["alertname"]) for a in sink.alerts] == [
        ("firing", "BgpFeedLost"), ("resolved", "BgpFeedLost"), ("firing", "BgpFeedLost")]
    assert "the last 3 messages on stdin were malformed" in sink.alerts[0].annotations["summary"]
    assert len(seen) == 5 and result.source.malformed == 5 and seen[0].endswith("Expecting value: line 1 column 1 (char 0)")


def _tradeplane(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-c", "from tradeplane.launch import run; run()", *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=300, cwd=ROOT)


@pytest.mark.parametrize("stdin", ["", "not json\n{\"x\": 1}\n"])
def test_watch_on_closed_stdin_says_so_and_exits_non_zero(stdin: str) -> None:
    """The real command with stdin closed (as when ExaBGP dies): it used to run forever, silent."""
    done = _tradeplane("security", "bgp", "watch", str(DV), "--exabgp", "-", stdin=stdin)
    assert done.returncode == 1, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("bgp watch: the feed ended: <stdin> was closed (end of input)")
    assert '"alertname": "BgpFeedLost"' in done.stdout and "Traceback" not in done.stderr
    if stdin:
        assert "bgp watch: 1 of 1 message(s) malformed so far" in done.stderr


# ---------------------------------------------------------------------- 4. chain watch: blind


class Down(Scripted):
    """An endpoint that fails while ``down``."""

    down = True

    async def head(self):  # type: ignore[no-untyped-def]
        if self.down:
            raise EndpointError(f"{self.name}: eth_getBlockByNumber: ConnectError: refused")
        return await super().head()


async def test_every_endpoint_down_is_critical_chain_blind_and_resolves() -> None:
    a, b = Down("a", 5), Down("b", 5)
    sink = ListSink()
    watcher = ChainWatcher(chain(), [a, b], sink)
    await watcher.step()
    blind = [x for x in sink.alerts if x.labels["alertname"] == "ChainBlind"]
    assert [(x.status, x.labels["severity"]) for x in blind] == [("firing", "critical")]
    assert "every endpoint of eth is unhealthy" in blind[0].annotations["description"] and watcher.blind
    b.down = False
    await watcher.step()
    assert [x.status for x in sink.alerts if x.labels["alertname"] == "ChainBlind"] == ["firing", "resolved"]
    assert not watcher.blind


async def test_one_endpoint_down_is_not_blind() -> None:
    sink = ListSink()
    watcher = ChainWatcher(chain(), [Down("a", 5), Scripted("b", 5)], sink)
    await watcher.step()
    assert [x.labels["alertname"] for x in sink.alerts] == ["ChainEndpointUnhealthy"]


def test_chain_watch_once_with_every_endpoint_down_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]  # nothing listens here once the socket closes
    estate = tmp_path / "estate"
    shutil.copytree(DV, estate)
    security = estate / "security.yaml"
    security.write_text(security.read_text().replace(
        '["http://eth-node-a.crypto.internal:8545", "http://eth-node-b.crypto.internal:8545"]',
        f'["http://127.0.0.1:{closed}", "http://127.0.0.1:{closed}/b"]'))
    assert main(["security", "chain", "watch", str(estate), "--once", "--chain", "ethereum"]) == 1
    captured = capsys.readouterr()
    assert '"alertname": "ChainBlind"' in captured.out and '"severity": "critical"' in captured.out
    assert "chain watch: ethereum is blind: all 2 endpoint(s) down" in captured.err
