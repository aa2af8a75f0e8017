"""Who can read what, from the rendered Terraform (the IAM as it will be applied, not as assumed).

Input: the blocks the renderer wrote (``Rendered.blocks``: path -> blocks, each with
``type``, ``labels`` and ``body()`` in Terraform's JSON configuration syntax), read by
``resources_of_blocks`` without parsing anything; this is what the composer hands in.
``parse_resources(files)`` reads the same resources from HCL text (python-hcl2) for Terraform
that was not rendered in this process (hand-written fixtures, a directory on disk); a test
proves both readings agree on the reference estate.

AWS: ``aws_iam_role`` (its trust policy says whose it is: an EC2 service principal is a
workload's instance role, anything else a human or federated role), inline
``aws_iam_role_policy`` and ``aws_iam_policy`` + ``aws_iam_role_policy_attachment``, and
``data "aws_iam_policy_document"`` statements. GCP: ``google_secret_manager_secret_iam_*`` and
project-level ``google_project_iam_*`` bindings (``roles/secretmanager.secretAccessor``,
``roles/secretmanager.admin``, ``roles/owner``, ``roles/editor``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Protocol

__all__ = ["Principal", "Resource", "Statement", "WrittenBlock", "parse_resources", "read_principals",
           "resources_of_blocks"]

_INTERESTING = ("aws_iam", "aws_secretsmanager", "google_secret_manager", "secretmanager", "google_project_iam",
                "aws_shield", "aws_wafv2", "google_compute_security_policy", "aws_kms", "google_kms")
_REF = re.compile(r"\$\{([^}]*)\}")
SECRET_READERS_GCP = ("roles/secretmanager.secretAccessor", "roles/secretmanager.admin", "roles/owner",
                      "roles/editor")


def _unquote(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    if isinstance(value, dict):
        return {_unquote(k): _unquote(v) for k, v in value.items() if k not in ("__is_block__", "__comments__")}
    return value


@dataclass(frozen=True)
class Resource:
    """One rendered resource or data block: ``kind`` is ``resource`` or ``data``."""

    kind: str
    type: str
    name: str
    body: Mapping[str, Any]
    file: str

    @property
    def address(self) -> str:
        return f"{'data.' if self.kind == 'data' else ''}{self.type}.{self.name}"

    def text(self, key: str) -> str:
        value = self.body.get(key)
        return value if isinstance(value, str) else ""


_TYPE_NAMES = (r"aws_iam_[a-z_]+|aws_secretsmanager_[a-z_]+|google_secret_manager_[a-z_]+|google_project_iam_[a-z_]+"
               r"|aws_shield_protection|aws_wafv2_web_acl[a-z_]*|google_compute_security_policy")
_TYPE_NAME = re.compile(_TYPE_NAMES)
_TYPES = re.compile(rf'^(resource|data) "({_TYPE_NAMES})" "[^"]+" \{{$', re.M)


_PRINCIPAL_TYPES = ("aws_iam_role", "aws_iam_policy", "aws_secretsmanager_secret")


def _relevant_blocks(text: str) -> Iterator[str]:
    """The top-level blocks of the types this package reads, cut from ``terraform fmt``-style text
    (a block opens at column 0 and closes with ``}`` alone at column 0), so python-hcl2 parses only
    those and not a stage's hundreds of instances."""
    principals = any(f'resource "{t}"' in text for t in _PRINCIPAL_TYPES)
    for match in _TYPES.finditer(text):
        if match.group(2) == "aws_iam_policy_document" and not principals:
            continue  # SCPs, key and topic policies: documents no role of this file holds
        end = text.find("\n}\n", match.start())
        yield text[match.start(): len(text) if end < 0 else end + 3]


class WrittenBlock(Protocol):
    """A top-level block as the renderer wrote it (``tradeplane.terraform.hcl.HclBlock``)."""

    @property
    def type(self) -> str: ...
    @property
    def labels(self) -> tuple[str, ...]: ...
    def body(self) -> dict[str, Any]: ...


def resources_of_blocks(files: Mapping[str, Sequence[WrittenBlock]]) -> list[Resource]:
    """Every IAM, secret and perimeter resource or data block of the rendered structure (path ->
    blocks), sorted by address: the same resources ``parse_resources`` reads from the text."""
    out: list[Resource] = []
    for path, blocks in sorted(files.items()):
        if not path.endswith(".tf"):
            continue
        principals = any(b.type == "resource" and b.labels and b.labels[0].startswith(_PRINCIPAL_TYPES) for b in blocks)
        for b in blocks:
            if b.type not in ("resource", "data") or len(b.labels) != 2 or not _TYPE_NAME.fullmatch(b.labels[0]):
                continue
            if b.labels[0] == "aws_iam_policy_document" and not principals:
                continue  # as in the text reading: documents no role of this file holds
            out.append(Resource(b.type, b.labels[0], b.labels[1], b.body(), path))
    return sorted(out, key=lambda r: (r.address, r.file))


def parse_resources(files: Mapping[str, str]) -> list[Resource]:
    """Every IAM, secret and perimeter resource or data block of the rendered files, sorted by address."""
    import hcl2

    out: list[Resource] = []
    for path, text in sorted(files.items()):
        if not path.endswith(".tf") or not any(word in text for word in _INTERESTING):
            continue
        chunk = "\n".join(_relevant_blocks(text))
        if not chunk:
            continue
        doc = hcl2.loads(chunk)
        for kind in ("resource", "data"):
            for group in doc.get(kind, []):
                for type_, named in group.items():
                    for name, body in named.items():
                        out.append(Resource(kind, _unquote(type_), _unquote(name), _unquote(body), path))
    return sorted(out, key=lambda r: (r.address, r.file))


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]

    def allows(self, action: str, resource: str) -> bool:
        """Whether this statement allows ``action`` on ``resource``. The rendered ARN's region and
        account are often literals or variables, so an ARN is matched service part (anything of the
        same service) and resource part (glob) apart: ``arn:aws:SERVICE:*:*:KIND:NAME``."""
        if self.effect != "Allow":
            return False
        acts = any(fnmatchcase(action.lower(), a.lower()) for a in self.actions)
        return acts and any(_arn_matches(_pattern(r), resource) for r in self.resources)


def _arn_matches(pattern: str, arn: str) -> bool:
    parts, wanted = pattern.split(":", 5), arn.split(":", 5)
    if len(parts) == 6 and len(wanted) == 6 and parts[:3] == wanted[:3]:
        return fnmatchcase(wanted[5], parts[5])  # same partition and service; any region and account
    return fnmatchcase(arn, pattern)


def _pattern(resource: str) -> str:
    """A rendered ARN pattern: interpolations become wildcards (the account is a variable)."""
    return _REF.sub("*", resource)


@dataclass
class Principal:
    """A role or member that can hold permissions; ``kind`` is ``instance``, ``human`` or ``gcp``."""

    address: str
    name: str
    kind: str
    workload: str | None
    desk: str | None
    statements: list[Statement] = field(default_factory=list)
    gcp_roles: list[tuple[str, str]] = field(default_factory=list)  # (role, scope: secret address or project)


def _doc_statements(doc: Resource) -> list[Statement]:
    out = []
    for st in doc.body.get("statement", []):
        out.append(Statement(str(st.get("effect", "Allow")), tuple(st.get("actions", ())),
                             tuple(st.get("resources", ()))))
    return out


def _referenced(expr: str, docs: Mapping[str, Resource]) -> Resource | None:
    for ref in _REF.findall(expr or ""):
        parts = ref.split(".")
        if parts[:2] == ["data", "aws_iam_policy_document"] and len(parts) >= 3:
            return docs.get(parts[2])
    return None


def _trust_kind(doc: Resource | None) -> str:
    if doc is None:
        return "human"
    for st in doc.body.get("statement", []):
        for p in st.get("principals", []):
            ids = p.get("identifiers", [])
            if p.get("type") == "Service" and any("ec2.amazonaws.com" in str(i) for i in ids):
                return "instance"
    return "human"


def read_principals(resources: Iterable[Resource]) -> list[Principal]:
    """Every AWS role and GCP member with the statements or roles it holds, sorted by address."""
    items = list(resources)
    docs = {r.name: r for r in items if r.kind == "data" and r.type == "aws_iam_policy_document"}
    policies = {r.name: r for r in items if r.kind == "resource" and r.type == "aws_iam_policy"}
    roles: dict[str, Principal] = {}
    for r in items:
        if r.kind == "resource" and r.type == "aws_iam_role":
            tags = r.body.get("tags") or {}
            kind = _trust_kind(_referenced(r.text("assume_role_policy"), docs))
            roles[r.name] = Principal(r.address, r.text("name") or r.name, kind,
                                      str(tags.get("Name")) if kind == "instance" and tags.get("Name") else None,
                                      str(tags["desk"]) if tags.get("desk") else None)
    for r in items:
        if r.kind != "resource":
            continue
        if r.type == "aws_iam_role_policy":
            role = _role_of(r.text("role"), roles)
            doc = _referenced(r.text("policy"), docs)
            if role is not None and doc is not None:
                role.statements.extend(_doc_statements(doc))
        elif r.type == "aws_iam_role_policy_attachment":
            role = _role_of(r.text("role"), roles)
            arn = r.text("policy_arn")
            match = re.search(r"aws_iam_policy\.([A-Za-z0-9_-]+)", arn)
            if role is not None and match and match.group(1) in policies:
                doc = _referenced(policies[match.group(1)].text("policy"), docs)
                if doc is not None:
                    role.statements.extend(_doc_statements(doc))
            elif role is not None and arn.endswith((":policy/AdministratorAccess", ":policy/SecretsManagerReadWrite")):
                role.statements.append(Statement("Allow", ("*",), ("*",)))
    members: dict[str, Principal] = {}
    for r in items:
        if r.kind != "resource" or not (r.type.startswith("google_secret_manager_secret_iam")
                                        or r.type.startswith("google_project_iam")):
            continue
        granted = r.text("role")
        if granted not in SECRET_READERS_GCP:
            continue
        scope = r.text("secret_id") or f"project:{r.text('project')}"
        for member in [r.text("member"), *r.body.get("members", [])]:
            if member:
                principal = members.setdefault(member, Principal(member, member, "gcp", None, None))
                principal.gcp_roles.append((granted, scope))
    return sorted([*roles.values(), *members.values()], key=lambda p: p.address)


def _role_of(expr: str, roles: Mapping[str, Principal]) -> Principal | None:
    for ref in _REF.findall(expr or ""):
        parts = ref.split(".")
        if parts[:1] == ["aws_iam_role"] and len(parts) >= 2:
            return roles.get(parts[1])
    for role in roles.values():  # a literal role name
        if role.name == expr:
            return role
    return None
