"""AWS placement groups (cluster, spread, partition) from the workloads' placement intents."""

from __future__ import annotations

from tradeplane.estate.model import AwsVpc, PlacementStrategy, Workload
from tradeplane.terraform.context import Context
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "placement_groups"
AWS_STRATEGIES = {PlacementStrategy.CLUSTER: "cluster", PlacementStrategy.SPREAD: "spread",
                  PlacementStrategy.PARTITION: "partition"}


def group_of(w: Workload) -> str | None:
    """The placement group's estate name (shared by workloads naming the same group)."""
    if w.placement.strategy not in AWS_STRATEGIES:
        return None
    return w.placement.group or w.name


@family("placement_groups", cloud="aws", stage=Stage.COMPUTE)
def emit(ctx: Context) -> None:
    """One placement group per (network, group); every member must want the same strategy."""
    mod = ctx.module("aws", Stage.COMPUTE)
    seen: dict[tuple[str, str], Workload] = {}
    for w in sorted(ctx.estate.workloads, key=lambda w: w.name):
        net = ctx.networks[w.network]
        group = group_of(w)
        if not isinstance(net, AwsVpc) or group is None:
            continue
        first = seen.get((net.name, group))
        if first is not None:
            if first.placement.strategy is not w.placement.strategy:
                ctx.unsupported(w.placement, "strategy", f"placement group '{group}' is {first.placement.strategy.value} "
                                f"for {first.name} but {w.placement.strategy.value} for {w.name}",
                                "give the workloads one strategy or different groups")
            continue
        seen[(net.name, group)] = w
        strategy = AWS_STRATEGIES[w.placement.strategy]
        mod.resource(F, "aws_placement_group", ident(net.name, group),
                     provider=mod.aws_provider(net.account, net.region), name=f"{net.name}-{group}",
                     strategy=strategy, partition_count=3 if strategy == "partition" else None,
                     spread_level="rack" if strategy == "spread" else None,
                     tags=ctx.aws_tags(group, w.desk, w.team, w.env))
