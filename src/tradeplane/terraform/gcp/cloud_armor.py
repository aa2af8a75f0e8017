"""GCP Cloud Armor for the crypto-facing perimeter: adaptive protection, WAF rules, rate limiting."""

from __future__ import annotations

from tradeplane.terraform.context import Context
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

PRECONFIGURED = ("cve-canary", "rce-v33-stable", "sqli-v33-stable", "xss-v33-stable")


@family("cloud_armor", cloud="gcp", stage=Stage.SECURITY)
def emit(ctx: Context) -> None:
    """A security policy per network whose workloads face crypto venues (or that hosts a perimeter)."""
    mod = ctx.module("gcp", Stage.SECURITY)
    crypto = {v.name for v in ctx.estate.venues if v.kind == "crypto"}
    faces = sorted({w.network for w in ctx.estate.workloads if crypto & set(w.venues)
                    and ctx.networks[w.network].cloud == "gcp"})
    hosts = sorted({v.project for v in ctx.estate.gcp_vpcs if v.name in faces} or
                   {v.project for v in ctx.estate.gcp_vpcs if v.shared_vpc_service_projects})
    for project in hosts:
        name = ident(project, "perimeter")
        pol = mod.resource("cloud_armor", "google_compute_security_policy", name, project=ctx.project_id(mod, project),
                           name=f"{project}-perimeter", description="edge policy for internet-facing endpoints",
                           type="CLOUD_ARMOR")
        pol.block("adaptive_protection_config").block("layer_7_ddos_defense_config", enable=True,
                                                      rule_visibility="STANDARD")
        pol.block("advanced_options_config", log_level="VERBOSE", json_parsing="STANDARD")
        for i, rule in enumerate(PRECONFIGURED, start=1):
            r = pol.block("rule", action="deny(403)", priority=1000 + i, description=f"preconfigured WAF: {rule}")
            r.block("match").block("expr", expression=f"evaluatePreconfiguredWaf('{rule}')")
        rl = pol.block("rule", action="throttle", priority=2000, description="per-client rate limit")
        rl.block("match", versioned_expr="SRC_IPS_V1").block("config", src_ip_ranges=["*"])
        limits = rl.block("rate_limit_options", conform_action="allow", exceed_action="deny(429)",
                          enforce_on_key="IP")
        limits.block("rate_limit_threshold", count=600, interval_sec=60)
        d = pol.block("rule", action="allow", priority=2147483647, description="default: allow what passed the rules")
        d.block("match", versioned_expr="SRC_IPS_V1").block("config", src_ip_ranges=["*"])
