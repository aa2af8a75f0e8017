"""The landing-zone baseline: audit trail, Config, GuardDuty, public access, APIs, contacts, BFD, windows."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tradeplane.estate import Estate
from tradeplane.estate.hours import desk_hours, is_open
from tradeplane.terraform import Rendered
from tradeplane.terraform.maintenance import (
    MAX_EXCLUSIONS,
    REFERENCE_WEEKS,
    exclusion_problems,
    exclusions,
    weekly_window,
)

from .test_families import has


def test_org_trail_lands_in_an_object_locked_bucket_for_the_estates_retention(
        reference_estate: Estate, reference_rendered: Rendered) -> None:
    text = reference_rendered.files["aws/00-org-guardrails/audit_baseline.tf"]
    assert reference_estate.audit.retention_years == 7
    assert has(text, "mode", '"COMPLIANCE"') and has(text, "years", "7")
    assert has(text, "object_lock_enabled", "true") and has(text, "is_organization_trail", "true")
    assert has(text, "enable_log_file_validation", "true")
    # the bucket and its key are in the log-archive account; the trail in the management account
    bucket = text[text.index('resource "aws_s3_bucket" "audit"'):]
    assert "provider            = aws.aws_log_archive__us_east_1" in bucket.split("}")[0]
    trail = text[text.index('resource "aws_cloudtrail" "organisation"'):]
    assert "aws.management__us_east_1" in trail.split("}")[0]


def test_config_guardduty_and_public_access_block_cover_every_account(
        reference_estate: Estate, reference_rendered: Rendered) -> None:
    counts = reference_rendered.counts["aws"]["00-org-guardrails"]
    accounts = [a for ou in reference_estate.organisation.aws.ous for a in ou.accounts]  # type: ignore[union-attr]
    regions = {v.region for v in reference_estate.aws_vpcs} | {"us-east-1"}
    assert counts["aws_s3_account_public_access_block"] == len(accounts)
    assert counts["aws_config_configuration_recorder"] == len(accounts) * len(regions)
    assert counts["aws_guardduty_organization_configuration"] == len(regions)
    text = reference_rendered.files["aws/00-org-guardrails/audit_baseline.tf"]
    assert has(text, "auto_enable_organization_members", '"ALL"')


def test_every_gcp_project_enables_what_it_uses_and_has_contacts(reference_rendered: Rendered) -> None:
    services = reference_rendered.files["gcp/00-org-guardrails/project_services.tf"]
    assert 'service            = "container.googleapis.com"' in services
    contacts = reference_rendered.files["gcp/00-org-guardrails/essential_contacts.tf"]
    assert 'notification_category_subscriptions = ["LEGAL", "SECURITY", "SUSPENSION", "TECHNICAL"]' in contacts


def test_interconnect_bgp_peers_run_bfd(reference_rendered: Rendered) -> None:
    for path in ("gcp/10-networking/interconnect.tf", "gcp/10-networking/cross_cloud.tf"):
        text = reference_rendered.files[path]
        assert text.count('resource "google_compute_router_peer"') == text.count("  bfd {") > 0


def test_gke_maintenance_window_is_closed_for_every_venue_of_the_desk(reference_estate: Estate,
                                                                       reference_rendered: Rendered) -> None:
    text = reference_rendered.files["gcp/30-compute/gke.tf"]
    start = re.search(r'start_time = "([^"]+)"', text)
    end = re.search(r'end_time   = "([^"]+)"', text)
    assert start and end
    window = weekly_window(reference_estate, "futures")
    assert window is not None and window.start_time == start.group(1) and window.recurrence == "FREQ=WEEKLY;BYDAY=FR"
    # closed in winter and summer time, for every minute of the window, at every venue the desk uses
    for week in REFERENCE_WEEKS:
        t0 = week + timedelta(minutes=window.start_minute)
        for m in range(0, window.minutes, 15):
            for hours in desk_hours(reference_estate, "futures"):
                assert not is_open(hours, t0 + timedelta(minutes=m)), (week, m)
    assert window.minutes >= 4 * 60


def test_a_desk_that_never_closes_gets_no_window(reference_estate: Estate) -> None:
    assert weekly_window(reference_estate, "crypto") is None
    assert datetime(2025, 1, 13, tzinfo=UTC) == REFERENCE_WEEKS[0]


def test_trading_hosts_ignore_launch_template_edits(reference_rendered: Rendered) -> None:
    text = reference_rendered.files["aws/30-compute/instances.tf"]
    assert text.count('resource "aws_instance"') == text.count("ignore_changes = [launch_template]") > 0
    # GCP's equivalent: a new boot image (initialize_params.image forces a new VM)
    text = reference_rendered.files["gcp/30-compute/instances.tf"]
    assert (text.count('resource "google_compute_instance"')
            == text.count("ignore_changes = [boot_disk[0].initialize_params[0].image]") > 0)


def test_inputs_are_validated_and_secrets_sensitive(reference_rendered: Rendered) -> None:
    variables = reference_rendered.files["aws/10-networking/variables.tf"]
    block = variables[variables.index('variable "cross_cloud_bgp_md5_keys"'):]
    block = block[:block.index("\n}\n")]
    assert "sensitive   = true" in block and "validation {" in block
    shared = reference_rendered.files["aws/globals/variables.tf"]
    ids = shared[shared.index('variable "aws_account_ids"'):]
    assert 'can(regex("^[0-9]{12}$", v))' in ids[:ids.index("\n}\n")]


def test_gke_maintenance_exclusions_cover_the_venues_busy_periods(reference_estate: Estate,
                                                                   reference_rendered: Rendered) -> None:
    """One NO_UPGRADES exclusion per declared event of the desk's venues (CME's roll weeks), from
    midnight Chicago before the first day to midnight after the last (CST in December, CDT after
    the March switch), under the argument names the provider schema holds."""
    text = reference_rendered.files["gcp/30-compute/gke.tf"]
    found = re.findall(r'maintenance_exclusion \{\s+exclusion_name = "([^"]+)"\s+start_time\s+= "([^"]+)"\s+'
                       r'end_time\s+= "([^"]+)"\s+exclusion_options \{\s+scope = "([^"]+)"', text)
    assert found == [("cme-globex-roll-2026-12", "2026-12-10T06:00:00Z", "2026-12-19T06:00:00Z", "NO_UPGRADES"),
                     ("cme-globex-roll-2027-03", "2027-03-11T06:00:00Z", "2027-03-20T05:00:00Z", "NO_UPGRADES")]
    assert [x.name for x in exclusions(reference_estate, "futures")] == [f[0] for f in found]
    # the crypto desk's venues declare no events; a desk on no venue has none either
    assert exclusions(reference_estate, "crypto") == [] and exclusions(reference_estate, "platform") == []


def test_an_exclusion_gke_would_refuse_is_refused_naming_the_event(reference_estate: Estate) -> None:
    from tradeplane.errors import UnsupportedError
    from tradeplane.estate.model import MarketEvent
    from tradeplane.terraform import render

    cme = next(v for v in reference_estate.venues if v.name == "cme-globex")
    assert cme.hours is not None
    long = MarketEvent(name="quarter", start="2026-10-01", end="2026-12-31", reason="too long")
    hours = cme.hours.model_copy(update={"events": (*cme.hours.events, long)})
    venues = tuple(v.model_copy(update={"hours": hours}) if v is cme else v for v in reference_estate.venues)
    problems = exclusion_problems(exclusions(reference_estate.model_copy(update={"venues": venues}), "futures"))
    assert [(x.name, why) for x, why in problems] == [
        ("cme-globex-quarter", "lasts 92 days; a no-upgrades exclusion lasts at most 30")]
    with pytest.raises(UnsupportedError, match="maintenance exclusion cme-globex-quarter lasts 92 days"):
        render(reference_estate.model_copy(update={"venues": venues}))
    many = tuple(MarketEvent(name=f"e{i:02d}", start=f"2027-{1 + i // 4:02d}-{1 + 7 * (i % 4):02d}",
                             end=f"2027-{1 + i // 4:02d}-{1 + 7 * (i % 4):02d}") for i in range(21))
    assert len(many) == 21 > MAX_EXCLUSIONS
    hours = cme.hours.model_copy(update={"events": many})
    venues = tuple(v.model_copy(update={"hours": hours}) if v is cme else v for v in reference_estate.venues)
    problems = exclusion_problems(exclusions(reference_estate.model_copy(update={"venues": venues}), "futures"))
    assert [why for _, why in problems] == ["is exclusion 21 of 21; a cluster holds at most 20"]
