"""Initial schema: people, lines, rota, contacts, the response log, alerts, users.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 18:52:52.269297
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "event_chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_chain_head")),
    )
    op.create_table(
        "foster_households",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("carer_names", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_foster_households")),
        sa.UniqueConstraint("reference", name=op.f("uq_foster_households_reference")),
    )
    op.create_table(
        "known_callers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "agency IN ('police', 'hospital', 'other')", name=op.f("ck_known_callers_agency_valid")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_known_callers")),
    )
    op.create_table(
        "lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("twilio_number", sa.String(length=20), nullable=False),
        sa.Column("greeting", sa.Text(), nullable=False),
        sa.Column("offers_menu", sa.Boolean(), nullable=False),
        sa.Column("routing_policy", sa.String(length=40), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('police', 'hospital', 'foster')", name=op.f("ck_lines_kind_valid")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lines")),
        sa.UniqueConstraint("kind", name=op.f("uq_lines_kind")),
        sa.UniqueConstraint("twilio_number", name=op.f("uq_lines_twilio_number")),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("job_title", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("fte", sa.Double(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("tier IN ('worker', 'manager')", name=op.f("ck_people_tier_valid")),
        sa.CheckConstraint("fte >= 0 AND fte <= 1", name=op.f("ck_people_fte_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("code", name=op.f("uq_people_code")),
        sa.UniqueConstraint("phone", name=op.f("uq_people_phone")),
    )
    op.create_table(
        "reference_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_reference_counters")),
    )
    op.create_table(
        "rota_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rota_periods")),
        sa.UniqueConstraint("month", name=op.f("uq_rota_periods_month")),
    )
    op.create_table(
        "service_calendar",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("weekday_start", sa.Time(), nullable=False),
        sa.Column("weekday_end", sa.Time(), nullable=False),
        sa.Column("weekends_all_day", sa.Boolean(), nullable=False),
        sa.Column("bank_holidays_all_day", sa.Boolean(), nullable=False),
        sa.Column("day_desk_number", sa.String(length=20), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_calendar")),
    )
    op.create_table(
        "shift_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("day_type", sa.String(length=16), nullable=False),
        sa.Column("start_days", sa.JSON(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("end_day_offset", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Double(), nullable=False),
        sa.Column("required", sa.Integer(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("holidays_replace", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "day_type IN ('weekday', 'bank_holiday', 'christmas')",
            name=op.f("ck_shift_templates_day_type_valid"),
        ),
        sa.CheckConstraint(
            "tier IN ('worker', 'manager')", name=op.f("ck_shift_templates_tier_valid")
        ),
        sa.CheckConstraint(
            "end_day_offset >= 0", name=op.f("ck_shift_templates_offset_not_negative")
        ),
        sa.CheckConstraint("required >= 1", name=op.f("ck_shift_templates_required_positive")),
        sa.CheckConstraint("weight > 0", name=op.f("ck_shift_templates_weight_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_templates")),
    )
    op.create_table(
        "webhook_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("response_body", sa.Text(), nullable=False),
        sa.Column("content_type", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_receipts")),
        sa.UniqueConstraint("key", name=op.f("uq_webhook_receipts_key")),
    )
    with op.batch_alter_table("webhook_receipts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_receipts_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "balances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("load", sa.Double(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["rota_periods.id"],
            name=op.f("fk_balances_period_id_rota_periods"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_balances_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_balances")),
    )
    with op.batch_alter_table("balances", schema=None) as batch_op:
        batch_op.create_index("uq_balances_person_period", ["person_id", "period_id"], unique=True)

    op.create_table(
        "caller_numbers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=60), nullable=False),
        sa.Column("known_caller_id", sa.Integer(), nullable=True),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(known_caller_id IS NULL) <> (household_id IS NULL)",
            name=op.f("ck_caller_numbers_exactly_one_owner"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["foster_households.id"],
            name=op.f("fk_caller_numbers_household_id_foster_households"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["known_caller_id"],
            ["known_callers.id"],
            name=op.f("fk_caller_numbers_known_caller_id_known_callers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_caller_numbers")),
        sa.UniqueConstraint("number", name=op.f("uq_caller_numbers_number")),
    )
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("short_ref", sa.String(length=4), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("caller_type", sa.String(length=16), nullable=False),
        sa.Column("caller_number", sa.String(length=32), nullable=False),
        sa.Column("known_caller_id", sa.Integer(), nullable=True),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("provider_sid", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_rung_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_by_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("outcome_notes", sa.Text(), nullable=False),
        sa.Column("agencies_informed", sa.JSON(), nullable=False),
        sa.Column("case_reference", sa.String(length=40), nullable=False),
        sa.Column("day_team_follow_up", sa.Boolean(), nullable=False),
        sa.Column("recording_url", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "caller_type IN ('police', 'hospital', 'foster_carer', 'staff', 'unverified')",
            name=op.f("ck_contacts_caller_type_valid"),
        ),
        sa.CheckConstraint(
            "channel IN ('voice', 'sms', 'web')", name=op.f("ck_contacts_channel_valid")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'answered', 'missed', 'closed')",
            name=op.f("ck_contacts_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["handled_by_id"], ["people.id"], name=op.f("fk_contacts_handled_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["foster_households.id"],
            name=op.f("fk_contacts_household_id_foster_households"),
        ),
        sa.ForeignKeyConstraint(
            ["known_caller_id"],
            ["known_callers.id"],
            name=op.f("fk_contacts_known_caller_id_known_callers"),
        ),
        sa.ForeignKeyConstraint(["line_id"], ["lines.id"], name=op.f("fk_contacts_line_id_lines")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint("provider_sid", name=op.f("uq_contacts_provider_sid")),
        sa.UniqueConstraint("reference", name=op.f("uq_contacts_reference")),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index("ix_contacts_line_received", ["line_id", "received_at"], unique=False)
        batch_op.create_index("ix_contacts_received_at", ["received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_contacts_short_ref"), ["short_ref"], unique=False)

    op.create_table(
        "duty_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("replaces_person_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "tier IN ('worker', 'manager')", name=op.f("ck_duty_overrides_tier_valid")
        ),
        sa.CheckConstraint('"end" > start', name=op.f("ck_duty_overrides_end_after_start")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_duty_overrides_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["replaces_person_id"],
            ["people.id"],
            name=op.f("fk_duty_overrides_replaces_person_id_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_overrides")),
    )
    with op.batch_alter_table("duty_overrides", schema=None) as batch_op:
        batch_op.create_index("ix_duty_overrides_start_end", ["start", "end"], unique=False)

    op.create_table(
        "escalation_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=True),
        sa.Column("alert_kind", sa.String(length=20), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("repeat", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "alert_kind IN ('missed_call', 'voicemail', 'inbound_sms', 'advice_request', 'shift_unconfirmed', 'no_outcome')",
            name=op.f("ck_escalation_policies_alert_kind_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.id"], name=op.f("fk_escalation_policies_line_id_lines")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_policies")),
    )
    with op.batch_alter_table("escalation_policies", schema=None) as batch_op:
        batch_op.create_index(
            "uq_escalation_policies_line_kind", ["line_id", "alert_kind"], unique=True
        )

    op.create_table(
        "rota_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("weight", sa.Double(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('avoid', 'prefer')", name=op.f("ck_rota_requests_kind_valid")),
        sa.CheckConstraint('"end" > start', name=op.f("ck_rota_requests_end_after_start")),
        sa.CheckConstraint("weight > 0", name=op.f("ck_rota_requests_weight_positive")),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_rota_requests_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rota_requests")),
    )
    with op.batch_alter_table("rota_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rota_requests_person_id"), ["person_id"], unique=False)

    op.create_table(
        "rota_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("solver_status", sa.String(length=12), nullable=False),
        sa.Column("problem", sa.JSON(), nullable=False),
        sa.Column("solution", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(length=80), nullable=True),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'superseded', 'discarded')",
            name=op.f("ck_rota_versions_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["rota_versions.id"],
            name=op.f("fk_rota_versions_parent_id_rota_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["rota_periods.id"],
            name=op.f("fk_rota_versions_period_id_rota_periods"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rota_versions")),
        sa.UniqueConstraint("period_id", "number", name="uq_rota_versions_period_number"),
    )
    op.create_table(
        "unavailability",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reason IN ('annual_leave', 'sickness', 'training', 'other')",
            name=op.f("ck_unavailability_reason_valid"),
        ),
        sa.CheckConstraint('"end" > start', name=op.f("ck_unavailability_end_after_start")),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_unavailability_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unavailability")),
    )
    with op.batch_alter_table("unavailability", schema=None) as batch_op:
        batch_op.create_index(
            "ix_unavailability_person_start", ["person_id", "start"], unique=False
        )

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_users_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("person_id", name=op.f("uq_users_person_id")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=True),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("next_action_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('missed_call', 'voicemail', 'inbound_sms', 'advice_request', 'shift_unconfirmed', 'no_outcome')",
            name=op.f("ck_alerts_kind_valid"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'acknowledged', 'resolved', 'cancelled')",
            name=op.f("ck_alerts_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"], ["people.id"], name=op.f("fk_alerts_acknowledged_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_alerts_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["escalation_policies.id"],
            name=op.f("fk_alerts_policy_id_escalation_policies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index(
            "ix_alerts_status_next_action", ["status", "next_action_at"], unique=False
        )

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "call_legs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("result", sa.String(length=12), nullable=False),
        sa.Column("rung_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("talk_seconds", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "result IN ('ringing', 'accepted', 'declined', 'no_answer', 'busy', 'failed', 'cancelled')",
            name=op.f("ck_call_legs_result_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_call_legs_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_call_legs_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_legs")),
    )
    with op.batch_alter_table("call_legs", schema=None) as batch_op:
        batch_op.create_index(
            "uq_call_legs_contact_attempt", ["contact_id", "attempt"], unique=True
        )

    op.create_table(
        "events",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("actor_type", sa.String(length=8), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("details_digest", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "actor_type IN ('system', 'person', 'caller', 'user')",
            name=op.f("ck_events_actor_type_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_events_contact_id_contacts")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_events")),
        sa.UniqueConstraint("hash", name=op.f("uq_events_hash")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_contact_seq", ["contact_id", "seq"], unique=False)
        batch_op.create_index("ix_events_occurred_at", ["occurred_at"], unique=False)

    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_sid", sa.String(length=64), nullable=False),
        sa.Column("from_number", sa.String(length=32), nullable=False),
        sa.Column("to_number", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_inbound_messages_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_inbound_messages_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_messages")),
        sa.UniqueConstraint("provider_sid", name=op.f("uq_inbound_messages_provider_sid")),
    )
    op.create_table(
        "rota_shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("weight", sa.Double(), nullable=False),
        sa.Column("required", sa.Integer(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.CheckConstraint("tier IN ('worker', 'manager')", name=op.f("ck_rota_shifts_tier_valid")),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["rota_versions.id"],
            name=op.f("fk_rota_shifts_version_id_rota_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rota_shifts")),
        sa.UniqueConstraint("version_id", "key", name="uq_rota_shifts_version_key"),
    )
    with op.batch_alter_table("rota_shifts", schema=None) as batch_op:
        batch_op.create_index("ix_rota_shifts_version_start", ["version_id", "start"], unique=False)

    op.create_table(
        "user_roles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "role IN ('admin', 'coordinator', 'manager', 'worker')",
            name=op.f("ck_user_roles_role_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_roles_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "role", name=op.f("pk_user_roles")),
    )
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_assignments_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"],
            ["rota_shifts.id"],
            name=op.f("fk_assignments_shift_id_rota_shifts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
        sa.UniqueConstraint("shift_id", "person_id", name="uq_assignments_shift_person"),
    )
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignments_person_id"), ["person_id"], unique=False)

    op.create_table(
        "outbound_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=120), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("to_number", sa.String(length=20), nullable=False),
        sa.Column("from_number", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("provider_sid", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "channel IN ('voice', 'sms', 'web')", name=op.f("ck_outbound_messages_channel_valid")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'queued', 'sent', 'delivered', 'undelivered', 'failed', 'ringing', 'in-progress', 'completed', 'no-answer', 'busy')",
            name=op.f("ck_outbound_messages_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_outbound_messages_alert_id_alerts")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_outbound_messages_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_outbound_messages_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_messages")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbound_messages_dedupe_key")),
        sa.UniqueConstraint("provider_sid", name=op.f("uq_outbound_messages_provider_sid")),
    )
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbound_messages_alert_id"), ["alert_id"], unique=False
        )
        batch_op.create_index(
            "ix_outbound_messages_status_next", ["status", "next_attempt_at"], unique=False
        )
    _create_append_only_guard()


def downgrade() -> None:
    _drop_append_only_guard()

    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbound_messages_status_next")
        batch_op.drop_index(batch_op.f("ix_outbound_messages_alert_id"))

    op.drop_table("outbound_messages")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignments_person_id"))

    op.drop_table("assignments")
    op.drop_table("user_roles")
    with op.batch_alter_table("rota_shifts", schema=None) as batch_op:
        batch_op.drop_index("ix_rota_shifts_version_start")

    op.drop_table("rota_shifts")
    op.drop_table("inbound_messages")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_occurred_at")
        batch_op.drop_index("ix_events_contact_seq")

    op.drop_table("events")
    with op.batch_alter_table("call_legs", schema=None) as batch_op:
        batch_op.drop_index("uq_call_legs_contact_attempt")

    op.drop_table("call_legs")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_status_next_action")
        batch_op.drop_index(batch_op.f("ix_alerts_contact_id"))

    op.drop_table("alerts")
    op.drop_table("users")
    with op.batch_alter_table("unavailability", schema=None) as batch_op:
        batch_op.drop_index("ix_unavailability_person_start")

    op.drop_table("unavailability")
    op.drop_table("rota_versions")
    with op.batch_alter_table("rota_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rota_requests_person_id"))

    op.drop_table("rota_requests")
    with op.batch_alter_table("escalation_policies", schema=None) as batch_op:
        batch_op.drop_index("uq_escalation_policies_line_kind")

    op.drop_table("escalation_policies")
    with op.batch_alter_table("duty_overrides", schema=None) as batch_op:
        batch_op.drop_index("ix_duty_overrides_start_end")

    op.drop_table("duty_overrides")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contacts_short_ref"))
        batch_op.drop_index("ix_contacts_received_at")
        batch_op.drop_index("ix_contacts_line_received")

    op.drop_table("contacts")
    op.drop_table("caller_numbers")
    with op.batch_alter_table("balances", schema=None) as batch_op:
        batch_op.drop_index("uq_balances_person_period")

    op.drop_table("balances")
    with op.batch_alter_table("webhook_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_receipts_created_at"))

    op.drop_table("webhook_receipts")
    op.drop_table("shift_templates")
    op.drop_table("service_calendar")
    op.drop_table("rota_periods")
    op.drop_table("reference_counters")
    op.drop_table("people")
    op.drop_table("lines")
    op.drop_table("known_callers")
    op.drop_table("foster_households")
    op.drop_table("event_chain_head")


# The response log is append-only: the database itself refuses UPDATE and DELETE on events, except
# a redaction that blanks `details` (to {"redacted": ...}) and leaves every chained column alone.
_PG_GUARD = [
    """CREATE FUNCTION events_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE'
     AND NEW.seq = OLD.seq AND NEW.occurred_at = OLD.occurred_at
     AND NEW.contact_id IS NOT DISTINCT FROM OLD.contact_id
     AND NEW.kind = OLD.kind AND NEW.actor_type = OLD.actor_type AND NEW.actor = OLD.actor
     AND NEW.details_digest = OLD.details_digest AND NEW.prev_hash = OLD.prev_hash
     AND NEW.hash = OLD.hash AND (NEW.details::jsonb ? 'redacted') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'events are append-only: % refused', TG_OP;
END
$$ LANGUAGE plpgsql""",
    """CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION events_append_only()""",
    """CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION events_append_only()""",
]

_SQLITE_GUARD = [
    """CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE refused'); END""",
    """CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    WHEN NEW.seq IS NOT OLD.seq OR NEW.occurred_at IS NOT OLD.occurred_at
      OR NEW.contact_id IS NOT OLD.contact_id OR NEW.kind IS NOT OLD.kind
      OR NEW.actor_type IS NOT OLD.actor_type OR NEW.actor IS NOT OLD.actor
      OR NEW.details_digest IS NOT OLD.details_digest OR NEW.prev_hash IS NOT OLD.prev_hash
      OR NEW.hash IS NOT OLD.hash OR json_extract(NEW.details, '$.redacted') IS NULL
    BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE refused'); END""",
]


def _create_append_only_guard() -> None:
    guard = _PG_GUARD if op.get_bind().dialect.name == "postgresql" else _SQLITE_GUARD
    for statement in guard:
        op.execute(statement)


def _drop_append_only_guard() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER events_no_truncate ON events")
        op.execute("DROP TRIGGER events_append_only ON events")
        op.execute("DROP FUNCTION events_append_only()")
    else:
        op.execute("DROP TRIGGER events_no_update")
        op.execute("DROP TRIGGER events_no_delete")
