"""The clouds' placement-group rules the solver honours, each with its source."""

from __future__ import annotations

__all__ = [
    "AWS_GROUPS_PER_REGION",
    "AWS_PARTITIONS_PER_ZONE",
    "AWS_SPREAD_PER_ZONE",
    "GCP_COMPACT_FAMILIES",
    "GCP_COMPACT_MAX_VMS",
    "RULE_SOURCES",
    "ZONAL_STRATEGIES",
]

# AWS (EC2 User Guide, placement groups): a cluster group lives in one Availability Zone; a spread
# group holds at most 7 running instances per zone; a partition group at most 7 partitions per zone;
# 500 placement groups per account per region.
AWS_SPREAD_PER_ZONE = 7
AWS_PARTITIONS_PER_ZONE = 7
AWS_GROUPS_PER_REGION = 500

# GCP (Compute Engine, placement policies): a compact policy places up to 150 VMs (older documented
# limit) of the A2, C2, C2D, G2, N2 and N2D series; its VMs must stop (TERMINATE) on host maintenance;
# it cannot be combined with sole-tenant nodes.
GCP_COMPACT_MAX_VMS = 150
GCP_COMPACT_FAMILIES = frozenset({"a2", "c2", "c2d", "g2", "n2", "n2d"})

# Strategies whose members must all share one zone.
ZONAL_STRATEGIES = frozenset({"cluster", "compact", "sole_tenant"})

RULE_SOURCES: dict[str, str] = {
    "cluster": "AWS EC2 placement groups: a cluster placement group is in one Availability Zone",
    "spread": f"AWS EC2 placement groups: at most {AWS_SPREAD_PER_ZONE} running instances per zone per "
              "spread group",
    "partition": f"AWS EC2 placement groups: at most {AWS_PARTITIONS_PER_ZONE} partitions per zone",
    "compact": f"GCP compact placement policy: at most {GCP_COMPACT_MAX_VMS} VMs of series "
               + ", ".join(sorted(GCP_COMPACT_FAMILIES)).upper() + "; TERMINATE on host maintenance; "
               "not with sole-tenant nodes",
    "sole_tenant": "GCP sole-tenant node group: zonal; node type of the VMs' machine series",
}
