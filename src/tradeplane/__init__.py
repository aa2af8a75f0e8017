"""tradeplane: the infrastructure control plane of a multi-cloud trading firm.

One declarative estate (``tradeplane.estate``) drives Terraform, network
verification, placement, observability, FinOps and the migration plan; the
feed gateway, incidents and the console are runtimes configured from it.
"""

__version__ = "0.1.0"
