"""Where normalised events go: in-process subscribers, Parquet files, NATS JetStream."""

from tradeplane.feeds.sinks.bus import Bus, Collector, Subscription
from tradeplane.feeds.sinks.nats import NatsPublisher, subject_for
from tradeplane.feeds.sinks.parquet import ParquetRecorder, replay, replay_into

__all__ = [
    "Bus",
    "Collector",
    "NatsPublisher",
    "ParquetRecorder",
    "Subscription",
    "replay",
    "replay_into",
    "subject_for",
]
