"""Where normalised events go: in-process subscribers, Parquet files, NATS JetStream."""

from tradeplane.feeds.sinks.bus import Bus, Collector, Subscription

__all__ = ["Bus", "Collector", "Subscription"]
