"""tradeplane.feeds: redundant WebSocket market-data feeds with arbitration, validated books and health.

Layout: ``venues/`` (one module per venue: client protocol + simulator protocol), ``arbiter``
(first copy wins across legs, gaps), ``book`` (L2 book on integer ticks), ``stream``
(arbitration + book sync + validation per stream), ``health`` (states, stale bound),
``gateway`` (the asyncio runtime), ``sinks/`` (bus, Parquet, NATS JetStream), ``sim/``
(the venue simulator), ``metrics`` / ``endpoint`` (Prometheus, /status), ``config``, ``plan``.
"""

from tradeplane.feeds.arbiter import Arbiter
from tradeplane.feeds.book import OrderBook
from tradeplane.feeds.config import FeedsConfig, load_config, venue_specs
from tradeplane.feeds.events import BBO, BookDelta, BookSnapshot, Funding, Gap, MarketEvent, Trade
from tradeplane.feeds.gateway import Gateway, LegSpec, Tuning, VenueSpec
from tradeplane.feeds.health import HealthBoard, State, StateChange
from tradeplane.feeds.instrument import Instrument
from tradeplane.feeds.plan import VenueFeedPlan, plan, plan_rows
from tradeplane.feeds.sim.faults import FaultPlan
from tradeplane.feeds.sim.server import ExchangeSimulator
from tradeplane.feeds.venues import venue_names

__all__ = [
    "BBO",
    "Arbiter",
    "BookDelta",
    "BookSnapshot",
    "ExchangeSimulator",
    "FaultPlan",
    "FeedsConfig",
    "Funding",
    "Gap",
    "Gateway",
    "HealthBoard",
    "Instrument",
    "LegSpec",
    "MarketEvent",
    "OrderBook",
    "State",
    "StateChange",
    "Trade",
    "Tuning",
    "VenueFeedPlan",
    "VenueSpec",
    "load_config",
    "plan",
    "plan_rows",
    "venue_names",
    "venue_specs",
]
