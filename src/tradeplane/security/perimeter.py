"""DDoS perimeter review for the crypto desk's entry points.

Crypto-facing entry points are the networks whose workloads trade on crypto venues. Rules:

- AWS: every NAT gateway of such a VPC (its Elastic IPs are what venues and attackers see) has
  an ``aws_shield_protection``; the VPC has a WAFv2 web ACL with a ``rate_based_statement``,
  and the ACL is associated with a resource (an ACL associated with nothing filters nothing).
- GCP: such a network's project has a Cloud Armor policy with ``rate_limit_options`` and
  ``adaptive_protection_config``.
- Origins: no crypto workload is reachable from the internet except through the perimeter,
  proven by the network engine (the caller passes its answers; each finding carries its trace).

Sources: AWS Shield Advanced protects EIPs and load balancers ("Resources that AWS Shield
Advanced protects"); WAFv2 rate-based rules; Cloud Armor rate limiting and Adaptive Protection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tradeplane.estate import AwsVpc, Estate, GcpVpc
from tradeplane.security.finding import Finding
from tradeplane.security.iam import Resource

__all__ = ["RULES", "Exposure", "check_perimeter", "crypto_networks"]

RULES: dict[str, tuple[str, str, str]] = {
    "perimeter.shield": ("Every NAT gateway of a crypto-facing VPC has Shield Advanced protection.",
                         "Its Elastic IPs are what venues and attackers see: each needs an aws_shield_protection.",
                         "AWS Shield Advanced, 'Resources that AWS Shield Advanced protects'"),
    "perimeter.rate-limit": ("A crypto-facing VPC has a WAFv2 web ACL with a rate-based rule.",
                             "A regional web ACL with a rate_based_statement throttles floods at the entry "
                             "point.", "AWS WAFv2 rate-based rule statements"),
    "perimeter.acl-unattached": ("A crypto-facing VPC's web ACL is associated with a resource.",
                                 "A web ACL protects only the load balancers or APIs it is associated with; one "
                                 "associated with nothing filters nothing.", "AWS WAFv2 web ACL associations"),
    "perimeter.cloud-armor": ("A crypto-facing GCP network's project has Cloud Armor rate limiting and Adaptive "
                              "Protection.", "A google_compute_security_policy with rate_limit_options and "
                              "adaptive_protection_config.", "Google Cloud Armor rate limiting and Adaptive Protection"),
    "perimeter.origin-unproven": ("Every crypto workload's exposure to the internet is known.",
                                  "The composer passes the network engine's answer to internet -> workload; "
                                  "without one the origin cannot be proven hidden.", ""),
    "perimeter.origin-exposed": ("No crypto workload is reachable from the internet outside the perimeter.",
                                 "Origins are reachable only through Shield/WAF or Cloud Armor, proven by the "
                                 "network engine's reachability answer (its trace is the evidence).", ""),
}
"""Each perimeter rule: (the rule in one sentence, in full, its source or ""), for reviewers' tools (SARIF)."""


@dataclass(frozen=True)
class Exposure:
    """The network engine's answer to "internet -> workload": reachable or not, with trace lines."""

    workload: str
    reachable: bool
    trace: tuple[str, ...] = ()


def crypto_networks(estate: Estate) -> list[AwsVpc | GcpVpc]:
    crypto = {v.name for v in estate.venues if v.kind == "crypto"}
    names = {w.network for w in estate.workloads if crypto & set(w.venues)}
    return sorted((n for n in estate.networks if n.name in names), key=lambda n: n.name)


def _contains(body: object, word: str) -> bool:
    if isinstance(body, dict):
        return word in body or any(_contains(v, word) for v in body.values())
    if isinstance(body, list):
        return any(_contains(v, word) for v in body)
    return isinstance(body, str) and word in body


def check_perimeter(estate: Estate, resources: Sequence[Resource],
                    exposure: Mapping[str, Exposure]) -> tuple[list[Finding], list[str]]:
    findings: list[Finding] = []
    passed: list[str] = []
    shields = [r for r in resources if r.type == "aws_shield_protection"]
    acls = [r for r in resources if r.type == "aws_wafv2_web_acl"]
    associations = [r for r in resources if r.type == "aws_wafv2_web_acl_association"]
    armors = [r for r in resources if r.type == "google_compute_security_policy"]
    for network in crypto_networks(estate):
        where = str(estate.where(network) or "")
        if isinstance(network, AwsVpc):
            for nat in network.nat_gateways:
                key = f"{network.name}/{nat.name}"
                if any(key in r.text("resource_arn") or r.text("name") == f"{network.name}-{nat.name}"
                       for r in shields):
                    passed.append(f"perimeter.shield {key}")
                else:
                    findings.append(Finding("high", "perimeter.shield", key,
                                            f"NAT gateway {key} has no Shield Advanced protection",
                                            "its Elastic IPs are the crypto desk's public face",
                                            "add aws_shield_protection for its EIP", where))
            acl = next((r for r in acls if r.text("name").startswith(network.name)), None)
            if acl is None or not _contains(acl.body, "rate_based_statement"):
                findings.append(Finding("high", "perimeter.rate-limit", network.name,
                                        f"{network.name} has no WAFv2 web ACL with a rate-based rule",
                                        "", "render a regional web ACL with a rate_based_statement", where))
            else:
                passed.append(f"perimeter.rate-limit {network.name}")
                if not any(acl.address in r.text("web_acl_arn") for r in associations):
                    findings.append(Finding("medium", "perimeter.acl-unattached", network.name,
                                            f"{acl.address} is associated with no resource: it filters nothing",
                                            "a web ACL protects only the load balancers or APIs it is associated "
                                            "with", "associate it with the entry point (aws_wafv2_web_acl_association) "
                                            "or remove it", where))
        else:
            armor = next((r for r in armors if r.text("name").startswith(network.project)
                          or r.text("project") == network.project), None)
            if armor is None or not (_contains(armor.body, "rate_limit_options")
                                     and _contains(armor.body, "adaptive_protection_config")):
                findings.append(Finding("high", "perimeter.cloud-armor", network.name,
                                        f"{network.project} has no Cloud Armor policy with rate limiting and "
                                        "adaptive protection", "", "render google_compute_security_policy", where))
            else:
                passed.append(f"perimeter.cloud-armor {network.name}")
    crypto = {n.name for n in crypto_networks(estate)}
    for workload in sorted(estate.workloads, key=lambda w: w.name):
        if workload.network not in crypto:
            continue
        answer = exposure.get(workload.name)
        if answer is None:
            findings.append(Finding("medium", "perimeter.origin-unproven", workload.name,
                                    f"no reachability answer for {workload.name}", "",
                                    "run the check through the composer that computes exposure"))
        elif answer.reachable:
            findings.append(Finding("critical", "perimeter.origin-exposed", workload.name,
                                    f"the internet reaches {workload.name} outside the perimeter",
                                    "origins must only be reachable through Shield/WAF or Cloud Armor",
                                    "remove the public path shown in the trace",
                                    str(estate.where(workload) or ""), answer.trace))
        else:
            passed.append(f"perimeter.origin {workload.name}")
    return findings, passed
