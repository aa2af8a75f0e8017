"""BGP hijack watch: each detector, resolution, visibility, VRPs, and the Route 53 replay."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeplane.errors import InputError
from tradeplane.security.bgp import (
    BgpMonitor,
    PeerDown,
    PrefixIndex,
    SourceStats,
    Update,
    Watched,
    Watchlist,
    load_vrps,
    parse_prefix,
    read_ris,
)
from tradeplane.security.bgp.prefixes import covers, format_prefix

CASES = Path(__file__).parent / "cases"


def watched(text: str, origins: tuple[int, ...], max_length: int | None = None, upstreams: tuple[int, ...] = (),
            owner: str = "aws route53") -> Watched:
    prefix = parse_prefix(text)
    return Watched(text, prefix, frozenset(origins), max_length or prefix[2], frozenset(upstreams), owner, "crypto")


def update(t: int, path: tuple[int, ...], announced: tuple[str, ...] = (), withdrawn: tuple[str, ...] = (),
           peer: str = "192.0.2.1") -> Update:
    return Update(t * 1_000_000_000, peer, path[0] if path else 0, path, announced, withdrawn, "test")


def test_prefix_index_finds_every_covering_prefix_least_specific_first() -> None:
    index: PrefixIndex[str] = PrefixIndex()
    for text in ("10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "2001:db8::/32", "11.0.0.0/8"):
        index.add(parse_prefix(text), text)
    assert index.covering(parse_prefix("10.1.2.128/25")) == ["10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24"]
    assert index.covering(parse_prefix("10.2.0.0/16")) == ["10.0.0.0/8"]
    assert index.covering(parse_prefix("2001:db8:1::/48")) == ["2001:db8::/32"]
    assert index.covering(parse_prefix("12.0.0.0/8")) == []
    assert format_prefix(parse_prefix("2001:0db8:0000::/32")) == "2001:db8::/32"
    with pytest.raises(ValueError):
        parse_prefix("1.2.3.4/99")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 32)), min_size=1, max_size=30),
       st.integers(0, 2**32 - 1), st.integers(0, 32))
def test_index_agrees_with_a_scan(items: list[tuple[int, int]], address: int, length: int) -> None:
    prefixes = [(4, (a >> (32 - n)) << (32 - n) if n else 0, n) for a, n in items]
    index: PrefixIndex[tuple[int, int, int]] = PrefixIndex((p, p) for p in prefixes)
    query = (4, (address >> (32 - length)) << (32 - length) if length else 0, length)
    assert sorted(index.covering(query)) == sorted(p for p in prefixes if covers(p, query))


def test_exact_origin_hijack_fires_and_resolves_on_withdrawal() -> None:
    monitor = BgpMonitor(Watchlist([watched("203.0.113.0/24", (64500,))], min_peers=1))
    assert monitor.process(update(1, (3356, 64500), ("203.0.113.0/24",))) == []
    fired = monitor.process(update(2, (174, 64666), ("203.0.113.0/24",), peer="192.0.2.2"))
    assert [(a.status, a.labels["alertname"], a.labels["origin_as"]) for a in fired] == [
        ("firing", "BgpOriginHijack", "AS64666")]
    # A second peer sees the same bogus route: still one alert.
    assert monitor.process(update(3, (6939, 64666), ("203.0.113.0/24",), peer="192.0.2.3")) == []
    assert monitor.process(update(4, (), withdrawn=("203.0.113.0/24",), peer="192.0.2.2")) == []
    resolved = monitor.process(update(5, (6939, 64500), ("203.0.113.0/24",), peer="192.0.2.3"))
    assert [(a.status, a.labels["alertname"]) for a in resolved] == [("resolved", "BgpOriginHijack")]
    assert resolved[0].ends_ns == 5_000_000_000


def test_subprefix_hijack_and_legitimate_more_specifics() -> None:
    monitor = BgpMonitor(Watchlist([watched("205.251.192.0/21", (16509,), max_length=24)], min_peers=1))
    assert monitor.process(update(1, (3356, 16509), ("205.251.193.0/24",))) == []  # the owner's own /24
    fired = monitor.process(update(2, (6939, 10297), ("205.251.193.0/24",), peer="192.0.2.9"))
    assert fired[0].labels["alertname"] == "BgpSubPrefixHijack"
    leak = monitor.process(update(3, (3356, 16509), ("205.251.193.0/25",)))
    assert [a.labels["alertname"] for a in leak] == ["BgpSubPrefixHijack"]
    assert "more specific than 205.251.192.0/21 allows" in leak[0].annotations["description"]


def test_unexpected_first_hop_with_prepending() -> None:
    monitor = BgpMonitor(Watchlist([watched("198.51.100.0/24", (64500,), upstreams=(3356, 174))], min_peers=1))
    assert monitor.process(update(1, (2914, 3356, 64500, 64500), ("198.51.100.0/24",))) == []
    fired = monitor.process(update(2, (2914, 65999, 64500), ("198.51.100.0/24",), peer="192.0.2.4"))
    assert [a.labels["alertname"] for a in fired] == ["BgpUnexpectedFirstHop"]


def test_rpki_invalid_against_vrps(tmp_path: Path) -> None:
    vrp_file = tmp_path / "vrps.json"
    vrp_file.write_text(json.dumps({"roas": [
        {"asn": "AS16509", "prefix": "205.251.192.0/21", "maxLength": 23, "ta": "arin"}]}))
    vrps = load_vrps(vrp_file)
    assert vrps.validate(parse_prefix("205.251.192.0/23"), (16509,)) == "valid"
    assert vrps.validate(parse_prefix("205.251.192.0/24"), (16509,)) == "invalid"  # longer than maxLength
    assert vrps.validate(parse_prefix("192.0.2.0/24"), (16509,)) == "not-found"
    monitor = BgpMonitor(Watchlist([watched("205.251.192.0/21", (16509,), max_length=24)], min_peers=1), vrps)
    fired = monitor.process(update(1, (3356, 16509), ("205.251.192.0/24",)))
    assert [a.labels["alertname"] for a in fired] == ["BgpRpkiInvalid"]


@pytest.mark.parametrize(("body", "message"), [
    ("{not json", "not JSON"),
    ('{"roas": [{"asn": "ASx", "prefix": "1.0.0.0/24", "maxLength": 24}]}', "roas[0].asn"),
    ('{"roas": [{"asn": 1, "prefix": "1.0.0.0/24", "maxLength": 20}]}', "roas[0].maxLength"),
    ('{"roas": [{"asn": 1, "prefix": "1.0.0.0/99"}]}', "roas[0].prefix"),
    ('{"vrps": []}', "no 'roas' list"),
])
def test_bad_vrp_files_are_located(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "vrps.json"
    path.write_text(body)
    with pytest.raises(InputError) as info:
        load_vrps(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_visibility_loss_fires_below_min_peers_and_resolves() -> None:
    monitor = BgpMonitor(Watchlist([watched("203.0.113.0/24", (64500,))], min_peers=2))
    monitor.process(update(1, (1, 64500), ("203.0.113.0/24",), peer="p1"))
    monitor.process(update(1, (2, 64500), ("203.0.113.0/24",), peer="p2"))
    lost = monitor.process(update(2, (), withdrawn=("203.0.113.0/24",), peer="p1"))
    assert [(a.status, a.labels["alertname"]) for a in lost] == [("firing", "BgpVisibilityLoss")]
    back = monitor.process(update(3, (1, 64500), ("203.0.113.0/24",), peer="p1"))
    assert [(a.status, a.labels["alertname"]) for a in back] == [("resolved", "BgpVisibilityLoss")]


def test_peer_down_withdraws_its_routes_and_resolves() -> None:
    monitor = BgpMonitor(Watchlist([watched("203.0.113.0/24", (64500,))], min_peers=1))
    monitor.process(update(1, (9, 64666), ("203.0.113.0/24",), peer="p9"))
    assert monitor.active()
    resolved = monitor.process(PeerDown(2_000_000_000, "p9"))
    assert [a.status for a in resolved] == ["resolved"]
    assert monitor.active() == []


def test_route53_2018_replay_raises_subprefix_hijacks_naming_prefixes_and_origin() -> None:
    """2018-04-24: AS10297 announced more-specific /24s of Amazon Route 53's 205.251.192.0/21."""
    stats = SourceStats()
    monitor = BgpMonitor(Watchlist([watched("205.251.192.0/21", (16509,), max_length=24)], min_peers=2))
    alerts = monitor.run(read_ris(CASES / "route53-2018-04-24.ris.jsonl", stats))
    firing = sorted((a.labels["announced"], a.labels["origin_as"]) for a in alerts
                    if a.status == "firing" and a.labels["alertname"] == "BgpSubPrefixHijack")
    assert firing == [("205.251.193.0/24", "AS10297"), ("205.251.195.0/24", "AS10297"),
                      ("205.251.197.0/24", "AS10297"), ("205.251.199.0/24", "AS10297")]
    resolved = {a.labels["announced"] for a in alerts if a.status == "resolved"}
    assert resolved == {p for p, _ in firing}  # the withdrawals close every alert
    assert stats.malformed == 1 and "route53-2018-04-24.ris.jsonl:" in stats.examples[0]


def test_malformed_ris_lines_are_counted_with_their_position(tmp_path: Path) -> None:
    path = tmp_path / "ris.jsonl"
    path.write_text('{"type": "ris_message", "data": {"timestamp": 1, "peer": "p", "type": "UPDATE",'
                    ' "path": [1, 2], "announcements": [{"prefixes": ["1.0.0.0/24"]}]}}\n'
                    'garbage\n{"data": {"peer": "p"}}\n')
    stats = SourceStats()
    items = list(read_ris(path, stats))
    assert len(items) == 1 and stats.read == 3 and stats.malformed == 2
    assert stats.examples[0].startswith(f"{path}:2:")


async def test_ris_live_stream_subscribes_and_yields_updates() -> None:
    """A local WebSocket server speaking RIS Live's protocol: subscriptions in, ris_message out."""
    import websockets

    from tradeplane.security.bgp import ris_live

    subscriptions: list[dict[str, object]] = []

    async def serve(ws: websockets.ServerConnection) -> None:
        for _ in range(2):
            subscriptions.append(json.loads(await ws.recv()))
        await ws.send(json.dumps({"type": "ris_message", "data": {
            "timestamp": 1524567900.0, "peer": "80.249.208.1", "peer_asn": "6939", "type": "UPDATE",
            "path": [6939, 10297], "announcements": [{"next_hop": "80.249.208.1", "prefixes": ["205.251.193.0/24"]}]}}))
        await ws.send("not json")
        await ws.send(json.dumps({"type": "ris_message", "data": {
            "timestamp": 1524575100.0, "peer": "80.249.208.1", "type": "UPDATE", "withdrawals": ["205.251.193.0/24"]}}))
        await ws.close()

    async with websockets.serve(serve, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        stats = SourceStats()
        items = [item async for item in ris_live(f"ws://127.0.0.1:{port}/v1/ws/", ["205.251.192.0/21", "198.18.10.0/24"],
                                                 stats)]
    assert [s["data"]["prefix"] for s in subscriptions] == ["205.251.192.0/21", "198.18.10.0/24"]  # type: ignore[index]
    assert all(s["type"] == "ris_subscribe" for s in subscriptions)
    monitor = BgpMonitor(Watchlist([watched("205.251.192.0/21", (16509,), max_length=24)], min_peers=1))
    alerts = monitor.run(items)
    assert [(a.status, a.labels["announced"]) for a in alerts] == [("firing", "205.251.193.0/24"),
                                                                   ("resolved", "205.251.193.0/24")]
    assert stats.malformed == 1


def test_reading_mrt_leaves_sigpipe_alone() -> None:
    """mrtparse's import sets SIGPIPE to the default action process-wide; after it, a write to a
    closed socket killed the whole process (the test suite died with exit 141 in CI). Run in a fresh
    interpreter so no earlier import hides it."""
    import subprocess
    import sys

    code = ("import signal; before = signal.getsignal(signal.SIGPIPE); "
            "from tradeplane.security.bgp.sources.mrt import _mrtparse; m = _mrtparse(); "
            "print(before == signal.getsignal(signal.SIGPIPE) == signal.SIG_IGN, hasattr(m, 'Reader'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "True"], out
