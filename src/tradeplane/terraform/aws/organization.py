"""AWS Organizations: the OUs of the estate and its accounts adopted (imported) into them."""

from __future__ import annotations

from tradeplane.terraform.context import Context
from tradeplane.terraform.hcl import Block, Expr
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "organization"


def ou_id(name: str) -> Expr:
    return Expr("data.aws_organizations_organization.this.roots[0].id") if name == "root" else Expr(
        f"aws_organizations_organizational_unit.{ident(name)}.id")


@family("organization", cloud="aws", stage=Stage.ORG)
def emit(ctx: Context) -> None:
    """OUs under the root (or their parent OU) and the accounts placed in them."""
    org = ctx.estate.organisation.aws
    if org is None:
        return
    mod = ctx.module("aws", Stage.ORG)
    p = mod.aws_provider("management", "us-east-1")
    mod.data(F, "aws_organizations_organization", "this", provider=p)
    emails = mod.var("account_emails", "map(string)", "root e-mail address of each AWS account, by estate name")
    for ou in sorted(org.ous, key=lambda o: o.name):
        mod.resource(F, "aws_organizations_organizational_unit", ident(ou.name), provider=p, name=ou.name,
                     parent_id=ou_id(ou.parent or "root"), tags=ctx.aws_tags(ou.name, None, env="shared"))
        for a in sorted(ou.accounts, key=lambda a: a.name):
            acct = mod.resource(F, "aws_organizations_account", ident(a.name), provider=p, name=a.name,
                                email=Expr(f'{emails}["{a.name}"]'), parent_id=ou_id(ou.name),
                                close_on_deletion=False, tags=ctx.aws_tags(a.name, a.desk, env=a.env))
            acct.blocks.append(Block("lifecycle").set(prevent_destroy=True, ignore_changes=[Expr("role_name")]))
            # Existing accounts are adopted, never created anew.
            mod.files[F].append(Block("import").set(to=Expr(f"aws_organizations_account.{ident(a.name)}"),
                                                    id=ctx.account_id(mod, a.name)))
