"""GCP exports -> Estate: ``gcloud ... --format=json`` as the CLI prints it.

One module per export family:

- ``core``: networks (and their peerings), subnets, routes, VPC firewall rules, instances (of the
  host project and of Shared VPC service projects), Cloud NAT on Cloud Routers;
- ``hybrid``: Cloud Router status (learned routes), Interconnect attachments, HA VPN gateways and
  tunnels;
- ``policies``: hierarchical and network firewall policies, project ancestry;
- ``services``: forwarding rules (Private Service Connect endpoints; load balancers are noted).

Everything is keyed by the cloud's identity (self links: project, region, name). Anything malformed,
unknown or dangling raises ``InputError`` naming the file, line, object and field; anything valid the
model cannot express is listed in the result's notes, never dropped silently.
"""

from __future__ import annotations

from tradeplane.inventory.gcp.core import GCP_FILES, import_gcp

__all__ = ["GCP_FILES", "import_gcp"]
