"""FinOps: cost by desk and team from FOCUS billing data, anomalies, commitments, estimates.

Entry points:

* ``estimate(estate) -> Estimate`` and ``diff(old, new) -> EstimateDiff``: what the estate costs a
  month from the shipped price table, and what a change costs, resource by resource.
* ``open_session(estate, files)`` then ``build_report``, ``find_anomalies``, ``commitment_report``,
  ``rightsizing_hints``, ``render_html``: reports over FOCUS exports (DuckDB, streaming).
* ``generate(estate, out, end=...)``: deterministic synthetic FOCUS data for demos and tests.
* ``warehouse_sql(estate, rules, dialect)``: the allocation for BigQuery or Athena.
"""

from tradeplane.finops.allocation import allocate, allocation_sql
from tradeplane.finops.allocation_rules import AllocationRules, SharedRule, default_rules, load_rules
from tradeplane.finops.anomalies import Anomaly, AnomalySettings, Driver, find_anomalies
from tradeplane.finops.billing_db import BillingDbConfig
from tradeplane.finops.commitments import CommitmentReport, CommitmentUse, Coverage, commitment_report
from tradeplane.finops.currency import CurrencyView, Rates, load_rates, money
from tradeplane.finops.estimate import (
    Assumptions,
    Estimate,
    EstimateChange,
    EstimateDiff,
    EstimateLine,
    diff,
    estimate,
    load_assumptions,
)
from tradeplane.finops.focus import (
    FOCUS_VERSION,
    FOCUS_VERSIONS,
    MANDATORY_COLUMNS,
    Billing,
    FocusFile,
    open_billing,
)
from tradeplane.finops.generate import GenerateResult, InjectedAnomaly, generate
from tradeplane.finops.html import chart_fragments, estimate_chart, render_html
from tradeplane.finops.report import (
    BudgetLine,
    Correction,
    CostReport,
    Period,
    TagKeyMatch,
    build_report,
    default_period,
    export_allocation,
)
from tradeplane.finops.rightsizing import (
    UTILISATION_COLUMNS,
    RightsizingHint,
    rightsizing_hints,
    savings_by_currency,
)
from tradeplane.finops.session import CostSession, open_session
from tradeplane.finops.sql import DIALECTS, warehouse_sql

__all__ = [
    "DIALECTS",
    "FOCUS_VERSION",
    "FOCUS_VERSIONS",
    "MANDATORY_COLUMNS",
    "UTILISATION_COLUMNS",
    "AllocationRules",
    "Anomaly",
    "AnomalySettings",
    "Assumptions",
    "Billing",
    "BillingDbConfig",
    "BudgetLine",
    "CommitmentReport",
    "CommitmentUse",
    "Correction",
    "CostReport",
    "CostSession",
    "Coverage",
    "CurrencyView",
    "Driver",
    "Estimate",
    "EstimateChange",
    "EstimateDiff",
    "EstimateLine",
    "FocusFile",
    "GenerateResult",
    "InjectedAnomaly",
    "Period",
    "Rates",
    "RightsizingHint",
    "SharedRule",
    "TagKeyMatch",
    "allocate",
    "allocation_sql",
    "build_report",
    "chart_fragments",
    "commitment_report",
    "default_period",
    "default_rules",
    "diff",
    "estimate",
    "estimate_chart",
    "export_allocation",
    "find_anomalies",
    "generate",
    "load_assumptions",
    "load_rates",
    "load_rules",
    "money",
    "open_billing",
    "open_session",
    "render_html",
    "rightsizing_hints",
    "savings_by_currency",
    "warehouse_sql",
]
