"""Migration of the colocation into GCP: safe waves, continuity proven at every step, parallel run.

- ``plan(estate) -> MigrationPlan``: move units (cycles, move-groups, budgets that cannot cross the
  Interconnect), waves in dependency order, each intermediate estate proven with net verify,
  placement, latency across the Interconnect, link capacity and cost, Terraform diffed per wave,
  and a cutover window per wave from the venue's hours.
- ``compare(left, right, criteria)``: two recordings of the same feed, event by event (Parquet
  recordings of ``tradeplane feeds`` or CME MDP 3.0 pcap/pcapng), with a verdict.
- ``runbook(plan, wave)``: the cutover and rollback runbooks of a wave, in markdown.
- ``after_wave(estate, plan, wave)``: the estate once the wave is done and its zones, for its Terraform.
- ``load_state``/``advance``/``status``: which waves are done, in a state file beside the estate.
"""

from tradeplane.migrate.compare import Comparison, Side, compare
from tradeplane.migrate.crossing import Crossing, crossing_rtt
from tradeplane.migrate.plan import WAVE_CHECKS, MigrationPlan, WavePlan, after_wave, plan
from tradeplane.migrate.proof import CheckResult, CrossingBudget, StageProof, prove
from tradeplane.migrate.recordings import open_recording, same_recording
from tradeplane.migrate.runbook import cutover_runbook, rollback_runbook
from tradeplane.migrate.stage import stage
from tradeplane.migrate.state import (
    State,
    WaveRecord,
    WaveStatus,
    advance,
    load_state,
    save_state,
    state_path,
    status,
)
from tradeplane.migrate.tfdiff import ResourceDiff
from tradeplane.migrate.units import Blocked, Unit
from tradeplane.migrate.waves import Wave
from tradeplane.migrate.windows import MAX_WAIT_DAYS, Blackout, Slot, Window

__all__ = [
    "MAX_WAIT_DAYS",
    "WAVE_CHECKS",
    "Blackout",
    "Blocked",
    "CheckResult",
    "Comparison",
    "Crossing",
    "CrossingBudget",
    "MigrationPlan",
    "ResourceDiff",
    "Side",
    "Slot",
    "StageProof",
    "State",
    "Unit",
    "Wave",
    "WavePlan",
    "WaveRecord",
    "WaveStatus",
    "Window",
    "advance",
    "after_wave",
    "compare",
    "crossing_rtt",
    "cutover_runbook",
    "load_state",
    "open_recording",
    "plan",
    "prove",
    "rollback_runbook",
    "same_recording",
    "save_state",
    "stage",
    "state_path",
    "status",
]
