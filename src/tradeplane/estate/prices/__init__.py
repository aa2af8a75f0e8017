"""The shipped price table: what an instance, node or link costs per hour, and where that came from.

One table serves every consumer: ``finops`` estimates what an estate costs and
``placement`` minimises cost with the same figures, so the two never disagree.
"""

from tradeplane.estate.prices.table import (
    HOURS_PER_MONTH,
    InstancePrice,
    NetworkPrice,
    PriceTable,
    instance_price,
    network_price,
    price_table,
)

__all__ = [
    "HOURS_PER_MONTH",
    "InstancePrice",
    "NetworkPrice",
    "PriceTable",
    "instance_price",
    "network_price",
    "price_table",
]
