"""Coinbase Advanced Trade: samples in the shape of the docs' examples, the per-connection
``sequence_num`` rule and the JWT shape (the simulator runs are in tests/integration)."""

from __future__ import annotations

import base64
import json

import msgspec
import pytest

from tradeplane.feeds.events import BBO, BookDelta, BookSnapshot, Gap, Heartbeat, Trade
from tradeplane.feeds.health import HealthBoard, State
from tradeplane.feeds.instrument import Instrument
from tradeplane.feeds.stream import Stream
from tradeplane.feeds.venues import adapter_class, publisher_class, venue_names
from tradeplane.feeds.venues.coinbase_advanced import cdp_jwt

VENUE = "coinbase-advanced"
INST = Instrument(VENUE, "BTC-USD", "0.01", "0.00000001")


def env(channel: str, seq: int, events: list) -> bytes:
    return msgspec.json.encode({"channel": channel, "client_id": "", "timestamp": "2023-02-09T20:32:50.714964855Z",
                                "sequence_num": seq, "events": events})


def l2(kind: str, seq: int, updates: list[tuple[str, str, str]], t: str = "2023-02-09T20:32:50.714964855Z") -> bytes:
    return env("l2_data", seq, [{"type": kind, "product_id": "BTC-USD", "updates": [
        {"side": s, "event_time": t, "price_level": p, "new_quantity": q} for s, p, q in updates]}])


def test_registered_with_a_simulator():
    assert VENUE in venue_names() and publisher_class(VENUE).name == VENUE


def test_level2_trades_ticker_heartbeats_decode_exactly():
    a = adapter_class(VENUE)([INST])
    # the l2_data snapshot as in the "Level 2 order book" docs (bid / offer, new_quantity absolute)
    (snap,) = a.decode(l2("snapshot", 0, [("bid", "21921.73", "0.06317902"), ("offer", "21921.83", "0.02")]), 7)
    assert isinstance(snap, BookSnapshot) and a.conn_seq == 0
    assert snap.bids == ((2192173, 6317902),) and snap.asks == ((2192183, 2000000),) and snap.ts_recv == 7
    (d,) = a.decode(l2("update", 1, [("bid", "21921.73", "0"), ("offer", "21922.00", "1234567890.12345678")]), 8)
    assert isinstance(d, BookDelta) and d.bids == ((2192173, 0),) and d.asks == ((2192200, 123456789012345678),)
    assert d.ts_exchange == 1675974770714964855 and a.conn_seq == 1
    (t,) = a.decode(env("market_trades", 2, [{"type": "update", "trades": [{
        "trade_id": "000000000", "product_id": "BTC-USD", "price": "1260.01", "size": "0.3", "side": "BUY",
        "time": "2019-08-14T20:42:27.265Z"}]}]), 9)
    assert isinstance(t, Trade) and (t.price, t.qty, t.side, t.trade_id) == (126001, 30000000, 1, "000000000")
    (b,) = a.decode(env("ticker", 3, [{"type": "snapshot", "tickers": [{
        "type": "ticker", "product_id": "BTC-USD", "price": "21932.98", "best_bid": "21932.97",
        "best_bid_quantity": "0.5", "best_ask": "21932.98", "best_ask_quantity": "0.25"}]}]), 10)
    assert isinstance(b, BBO) and (b.bid_price, b.ask_qty) == (2193297, 25000000)
    (h,) = a.decode(env("heartbeats", 4, [{"current_time": "2023-06-23 20:31:56.121961769 +0000 UTC m=+91717.5",
                                           "heartbeat_counter": "3049"}]), 11)
    assert isinstance(h, Heartbeat) and a.conn_seq == 4
    assert a.decode(env("subscriptions", 5, [{"subscriptions": {"level2": ["BTC-USD"]}}]), 12) == []
    assert a.conn_seq == 5  # control messages are numbered too: they count in the connection's continuity


def test_subscribe_one_channel_per_message_and_a_fresh_jwt_each():
    a = adapter_class(VENUE)([INST])
    msgs = [json.loads(m) for m in a.subscribe_messages(["BTC-USD"], ["book", "trades", "bbo"])]
    assert [m["channel"] for m in msgs] == ["heartbeats", "level2", "market_trades", "ticker"]
    assert all(m["type"] == "subscribe" and m["product_ids"] == ["BTC-USD"] and "jwt" not in m for m in msgs)
    n = iter(range(100))
    a.jwt = lambda: f"jwt-{next(n)}"  # type: ignore[attr-defined]
    re = [json.loads(m) for m in a.resubscribe_messages("BTC-USD")]
    assert [(m["type"], m["channel"], m["jwt"]) for m in re] == [("unsubscribe", "level2", "jwt-0"),
                                                                   ("subscribe", "level2", "jwt-1")]


def test_cdp_jwt_has_the_websocket_shape_and_verifies():
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption()).decode()
    name = "organizations/org-1/apiKeys/key-1"
    token = cdp_jwt(name, pem, now_s=1_700_000_000)

    def part(s: str) -> bytes:
        return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))

    h, c, sig = token.split(".")
    header, claims = json.loads(part(h)), json.loads(part(c))
    assert header["alg"] == "ES256" and header["kid"] == name and header["typ"] == "JWT" and len(header["nonce"]) == 32
    assert claims == {"iss": "cdp", "sub": name, "nbf": 1_700_000_000, "exp": 1_700_000_120}  # no uri: websocket
    raw = part(sig)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key.public_key().verify(der, f"{h}.{c}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if wrong
    assert cdp_jwt(name, pem, now_s=1) != cdp_jwt(name, pem, now_s=1)  # a fresh nonce each message
    rsa_pem = "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n"
    with pytest.raises(ValueError):
        cdp_jwt(name, rsa_pem)


def stream() -> Stream:
    return Stream(adapter_class(VENUE)([INST]), "book", "BTC-USD", HealthBoard())


def test_a_hole_on_one_connection_is_covered_by_a_clean_one():
    """sequence_num is per connection: a hole on a#1 while b#1 has none costs nothing (b delivered it);
    a hole on b#1 next, with a#1 already lossy, means no connection proves the book: Gap + resync."""
    st = stream()
    a = st.adapter
    for leg in ("a#1", "b#1"):
        for ev in a.decode(l2("snapshot", 0, [("bid", "100.00", "1"), ("offer", "101.00", "1")]), 1):
            st.on_wire(leg, ev, 1)
    assert st.state == State.LIVE
    assert st.connection_gap("a#1", ["a#1", "b#1"], 2, (5, 5)) == [] and st.state == State.LIVE
    out = st.connection_gap("b#1", ["a#1", "b#1"], 3, (9, 9))
    assert [type(e) for e in out] == [Gap] and "no live connection without a hole" in out[0].reason
    assert st.state == State.RESYNCING and st.actions and st.actions[0].kind == "resubscribe"
    # the fresh snapshot is a new start for every connection
    for ev in a.decode(l2("snapshot", 12, [("bid", "100.00", "2"), ("offer", "101.00", "1")]), 4):
        st.on_wire("a#1", ev, 4)
    assert st.state == State.LIVE and st.connection_gap("a#1", ["a#1", "b#1"], 5, (20, 20)) == []
    # one leg alone: any hole is a loss
    solo = stream()
    for ev in a.decode(l2("snapshot", 0, [("bid", "100.00", "1"), ("offer", "101.00", "1")]), 1):
        solo.on_wire("a#1", ev, 1)
    assert solo.connection_gap("a#1", ["a#1"], 2, (3, 4)) and solo.state == State.RESYNCING


def test_a_lossy_connection_waits_for_the_clean_one_so_updates_keep_the_venues_order():
    """a#1 missed U1; its U2 (same level) arrives before b#1's U1. Applying a's U2 first and b's U1 after
    would leave U1's size: wrong, and nothing would notice (no checksum). a's copies wait for b's until b
    has brought U2, the first message a had after its hole; then a leads again."""
    st = stream()
    a = st.adapter

    def upd(seq: int, qty: str, t: str) -> BookDelta:
        (d,) = a.decode(l2("update", seq, [("bid", "100.00", qty)], t), 0)
        return d

    for leg in ("a#1", "b#1"):
        for ev in a.decode(l2("snapshot", 0, [("bid", "100.00", "1"), ("offer", "101.00", "1")]), 1):
            st.on_wire(leg, ev, 1)
    u1, u2, u3 = (upd(i, q, f"2023-02-09T20:32:5{i}.000000001Z") for i, q in ((1, "2"), (2, "3"), (3, "4")))
    assert st.connection_gap("a#1", ["a#1", "b#1"], 2, (1, 1)) == []
    assert st.on_wire("a#1", u2, 3) == []  # held back: b still has U1 to bring
    assert [d.bids for d in st.on_wire("b#1", u1, 4)] == [((10000, 200000000),)]
    assert [d.bids for d in st.on_wire("b#1", u2, 5)] == [((10000, 300000000),)]
    assert [d.bids for d in st.on_wire("a#1", u3, 6)] == [((10000, 400000000),)]  # b is past the hole: a leads
    assert st.on_wire("b#1", u3, 7) == [] and st.book.bids == {10000: 400000000}
    # the clean connection goes away before the lossy one caught up: nothing proves the rest arrived
    assert st.connection_gap("a#1", ["a#1", "b#1"], 8, (5, 5)) == []
    out = st.connection_closed("b#1", ["a#1"], 9)
    assert [type(e) for e in out] == [Gap] and st.state == State.RESYNCING
