"""`tradeplane security ...` as a user runs it: JSON, exit codes, one located line for bad input."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from tradeplane.cli import main

ROOT = Path(__file__).resolve().parents[2]
ESTATE = str(ROOT / "examples/dv-trading")
ROUTE53 = str(ROOT / "tests/security/cases/route53-2018-04-24.ris.jsonl")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_bgp_replay_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "security", "bgp", "replay", ESTATE, ROUTE53, "--json")
    assert code == 0
    data = json.loads(out)
    firing = [a for a in data["alerts"] if a["status"] == "firing"]
    assert {a["labels"]["announced"] for a in firing} == {"205.251.193.0/24", "205.251.195.0/24",
                                                          "205.251.197.0/24", "205.251.199.0/24"}
    assert all(a["labels"]["origin_as"] == "AS10297" and a["labels"]["desk"] == "crypto" for a in firing)
    assert data["malformed"] == 1


@pytest.mark.parametrize(("args", "expect"), [
    (("bgp", "replay", ESTATE, "/nonexistent.jsonl"), "No such file"),
    (("bgp", "replay", ESTATE, ROUTE53, "--format", "pcap"), "--format 'pcap'"),
    (("bgp", "replay", ESTATE, ROUTE53, "--vrps", "BADVRPS"), "roas[0].maxLength"),
    (("check", ESTATE, "--as-of", "30/11/2026"), "--as-of '30/11/2026'"),
    (("check", ESTATE, "--keys", "BADKEYS"), "keys.0.created"),
    (("chain", "watch", ESTATE, "--chain", "dogecoin"), "no chain named dogecoin"),
    (("bgp", "watch", ESTATE), "exactly one of"),
])
def test_bad_input_is_one_located_line(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                       args: tuple[str, ...], expect: str) -> None:
    vrps = tmp_path / "vrps.json"
    vrps.write_text('{"roas": [{"asn": "AS1", "prefix": "10.0.0.0/8", "maxLength": 4}]}')
    keys = tmp_path / "keys.yaml"
    keys.write_text("keys:\n  - {name: k, venue: v, created: soon}\n")
    args = tuple(str(vrps) if a == "BADVRPS" else str(keys) if a == "BADKEYS" else a for a in args)
    code, _, err = run(capsys, "security", *args)
    assert code == 2
    assert expect in err
    assert "Traceback" not in err


def test_check_json_and_strict(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "security", "check", ESTATE, "--json")
    assert code == 0
    data = json.loads(out)
    assert "custody.allowlist binance/binance-mm-trade" in data["passed"]
    code, _, _ = run(capsys, "security", "check", ESTATE, "--strict")
    assert code == (1 if data["blocking"] else 0)


def _bgp_update(announce: list[tuple[str, int]], path: list[int]) -> bytes:
    """A BGP UPDATE (RFC 4271) with a 4-byte-AS AS_PATH, ORIGIN and NEXT_HOP."""
    nlri = b"".join(bytes([length]) + bytes(map(int, prefix.split(".")))[: (length + 7) // 8]
                    for prefix, length in announce)
    as_path = bytes([2, len(path)]) + b"".join(struct.pack("!I", a) for a in path)
    attrs = (bytes([0x40, 1, 1, 0]) + bytes([0x40, 2, len(as_path)]) + as_path
             + bytes([0x40, 3, 4, 192, 0, 2, 1]))
    body = struct.pack("!H", 0) + struct.pack("!H", len(attrs)) + attrs + nlri
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), 2) + body


def _mrt_record(ts: int, peer_as: int, message: bytes) -> bytes:
    """BGP4MP (16) / MESSAGE_AS4 (4), RFC 6396 section 4.4.3."""
    data = struct.pack("!IIHH", peer_as, 65000, 0, 1) + bytes([192, 0, 2, 1]) + bytes([192, 0, 2, 2]) + message
    return struct.pack("!IHHI", ts, 16, 4, len(data)) + data


def test_bgp_replay_of_an_mrt_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    mrt = tmp_path / "updates.20180424.1100.mrt"
    mrt.write_bytes(_mrt_record(1524567600, 6939, _bgp_update([("205.251.192.0", 23)], [6939, 16509]))
                    + _mrt_record(1524567900, 6939, _bgp_update([("205.251.193.0", 24)], [6939, 10297]))
                    + b"\x00\x01\x02")  # a truncated record at the end
    code, out, _ = run(capsys, "security", "bgp", "replay", ESTATE, str(mrt), "--json")
    assert code == 0
    data = json.loads(out)
    assert [(a["labels"]["alertname"], a["labels"]["announced"]) for a in data["alerts"]] == [
        ("BgpSubPrefixHijack", "205.251.193.0/24")]
    assert data["malformed"] == 1 and "record 3" in data["malformed_examples"][0]
