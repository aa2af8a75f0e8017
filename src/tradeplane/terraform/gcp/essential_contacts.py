"""Essential Contacts: who Google tells about security, technical, legal and suspension notices.

The organisation's contact is the owner of the ``platform`` desk (or the ``platform_contact_email``
input when the estate has no such desk); each project a desk owns also notifies that desk's owner.
"""

from __future__ import annotations

from tradeplane.terraform.context import Context
from tradeplane.terraform.hcl import Expr
from tradeplane.terraform.module import interp
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "essential_contacts"
ORG_CATEGORIES = ["LEGAL", "SECURITY", "SUSPENSION", "TECHNICAL"]


@family("essential_contacts", cloud="gcp", stage=Stage.ORG)
def emit(ctx: Context) -> None:
    """The platform owner for the organisation's notices; each desk's owner for its projects'."""
    gcp = ctx.estate.organisation.gcp
    if gcp is None:
        return
    mod = ctx.module("gcp", Stage.ORG)
    platform = ctx.desks.get("platform")
    email: str | Expr = platform.owner if platform else mod.var(
        "platform_contact_email", "string", "who receives the organisation's security and technical notices")
    org = ctx.org_id(mod)
    mod.resource(F, "google_essential_contacts_contact", "organisation", parent=interp(f"organizations/${{{org}}}"),
                 email=email, language_tag="en", notification_category_subscriptions=ORG_CATEGORIES)
    for p in sorted(ctx.projects.values(), key=lambda p: p.name):
        desk = ctx.desks.get(p.desk or "")
        if desk is None:
            continue
        mod.resource(F, "google_essential_contacts_contact", ident(p.name),
                     parent=interp(f"projects/${{google_project.{ident(p.name)}.project_id}}"), email=desk.owner,
                     language_tag="en", notification_category_subscriptions=["ALL"])
