"""Exchange API key custody: every key's secret exists, is encrypted with a customer-managed key,
rotates, is readable only by the workloads that use it (the rule of ``tradeplane.estate.access``,
which Terraform's conformance check applies too), never carries withdraw on a trading or
market-data path, is not shared across desks, is younger than the rotation policy, and its venue
IP allowlist equals the egress addresses of its users.

Inputs (an analysis takes others' results, never calls them): the estate; the rendered
Terraform's resources (:func:`tradeplane.security.iam.parse_resources`); the egress addresses the
network engine computes (``tradeplane.net.egress_addresses``); the key inventory and the date
to judge ages against (both optional).

Rules and sources: AWS Secrets Manager encrypts with ``aws/secretsmanager`` unless ``kms_key_id``
names a customer-managed key; rotation is an ``aws_secretsmanager_secret_rotation``. GCP Secret
Manager uses CMEK through ``customer_managed_encryption`` and rotation through a ``rotation``
block. Binance refuses API withdrawals unless a key is IP-restricted (FACTS.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from tradeplane.estate import ApiKey, Estate, Venue, Workload
from tradeplane.estate.access import AccessProblem, Reader, secret_access_problems
from tradeplane.security.finding import Finding
from tradeplane.security.iam import Principal, Resource, read_principals
from tradeplane.security.inventory import KeyInventory, check_inventory, nearest

__all__ = ["RULES", "EgressLike", "check_custody", "key_users"]

_AWS_GCP_SECRETS = ("AWS Secrets Manager (kms_key_id, aws_secretsmanager_secret_rotation) and GCP Secret Manager "
                    "(customer_managed_encryption, rotation)")
RULES: dict[str, tuple[str, str, str]] = {
    "custody.secret-missing": ("Every exchange key's secret is created by the rendered Terraform.",
                               "A key whose secret is created by hand has no encryption, rotation or access "
                               "policy under review.", ""),
    "custody.cmk": ("Every key's secret is encrypted with a customer-managed key.",
                    "The provider-managed key cannot be scoped to the key's readers; AWS Secrets Manager uses "
                    "aws/secretsmanager unless kms_key_id names a customer-managed key.", _AWS_GCP_SECRETS),
    "custody.rotation": ("Every key's secret has rotation configured.",
                         "Keys older than the estate's key_rotation_days are a finding; rotation is an "
                         "aws_secretsmanager_secret_rotation (AWS) or a rotation block (GCP).", _AWS_GCP_SECRETS),
    "custody.reader": ("Only the workloads that use a key may read its secret.",
                       "Any other principal that can read the secret (an IAM policy, a role, a service account) "
                       "is a finding: the rule of tradeplane.estate.access, which Terraform's conformance check "
                       "applies too.", ""),
    "custody.user-cannot-read": ("Every workload that uses a key can read its secret.",
                                 "A user whose identity cannot read the secret fails to authenticate to the "
                                 "venue.", ""),
    "custody.withdraw": ("No key on a trading or market-data path carries withdraw.",
                         "Withdrawals need a separate key on a separate path; Binance refuses API withdrawals "
                         "unless a key is IP-restricted.", "the venues' API key permission documentation"),
    "custody.shared": ("No key is shared across desks.",
                       "One desk's compromise or rotation must not touch another's: one key per desk.", ""),
    "custody.age": ("No key is older than the rotation policy.",
                    "Judged against the key inventory's creation dates and the estate's key_rotation_days.", ""),
    "custody.age-unknown": ("Every key the estate declares has a creation date in the key inventory.",
                            "A key the inventory does not list cannot be judged by the age rule; a check that "
                            "skipped it would pass it.", ""),
    "custody.undeclared": ("Every key in the key inventory is declared in the estate.",
                           "A key the venue issued that the estate does not declare has no secret, readers, "
                           "permissions or allowlist under review: declare it or revoke it.", ""),
    "custody.allowlist-unproven": ("A key's venue IP allowlist can be compared with its users' egress.",
                                   "When a user's egress addresses are unknown (no NAT public_ips or Cloud NAT "
                                   "addresses in the estate) the allowlist cannot be proven.", ""),
    "custody.allowlist-missing": ("A key's venue IP allowlist holds every address its users egress from.",
                                  "The venue rejects requests leaving from an address the allowlist lacks; the "
                                  "egress addresses are the network engine's (net.egress_addresses).", ""),
    "custody.allowlist-extra": ("A key's venue IP allowlist holds no address its users do not egress from.",
                                "An allow-listed address the firm does not use may be someone else's.", ""),
}
"""Each custody rule: (the rule in one sentence, in full, its source or ""), for reviewers' tools (SARIF)."""


class EgressLike(Protocol):
    @property
    def workload(self) -> str: ...
    @property
    def venue(self) -> str: ...
    @property
    def addresses(self) -> tuple[str, ...]: ...
    @property
    def via(self) -> str: ...
    @property
    def known(self) -> bool: ...


@dataclass(frozen=True)
class _Secret:
    resource: Resource | None
    cloud: str
    path: str


def key_users(estate: Estate, venue: Venue, key: ApiKey) -> list[Workload]:
    """Workloads that use ``key`` (``Estate.key_users``: named in ``api_keys``, or all keys of its venues)."""
    return estate.key_users(venue, key)


def _where(estate: Estate, obj: object, field: str = "") -> str:
    loc = estate.where(obj, field)
    return str(loc) if loc else ""


def _secret(key: ApiKey, resources: Sequence[Resource]) -> _Secret:
    scheme, _, path = key.secret_ref.partition("://")
    if scheme == "aws-sm":
        found = next((r for r in resources if r.type == "aws_secretsmanager_secret" and r.text("name") == path), None)
        return _Secret(found, "aws", path)
    if scheme == "gcp-sm":
        name = path.rsplit("/", 1)[-1]
        found = next((r for r in resources if r.type == "google_secret_manager_secret"
                      and r.text("secret_id") == name), None)
        return _Secret(found, "gcp", path)
    return _Secret(None, scheme, path)


def _has_block(body: Any, name: str) -> bool:
    if isinstance(body, dict):
        return name in body or any(_has_block(v, name) for v in body.values())
    if isinstance(body, list):
        return any(_has_block(v, name) for v in body)
    return False


def _readers(secret: _Secret, principals: Iterable[Principal]) -> list[Principal]:
    if secret.resource is None:
        return []
    out = []
    if secret.cloud == "aws":
        arn = f"arn:aws:secretsmanager:region:000000000000:secret:{secret.path}-AbCdEf"
        ref = f"{secret.resource.address}.arn"
        for p in principals:
            if any(s.allows("secretsmanager:GetSecretValue", arn) or (s.effect == "Allow" and any(
                    ref in r for r in s.resources) and any(a.lower().startswith("secretsmanager:") or a == "*"
                                                          for a in s.actions)) for s in p.statements):
                out.append(p)
    else:
        for p in principals:
            if any(scope.startswith("project:") or secret.resource.name in scope for _, scope in p.gcp_roles):
                out.append(p)
    return out


def _access(estate: Estate, resources: Sequence[Resource], principals: Sequence[Principal]
            ) -> tuple[dict[str, list[AccessProblem]], dict[str, Principal]]:
    """The rule of ``estate.access`` on the rendered IAM: each principal's readable key secrets
    (``_readers``), judged once; problems by secret ref, and principals by address."""
    readable: dict[str, set[str]] = {p.address: set() for p in principals}
    scope = []
    for venue in estate.venues:
        for key in venue.api_keys:
            secret = _secret(key, resources)
            if secret.resource is None:
                continue  # custody.secret-missing says so; nothing to judge readers on
            scope.append(key.secret_ref)
            for p in _readers(secret, principals):
                readable[p.address].add(key.secret_ref)
    readers = [Reader(p.address, p.kind != "instance", p.workload, frozenset(readable[p.address]), False)
               for p in principals]
    by_ref: dict[str, list[AccessProblem]] = {}
    for prob in secret_access_problems(estate, readers, scope):
        if prob.secret_ref is not None:
            by_ref.setdefault(prob.secret_ref, []).append(prob)
    return by_ref, {p.address: p for p in principals}


def check_custody(estate: Estate, resources: Sequence[Resource], egress: Iterable[EgressLike],
                  inventory: KeyInventory | None = None, as_of: date | None = None) -> tuple[list[Finding], list[str]]:
    """Findings and the rules that passed, for every API key of every venue (sorted)."""
    findings: list[Finding] = []
    passed: list[str] = []
    principals = read_principals(resources)
    rotations = {r.text("secret_id") for r in resources if r.type == "aws_secretsmanager_secret_rotation"}
    egress_by = {(e.workload, e.venue): e for e in egress}
    if inventory is not None:
        check_inventory(inventory, {v.name: [k.name for k in v.api_keys] for v in estate.venues},
                        [d.name for d in estate.desks], as_of)
        findings.extend(_undeclared(estate, inventory))
    records = {(k.venue, k.name): k for k in (inventory.keys if inventory else ())}
    access, by_address = _access(estate, resources, principals)
    for venue in sorted(estate.venues, key=lambda v: v.name):
        for key in venue.api_keys:
            subject = f"{venue.name}/{key.name}"
            where = _where(estate, key)
            users = key_users(estate, venue, key)
            secret = _secret(key, resources)
            if secret.resource is None:
                findings.append(Finding("high", "custody.secret-missing", subject,
                                        f"the secret {key.secret_ref} is not in the rendered Terraform",
                                        "a key whose secret is created by hand has no encryption, rotation or "
                                        "access policy under review",
                                        "render the secret (aws_secretsmanager_secret / google_secret_manager_secret)",
                                        where))
            else:
                body = secret.resource.body
                kms = str(body.get("kms_key_id", ""))
                cmk = _has_block(body, "customer_managed_encryption") if secret.cloud == "gcp" else (
                    bool(kms) and "alias/aws/" not in kms)
                if not cmk:
                    findings.append(Finding("high", "custody.cmk", subject,
                                            f"{secret.resource.address} is not encrypted with a customer-managed key",
                                            "the provider-managed key cannot be scoped to the key's readers",
                                            "set kms_key_id (AWS) / customer_managed_encryption (GCP)", where))
                else:
                    passed.append(f"custody.cmk {subject}")
                rotates = (_has_block(body, "rotation") if secret.cloud == "gcp"
                           else any(secret.resource.address in r for r in rotations))
                if not rotates:
                    findings.append(Finding("medium", "custody.rotation", subject,
                                            f"{secret.resource.address} has no rotation configured",
                                            f"keys older than {estate.security.key_rotation_days} days are a finding",
                                            "add aws_secretsmanager_secret_rotation / a rotation block", where))
                else:
                    passed.append(f"custody.rotation {subject}")
                problems = access.get(key.secret_ref, [])
                for prob in problems:
                    if prob.kind != "not-a-user":
                        continue
                    p = by_address[prob.principal or ""]
                    findings.append(Finding("high", "custody.reader", subject,
                                            f"{p.address} ({p.kind}) can read the secret of {key.name}",
                                            "only the workloads that use a key may read it",
                                            "scope the secret's IAM to the users' instance roles", where,
                                            tuple(f"{p.address}: {s.effect} {','.join(s.actions)} on "
                                                  f"{','.join(s.resources)}" for s in p.statements
                                                  if any("secretsmanager" in a or a == "*" for a in s.actions))))
                for prob in problems:
                    if prob.kind != "user-cannot-read":
                        continue
                    w = next(u for u in users if u.name == prob.workload)
                    findings.append(Finding("high", "custody.user-cannot-read", subject,
                                            f"{w.name} uses {key.name} but its identity cannot read the secret",
                                            "the workload will fail to authenticate to the venue",
                                            "grant its instance role secretsmanager:GetSecretValue on this secret",
                                            _where(estate, w, "api_keys") or _where(estate, w)))
            if "withdraw" in key.permissions and users:
                findings.append(Finding("critical", "custody.withdraw", subject,
                                        f"{key.name} carries withdraw and is used by "
                                        f"{', '.join(w.name for w in users)}",
                                        "withdrawals need a separate key on a separate path",
                                        "remove 'withdraw' from this key; issue a withdrawal-only key", where))
            record = records.get((venue.name, key.name))
            desks = sorted({w.desk for w in users} | set(record.desks if record else ()))
            if len(desks) > 1:
                findings.append(Finding("high", "custody.shared", subject,
                                        f"{key.name} is shared by desks {', '.join(desks)}",
                                        "one desk's compromise or rotation must not touch another's",
                                        "issue one key per desk", where))
            if record is not None and as_of is not None:
                age = (as_of - record.created).days
                if age > estate.security.key_rotation_days:
                    findings.append(Finding("medium", "custody.age", subject,
                                            f"{key.name} is {age} days old (policy {estate.security.key_rotation_days})",
                                            f"created {record.created.isoformat()}", "rotate the key", where))
                else:
                    passed.append(f"custody.age {subject}")
            elif inventory is not None:
                findings.append(Finding("medium", "custody.age-unknown", subject,
                                        f"{key.name} is not in the key inventory: its age cannot be judged",
                                        f"policy {estate.security.key_rotation_days} days; the inventory lists "
                                        + (", ".join(sorted(k.name for k in inventory.keys if k.venue == venue.name))
                                           or f"no key of {venue.name}"),
                                        "add {name, venue, created, desks} for it to the key inventory", where))
            if venue.ip_allowlist or key.allowlist:
                findings.extend(_allowlist(estate, venue, key, users, egress_by, subject, where, passed))
    return findings, passed


def _undeclared(estate: Estate, inventory: KeyInventory) -> list[Finding]:
    """``custody.undeclared`` for each inventory key of a known venue that the estate does not
    declare, located in the inventory, with the nearest declared key of that venue."""
    out = []
    declared = {v.name: [k.name for k in v.api_keys] for v in estate.venues}
    for i, record in enumerate(inventory.keys):
        names = declared.get(record.venue)
        if names is None or record.name in names:
            continue  # an unknown venue is an input error (check_inventory)
        where = inventory.location(i, "name")
        out.append(Finding("high", "custody.undeclared", f"{record.venue}/{record.name}",
                           f"the key inventory lists {record.name}, which the estate does not declare for "
                           f"{record.venue}",
                           "its secret, readers, permissions and allowlist are not under review; "
                           + nearest(record.name, names).replace("none is declared",
                                                                 f"{record.venue} declares no key"),
                           "declare it under the venue's api_keys in the estate, or revoke it at the venue "
                           "and remove it from the inventory", str(where) if where else ""))
    return out


def _allowlist(estate: Estate, venue: Venue, key: ApiKey, users: list[Workload],
               egress_by: dict[tuple[str, str], EgressLike], subject: str, where: str,
               passed: list[str]) -> list[Finding]:
    paths = [egress_by[(w.name, venue.name)] for w in users if (w.name, venue.name) in egress_by]
    trace = tuple(f"{e.workload} -> {venue.name}: {e.via} => {', '.join(e.addresses) or '?'}" for e in paths)
    unknown = [e for e in paths if not e.known]
    if unknown:
        return [Finding("medium", "custody.allowlist-unproven", subject,
                        f"egress of {', '.join(e.workload for e in unknown)} to {venue.name} is not known",
                        "the allowlist cannot be proven equal to the egress addresses",
                        "declare the NAT gateway public_ips / Cloud NAT addresses in the estate", where, trace)]
    egress = {a for e in paths for a in e.addresses}
    listed = {str(a) for a in key.allowlist}
    out = []
    if egress - listed:
        out.append(Finding("high", "custody.allowlist-missing", subject,
                           f"{key.name} allowlist lacks {', '.join(sorted(egress - listed))}",
                           "the venue will reject requests leaving from these addresses",
                           "add them to the key's allowlist at the venue and in the estate", where, trace))
    if listed - egress:
        out.append(Finding("high", "custody.allowlist-extra", subject,
                           f"{key.name} allowlist has {', '.join(sorted(listed - egress))}, "
                           "which no user of the key egresses from",
                           "an allow-listed address the firm does not use may be someone else's",
                           "remove it from the allowlist", where, trace))
    if not out:
        passed.append(f"custody.allowlist {subject}")
    return out
