"""Helpers shared by the AWS families (private to this package)."""

from __future__ import annotations

from collections.abc import Sequence

from tradeplane.estate.model import AwsVpc, Protocol, TransitGateway
from tradeplane.terraform.context import Context
from tradeplane.terraform.hcl import Block, Expr
from tradeplane.terraform.module import RootModule
from tradeplane.terraform.names import ident

PROTOCOL_NAMES = {Protocol.TCP: "tcp", Protocol.UDP: "udp", Protocol.ICMP: "icmp", Protocol.ALL: "-1"}
PROTOCOL_NUMBERS = {Protocol.TCP: "6", Protocol.UDP: "17", Protocol.ICMP: "1", Protocol.ALL: "-1"}


def vpcs(ctx: Context) -> list[AwsVpc]:
    return sorted(ctx.estate.aws_vpcs, key=lambda v: v.name)


def tgws(ctx: Context) -> list[TransitGateway]:
    return sorted(ctx.estate.links_of(TransitGateway), key=lambda t: t.name)


def tgw(ctx: Context, name: str) -> TransitGateway:
    return next(t for t in tgws(ctx) if t.name == name)


def provider(mod: RootModule, vpc: AwsVpc) -> Expr:
    return mod.aws_provider(vpc.account, vpc.region)


def ref(type_: str, *names: str, attr: str = "id") -> Expr:
    return Expr(f"{type_}.{ident(*names)}.{attr}")


KEY_ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion", "kms:Create*", "kms:Delete*", "kms:Describe*", "kms:Disable*", "kms:Enable*",
    "kms:Get*", "kms:List*", "kms:Put*", "kms:Revoke*", "kms:ScheduleKeyDeletion", "kms:TagResource",
    "kms:UntagResource", "kms:Update*",
)
KEY_POLICY_SKIPS = tuple(
    (check, "a key policy: Resource '*' is this key only, administered by its own account")
    for check in ("CKV_AWS_109", "CKV_AWS_111", "CKV_AWS_356"))


def policy_document(mod: RootModule, file: str, name: str, provider_: Expr,
                    statements: Sequence[dict[str, object]], skips: Sequence[tuple[str, str]] = ()) -> Expr:
    """A ``data "aws_iam_policy_document"``; each statement dict may hold sid, effect, actions,
    not_actions, resources, principals [(type, ids)], conditions [(test, variable, values)]."""
    doc = mod.data(file, "aws_iam_policy_document", name, provider=provider_)
    for check, reason in skips:
        doc.skip(check, reason)
    for st in statements:
        b: Block = doc.block("statement")
        b.set(sid=st.get("sid"), effect=st.get("effect", "Allow"))  # type: ignore[arg-type]
        for key in ("actions", "not_actions", "resources"):
            if st.get(key):
                b.set(**{key: list(st[key])})  # type: ignore[call-overload]
        for ptype, ids in st.get("principals", ()):  # type: ignore[attr-defined]
            b.block("principals", type=ptype, identifiers=list(ids))
        for test, variable, values in st.get("conditions", ()):  # type: ignore[attr-defined]
            b.block("condition", test=test, variable=variable,
                    values=values if isinstance(values, Expr) else list(values))
    return Expr(f"data.aws_iam_policy_document.{name}.json")
