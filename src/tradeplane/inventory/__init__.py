"""Real cloud exports -> Estate, so the same questions run on what is really deployed.

``import_aws(DIR)`` reads ``aws ec2 describe-*`` JSON; ``import_gcp(DIR)`` reads
``gcloud compute ... list --format=json``. Both return an ``ImportResult``
(the estate, plus notes on anything the model cannot express). Bad exports raise
``InputError`` naming the file, line and object id.
"""

from tradeplane.inventory.aws import AWS_FILES, import_aws
from tradeplane.inventory.exports import ImportResult
from tradeplane.inventory.gcp import GCP_FILES, import_gcp
from tradeplane.inventory.policy import with_policy
from tradeplane.inventory.source import load_any, load_with_notes, refuse_skipped

__all__ = ["AWS_FILES", "GCP_FILES", "ImportResult", "import_aws", "import_gcp", "load_any", "load_with_notes", "refuse_skipped", "with_policy"]
