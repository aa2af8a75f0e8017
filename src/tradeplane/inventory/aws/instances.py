"""EC2 instances -> workloads (desk and team from tags).

Only instances that forward traffic are endpoints: ``running`` and ``pending`` ones; the others
(``stopped``, ``stopping``, ``shutting-down``, ``terminated``) are skipped with a note (as
Batfish keeps only running instances). An instance is exposed to the internet only through its own
public IPv4 or Elastic IP (``PublicIpAddress`` or an interface's ``Association.PublicIp``). The
primary interface (device index 0) is modelled; secondary interfaces are named in the notes.
"""

from __future__ import annotations

from collections import defaultdict
from ipaddress import IPv4Address, ip_address

from tradeplane.estate.model import Desk, Workload
from tradeplane.inventory.aws.common import AWS_FILES, AwsExports, tags
from tradeplane.inventory.exports import Row
from tradeplane.inventory.naming import estate_name, label_name, security_group_name
from tradeplane.inventory.policy import open_policy

__all__ = ["LIVE_STATES", "read_instances"]

LIVE_STATES = ("running", "pending")


def _address(row: Row, fld: str) -> str | None:
    text = row.opt_text(fld)
    if text is None:
        return None
    try:
        addr = ip_address(text)
    except ValueError:
        raise row.error(f"{fld} {text!r} is not an IP address", field=fld) from None
    if not isinstance(addr, IPv4Address):
        raise row.error(f"{fld} {text!r} is not an IPv4 address", field=fld)
    return text


def read_instances(x: AwsExports) -> tuple[list[Workload], list[Desk]]:
    workloads: list[Workload] = []
    teams: dict[str, set[str]] = defaultdict(set)
    f = x.files.get("instances")
    if f is None:
        return [], []
    for res in [f.row(p, item, f"Reservations[{p[-1]}]") for p, item in f.items("Reservations")]:
        for inst in res.subs("Instances"):
            iid = inst.text("InstanceId")
            inst = inst.renamed(iid)
            state = inst.sub("State").opt_text("Name", "running") or "running"
            if state not in LIVE_STATES:
                x.note_row(inst, f"{iid}: skipped, {state} (not a live endpoint)")
                continue
            sid = x.subnet(inst, inst.text("SubnetId"))
            _address(inst, "PrivateIpAddress")
            public = _address(inst, "PublicIpAddress") is not None
            nics = inst.subs("NetworkInterfaces")
            for nic in nics:
                assoc = nic.sub("Association")
                if _address(assoc.where("Association"), "PublicIp") is not None:
                    public = True
                if nic.sub("Attachment").integer("DeviceIndex", 0, 65535, default=0) != 0:
                    x.note_row(nic, f"{iid}: secondary interface {nic.opt_text('NetworkInterfaceId', '?')} in "
                                    f"{nic.opt_text('SubnetId', '?')} not modelled (the primary interface is)")
            groups = []
            for g in inst.subs("SecurityGroups"):
                gid = g.text("GroupId")
                if gid not in x.sg_vpc:
                    raise g.error(f"security group {gid} is not in {AWS_FILES['security_groups']}", field="GroupId")
                groups.append(security_group_name(gid))
            if public:
                x.public_subnets.add(sid)
            t = tags(inst)
            desk, team = label_name(t.get("desk")), label_name(t.get("team"))
            teams[desk].add(team)
            w = Workload(name=estate_name(iid), desk=desk, team=team, network=estate_name(x.subnet_vpc[sid]),
                         subnet=estate_name(sid), machine_type=inst.opt_text("InstanceType", "unknown") or "unknown",
                         security_groups=tuple(sorted(set(groups))), public_ip=public)
            workloads.append(x.reg_row(w, inst))
    desks = [Desk(name=d, owner="unknown", cost_centre="unknown", teams=tuple(sorted(t))) for d, t in teams.items()]
    return sorted(workloads, key=lambda w: w.name), open_policy(desks)

