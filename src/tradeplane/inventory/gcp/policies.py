"""Hierarchical and network firewall policies, and where projects sit in the resource hierarchy.

Read from the export directory (all optional):

  firewall-policies.json, firewall-policies/*.json
      gcloud compute firewall-policies list --organization=ORG --format=json (and --folder=F),
      or ... describe POLICY --format=json per file
  network-firewall-policies.json, network-firewall-policies/*.json
      gcloud compute network-firewall-policies list --format=json (global and regional), or describe
  project-ancestors/PROJECT.json
      gcloud projects get-ancestors PROJECT --format=json   (the folders above a network's project)

Each policy keeps its associations (``attachmentTarget``: ``organizations/N``, ``folders/N`` or a
network) and its rules: priority, direction, action (``allow``, ``deny``, ``goto_next``), the
``match`` (``srcIpRanges``, ``destIpRanges``, ``layer4Configs``), ``targetServiceAccounts`` and, for
hierarchical policies, ``targetResources`` (networks). A rule with several ``layer4Configs`` becomes
one rule per entry at the same priority. What the model cannot resolve (secure tags, address groups,
FQDNs, geolocations, threat intelligence, ``apply_security_profile_group``, SCTP ports) is kept as
an *unresolved* rule: the headers it matches are undecided, so the verdicts they decide are
``unknown`` with the rule's line, never allowed or denied by a guess. Disabled rules are noted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tradeplane.errors import InputError, Location
from tradeplane.estate.model import Direction, FirewallPolicy, PolicyAction, PolicyRule, PortRange, Protocol
from tradeplane.inventory.exports import ExportFile, Row
from tradeplane.inventory.gcp.fields import port_of, protocol_of, ranges_of
from tradeplane.inventory.naming import estate_name

if TYPE_CHECKING:
    from tradeplane.inventory.gcp.core import GcpImport

__all__ = ["read_ancestry", "read_policies"]

# Compute API FirewallPolicyRuleMatcher: source and destination kinds other than IP ranges
_SRC_OTHER = ("srcSecureTags", "srcAddressGroups", "srcFqdns", "srcRegionCodes", "srcThreatIntelligences",
              "srcNetworks")
_DST_OTHER = ("destAddressGroups", "destFqdns", "destRegionCodes", "destThreatIntelligences")


def _last(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def _key(url: str) -> str:
    i = url.find("projects/")
    return url[i:] if i >= 0 else url


def _policy_rows(x: GcpImport, key: str, folder: str) -> list[Row]:
    rows = x.rows(key, folder, "compute#firewallPolicy")
    base = x.dir / folder
    if base.is_dir():
        for path in sorted(base.glob("*.json")):
            f = ExportFile.read(path)
            if isinstance(f.data, dict):  # one `describe` output
                rows.append(f.row((), f.data, folder).renamed(f.row((), f.data, folder).text("name")))
            else:
                rows += f.rows(None, "name", folder)
    for r in rows:
        k = r.opt_text("kind")
        if k is not None and k != "compute#firewallPolicy":
            raise r.error(f"unknown resource kind {k!r} (expected 'compute#firewallPolicy')", field="kind")
    return rows


def read_policies(x: GcpImport) -> list[FirewallPolicy]:
    """Every associated policy, hierarchical first, each with its rules (sorted by name)."""
    out: list[FirewallPolicy] = []
    names: set[str] = set()
    for kind, key, folder in (("hierarchical", "hierarchical_policies", "firewall-policies"),
                              ("network", "network_policies", "network-firewall-policies")):
        for p in _policy_rows(x, key, folder):
            label = p.opt_text("shortName") or p.opt_text("displayName") or p.ident
            region = _last(p.opt_text("region") or "") or None
            name = estate_name(label if label not in names else f"{label}-{region or p.ident}")
            names.add(name)
            attached: list[str] = []
            for i, a in enumerate(p.subs("associations")):
                target = a.where(f"associations[{i}]").text("attachmentTarget")
                if kind == "hierarchical":
                    if target.startswith("organizations/"):
                        attached.append("organization")
                    elif target.startswith("folders/"):
                        attached.append(estate_name(f"folder-{_last(target)}"))
                    else:
                        raise a.error(f"attachmentTarget {target!r} is not organizations/N or folders/N",
                                      field="attachmentTarget")
                elif _key(target) in x.nets:
                    attached.append(x.nets[_key(target)][1])
                else:
                    x.note_row(a, f"firewall policy {label}: associated with {target}, not in the export")
            if not attached:
                x.note_row(p, f"firewall policy {label}: associated with nothing exported; applies to nothing here")
                continue
            rules = _rules(x, p, label, kind)
            pol = FirewallPolicy(name=name, kind=kind, attached_to=tuple(sorted(set(attached))),
                                 rules=tuple(rules), region=region if kind == "network" else None)
            out.append(x.reg_row(pol, p))
    return out


def _rules(x: GcpImport, p: Row, label: str, kind: str) -> list[PolicyRule]:
    out: list[PolicyRule] = []
    for i, rr in enumerate(p.subs("rules")):
        r = rr.where(f"rules[{i}]")
        prio = r.integer("priority", 0, 2_147_483_647, what="a rule priority")
        if r.flag("disabled"):
            x.note_row(rr, f"firewall policy {label}: rule {prio} disabled; not imported")
            continue
        direction = (r.opt_text("direction", "INGRESS") or "INGRESS").lower()
        if direction not in ("ingress", "egress"):
            raise r.error(f"direction {r.opt_text('direction')!r} is not INGRESS or EGRESS", field="direction")
        action_text = r.text("action")
        if action_text not in ("allow", "deny", "goto_next", "apply_security_profile_group"):
            raise r.error(f"action {action_text!r} is not allow, deny, goto_next or apply_security_profile_group",
                          field="action")
        m = r.sub("match").where(f"rules[{i}].match")
        src, src6 = ranges_of(m, "srcIpRanges")
        dst, dst6 = ranges_of(m, "destIpRanges")
        other_src = [f for f in _SRC_OTHER if m.seq(f)] + [f for f in ("srcNetworkScope",) if m.has(f)]
        other_dst = [f for f in _DST_OTHER if m.seq(f)]
        whole: list[str] = []  # reasons the rule's targets or action are unresolved
        if r.seq("targetSecureTags"):
            whole.append("targetSecureTags")
        if action_text == "apply_security_profile_group":
            whole.append("L7 inspection (apply_security_profile_group)")
        if r.flag("tlsInspect"):
            whole.append("TLS inspection")
        networks: list[str] = []
        for j, t in enumerate(r.strings("targetResources")):
            if _key(t) in x.nets:
                networks.append(x.nets[_key(t)][1])
            elif j == len(r.strings("targetResources")) - 1 and not networks:
                x.note_row(rr, f"firewall policy {label}: rule {prio} targets only networks not in the export")
        if r.strings("targetResources") and not networks:
            continue
        action = PolicyAction.ALLOW if action_text == "apply_security_profile_group" else PolicyAction(action_text)
        # the narrowing side (ingress: sources; egress: destinations) may hold kinds the model cannot resolve;
        # IPv6-only narrowing ranges match no IPv4 traffic
        own, own6, other = (src, src6, other_src) if direction == "ingress" else (dst, dst6, other_dst)
        if own6 and not own and not other and not whole:
            x.note_row(rr, f"firewall policy {label}: rule {prio} matches only IPv6; not imported")
            continue
        narrow6 = dst6 if direction == "ingress" else src6
        narrow = dst if direction == "ingress" else src
        if narrow6 and not narrow:
            x.note_row(rr, f"firewall policy {label}: rule {prio} matches only IPv6; not imported")
            continue
        l4s: list[Row | None] = [*r.sub("match").subs("layer4Configs")] or [None]
        desc = r.opt_text("description") or r.opt_text("ruleName") or f"{label} rule {prio}"
        for k, l4 in enumerate(l4s):
            proto: str = "all"
            number: int | None = None
            ports: tuple[PortRange, ...] = ()
            sctp_ports = False
            if l4 is not None:
                lr = l4.where(f"rules[{i}].match.layer4Configs[{k}]")
                proto, number = protocol_of(lr, "ipProtocol")
                if proto in ("tcp", "udp") or number == 132:
                    ports = tuple(port_of(lr, n, t) for n, t in enumerate(lr.strings("ports")))
                    if number == 132 and ports:
                        sctp_ports, ports = True, ()
            common: dict[str, Any] = dict(priority=prio, direction=Direction(direction), action=action,
                                          protocol=Protocol(proto), protocol_number=number,
                                          ports=ports,
                                          target_service_accounts=tuple(sorted(r.strings("targetServiceAccounts"))),
                                          target_networks=tuple(sorted(set(networks))), description=desc)
            reasons = [*whole, *(["SCTP ports"] if sctp_ports else [])]
            side = "sources" if direction == "ingress" else "destinations"
            other_side = "destinations" if direction == "ingress" else "sources"
            if reasons:
                out.append(x.reg_row(PolicyRule(**common, **{side: () if other else tuple(own),
                                                             other_side: tuple(narrow)},
                                                unresolved=", ".join(reasons + other)), rr))
                continue
            if own or not other:
                out.append(x.reg_row(PolicyRule(**common, **{side: tuple(own), other_side: tuple(narrow)}), rr))
            if other:  # after the resolved part at the same priority: only what it leaves is undecided
                out.append(x.reg_row(PolicyRule(**common, **{other_side: tuple(narrow)}, unresolved=", ".join(other)),
                                     rr))
    return out


def read_ancestry(x: GcpImport, project: str) -> tuple[str, ...] | None:
    """The folders above ``project``, top-down, from ``project-ancestors/PROJECT.json``; None if absent."""
    path = x.dir / "project-ancestors" / f"{project}.json"
    if not path.is_file():
        return None
    f = ExportFile.read(path)
    if not isinstance(f.data, list):
        raise InputError.single("expected the list `gcloud projects get-ancestors` prints", location=f.at(()))
    folders = []
    for i, item in enumerate(f.data):
        if not isinstance(item, dict):
            raise InputError.single(f"item {i} must be an object", location=f.at((i,)))
        row = f.row((i,), item, f"ancestor[{i}]")
        kind = row.text("type")
        if kind == "folder":
            folders.append(estate_name(f"folder-{row.text('id')}"))
        elif kind not in ("project", "organization"):
            raise row.error(f"type {kind!r} is not project, folder or organization", field="type")
    if not folders and not any(isinstance(i, dict) and i.get("type") == "project" for i in f.data):
        raise InputError.single("no project in the ancestry", location=Location(str(path)))
    return tuple(reversed(folders))
