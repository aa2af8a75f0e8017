"""incidents, alerts and the hash-chained timeline

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("group_key", sa.String(300), nullable=False),
        sa.Column("title", sa.String(1000), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("desk", sa.String(63)),
        sa.Column("team", sa.String(63)),
        sa.Column("venue", sa.String(63)),
        sa.Column("link", sa.String(200)),
        sa.Column("workload", sa.String(63)),
        sa.Column("network", sa.String(63)),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.String(32), nullable=False),
        sa.Column("acknowledged_at", sa.String(32)),
        sa.Column("mitigated_at", sa.String(32)),
        sa.Column("resolved_at", sa.String(32)),
        sa.Column("last_alert_at", sa.String(32), nullable=False),
        sa.Column("escalation_step", sa.Integer(), nullable=False),
        sa.Column("next_escalation_at", sa.String(32)),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_incidents"),
    )
    for col in ("group_key", "status", "desk", "opened_at", "next_escalation_at"):
        op.create_index(f"ix_incidents_{col}", "incidents", [col])
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("fingerprint", sa.String(128), nullable=False),
        sa.Column("starts_at", sa.String(32), nullable=False),
        sa.Column("ends_at", sa.String(32)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id", name="fk_alerts_incident_id")),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("labels", sa.Text(), nullable=False),
        sa.Column("annotations", sa.Text(), nullable=False),
        sa.Column("generator_url", sa.Text(), nullable=False),
        sa.Column("first_received_at", sa.String(32), nullable=False),
        sa.Column("last_received_at", sa.String(32), nullable=False),
        sa.Column("receipts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.UniqueConstraint("fingerprint", "starts_at", name="uq_alerts_fingerprint_starts_at"),
    )
    op.create_index("ix_alerts_fingerprint", "alerts", ["fingerprint"])
    op.create_index("ix_alerts_incident_id", "alerts", ["incident_id"])
    op.create_table(
        "timeline",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id", name="fk_timeline_incident_id"),
                  nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_timeline"),
        sa.UniqueConstraint("incident_id", "seq", name="uq_timeline_incident_id_seq"),
    )
    op.create_index("ix_timeline_incident_id", "timeline", ["incident_id"])


def downgrade() -> None:
    op.drop_table("timeline")
    op.drop_table("alerts")
    op.drop_table("incidents")
