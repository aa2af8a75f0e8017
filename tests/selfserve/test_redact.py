"""What a role that does not see the crypto desk gets of a request: every crypto name gone, counted."""

from __future__ import annotations

import json
from typing import Any

from tradeplane.selfserve.redact import MASK, Restricted, redact

R = Restricted.build({"crypto"}, {"coinbase-mm", "aws-use1-crypto", "aws-use1-crypto/trading-a", "coinbase-mm-trade"})


def _hop(node: str, text: str) -> dict[str, Any]:
    return {"node": node, "action": "allowed", "rules": [{"text": text}]}


RECORD: dict[str, Any] = {
    "id": "req-0123456789", "kind": "flow", "summary": "flow eq-strategy -> coinbase-mm tcp 9200",
    "request": {"kind": "flow", "src": "eq-strategy", "dst": "coinbase-mm", "ports": ["9200"]},
    "verdict": "refused", "status": "refused", "desks": ["crypto", "equities"], "restricted": True,
    "reasons": ["breaks isolation: eq-strategy -> coinbase-mm tcp 9200 crosses from desk equities into desk crypto"],
    "changes": ["intents: add flow-eq-strategy-to-coinbase-mm (reachable eq-strategy -> coinbase-mm tcp 9200)",
                "desks: equities may_talk_to += crypto",
                "networks: aws-use1-crypto security group market-maker-sg ingress allows 10.10.0.0/24 tcp 9200"],
    "findings": {"new": [{"title": "intent 'flow-eq-strategy-to-coinbase-mm' is violated", "detail": "", "traces": []},
                         {"title": "eq-strategy has no owner tag", "detail": "", "traces": []}],
                 "removed": []},
    "trace": {"flow": "eq-strategy -> coinbase-mm tcp 9200", "verdict": "delivered",
              "traces": [{"disposition": "delivered", "endpoint": "coinbase-mm",
                          "hops": [_hop("eq-strategy", "strategy-sg egress allow"),
                                   _hop("aws-use1-equities/trading-a", "nacl allow"),
                                   _hop("tgw-use1", "route 10.101.0.0/16 -> aws-use1-crypto attachment"),
                                   _hop("aws-use1-crypto/trading-a", "nacl allow"),
                                   _hop("coinbase-mm", "market-maker-sg ingress allow")]}],
              "lines": ["delivered (src 10.10.0.0/24 dst 10.101.10.0/24 tcp port 9200)",
                        "  1. eq-strategy: allowed by strategy-sg egress allow",
                        "  2. aws-use1-equities/trading-a: allowed by nacl allow",
                        "  3. tgw-use1: allowed by route 10.101.0.0/16 -> aws-use1-crypto attachment",
                        "  4. aws-use1-crypto/trading-a: allowed by nacl allow",
                        "  5. coinbase-mm: allowed by market-maker-sg ingress allow"]},
    "placement": [{"workload": "coinbase-mm-2", "zones": ["use1-az1"], "subnets": ["aws-use1-crypto/trading-a"]}],
    "terraform": {"added": ["aws/10-networking aws_vpc_security_group_egress_rule.aws_use1_equities__sg_strategy__x",
                            "aws/10-networking aws_vpc_security_group_ingress_rule.aws_use1_crypto__market_maker_sg__y"],
                  "changed": [], "removed": []},
    "cost": {"currency": {"USD": {"old": 10.0, "new": 12.0, "delta": 2.0}}, "by_desk": {"crypto": 1.5, "equities": 0.5},
             "changes": [{"id": "a", "desk": "crypto", "delta": 1.5, "new": "coinbase-mm-2 c6in.2xlarge"},
                         {"id": "b", "desk": "equities", "delta": 0.5, "new": "eq-strategy egress"}],
             "budgets": {}},
    "estate_diff": ("diff --git a/desks.yaml b/desks.yaml\n--- a/desks.yaml\n+++ b/desks.yaml\n"
                    "@@ -1,2 +1,2 @@\n-    may_talk_to: [futures]\n+    may_talk_to: [futures, crypto]\n"
                    "diff --git a/networks.yaml b/networks.yaml\n--- a/networks.yaml\n+++ b/networks.yaml\n"
                    "@@ -10,1 +10,2 @@\n   - name: aws-use1-crypto\n+    ingress: 9200\n"),
}


def test_every_crypto_name_is_gone_and_counted() -> None:
    out = redact(RECORD, R)
    text = json.dumps(out)
    for name in ("coinbase-mm", "aws-use1-crypto", "aws_use1_crypto", "market_maker_sg"):
        assert name not in text, name
    assert not R.touches(text)
    assert out["redacted"] is True
    # 1 change, 1 finding, 1 address, 1 placement row, 1 desk cost + 1 cost line, 3 hops, 1 diff hunk
    assert out["hidden"] == 10


def test_the_requester_still_learns_that_and_what_of_theirs_is_involved() -> None:
    out = redact(RECORD, R)
    assert out["verdict"] == "refused"
    assert out["reasons"] == [f"breaks isolation: eq-strategy -> {MASK} tcp 9200 crosses from desk equities into desk crypto"]
    assert out["summary"] == f"flow eq-strategy -> {MASK} tcp 9200" and out["request"]["dst"] == MASK
    assert out["changes"][0] == f"intents: add flow-eq-strategy-to-{MASK} (reachable eq-strategy -> {MASK} tcp 9200)"
    assert [f["title"] for f in out["findings"]["new"]] == ["eq-strategy has no owner tag"]
    assert out["terraform"]["added"] == [RECORD["terraform"]["added"][0]]
    assert out["cost"]["by_desk"] == {"equities": 0.5} and [c["id"] for c in out["cost"]["changes"]] == ["b"]
    assert "may_talk_to: [futures, crypto]" in out["estate_diff"] and "networks.yaml" not in out["estate_diff"]


def test_the_trace_stops_before_the_crypto_desks_side() -> None:
    trace = redact(RECORD, R)["trace"]
    assert [h["node"] for h in trace["traces"][0]["hops"]] == ["eq-strategy", "aws-use1-equities/trading-a"]
    assert trace["traces"][0]["hidden_hops"] == 3 and trace["traces"][0]["endpoint"] == MASK
    assert trace["lines"][:3] == RECORD["trace"]["lines"][:3]
    assert len(trace["lines"]) == 4 and "hidden" in trace["lines"][3]


def test_nothing_to_hide_changes_nothing_but_the_flags() -> None:
    plain = {k: v for k, v in RECORD.items() if k != "trace"}
    out = redact(plain, Restricted.build((), ()))
    assert out == {**plain, "hidden": 0, "redacted": True}


def test_the_crypto_desks_address_ranges_are_masked_too(reference_estate: Any) -> None:
    """Found in a new-user trial: a requester's trace printed `dst 10.100.10.0/24`, a crypto subnet."""
    r = Restricted.of(reference_estate)
    crypto = [n for n in reference_estate.networks if n.desk in r.desks]
    assert crypto
    for n in crypto:
        for s in n.subnets:
            line = f"eq-strategy -> dropped (dst {s.cidr}, tcp 443)"
            assert str(s.cidr) not in r.mask(line) and MASK in r.mask(line), line
            assert r.mentions(line)
    assert r.mask("dst 10.0.100.0/24") == "dst 10.0.100.0/24"  # the equities desk's own subnet stays


def test_an_address_inside_the_crypto_desks_ranges_is_masked_a_guard_around_them_is_not(reference_estate: Any
                                                                                          ) -> None:
    """Found in a new-user trial: a requester's trace summary printed `dst ...,10.100.10.0/23,...`, the
    crypto desk's two trading subnets as one range, which no exact name matched."""
    r = Restricted.of(reference_estate)
    line = ("dropped: security group egress denied by security-group rule (src eq-strategy dst "
            "1.0.0.0-9.255.255.255,10.100.10.0/23,11.0.0.0-100.63.255.255,+6 more tcp port 443)")
    assert r.touches(line)
    masked = r.mask(line)
    assert "10.100.10.0/23" not in masked and "1.0.0.0-9.255.255.255" in masked and "eq-strategy" in masked
    for inside in ("10.100.10.7", "10.100.10.0-10.100.11.255", "10.101.10.128/25"):
        assert r.mask(f"dst {inside}.") == f"dst {MASK}.", inside
    # the requester's own guard (a NACL's deny of both crypto VPCs at once) and other desks' ranges stay
    for kept in ("deny all 10.100.0.0/15", "dst 10.0.100.0/24", "dst 10.99.255.255", "dst 10.0.0.0-10.255.255.255"):
        assert r.mask(kept) == kept and not r.touches(kept), kept


def test_the_crypto_desk_is_judged_on_the_estate_before_the_change(reference_estate: Any) -> None:
    """Found in a new-user trial: `request venue eq-strategy binance` by a requester showed her own
    workload as "[crypto desk]": the patched estate (where equities trades a crypto venue) decided."""
    before = Restricted.of(reference_estate)
    assert "equities" not in before.desks
    patched = reference_estate.model_copy(update={"workloads": tuple(
        w.model_copy(update={"venues": (*w.venues, "binance")}) if w.name == "eq-strategy" else w
        for w in reference_estate.workloads)})
    assert "equities" in Restricted.of(patched).desks  # judged on the patched estate, her desk is hidden
    after = Restricted.of(patched, desks=before.desks)
    assert after.desks == before.desks and after.names == before.names
    assert not after.touches("workloads: eq-strategy venues += binance")
