"""Application Signals SLOs and CloudWatch burn-rate alarms compiled by ``tradeplane.observe``."""

from __future__ import annotations

from tradeplane.terraform.registry import family
from tradeplane.terraform.slos import emit_aws
from tradeplane.terraform.stages import Stage

emit = family("slos", cloud="aws", stage=Stage.OBSERVABILITY)(emit_aws)
