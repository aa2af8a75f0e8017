"""Cloud Monitoring SLOs and burn-rate alert policies compiled by ``tradeplane.observe``."""

from __future__ import annotations

from tradeplane.terraform.registry import family
from tradeplane.terraform.slos import emit_gcp
from tradeplane.terraform.stages import Stage

emit = family("slos", cloud="gcp", stage=Stage.OBSERVABILITY)(emit_gcp)
