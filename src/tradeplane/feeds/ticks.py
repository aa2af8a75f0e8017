"""A bounded map from a venue's decimal text ("65000.01") to integer steps of one scale.

Depth levels repeat heavily (the same prices and sizes come back message after message), so a
dict lookup replaces parsing and scaling on the hot path. Exact by construction: a miss is
parsed exactly by ``Scale.to_int`` (no floats), so any value the scale accepts converts right,
however large. Bounded: once ``limit`` texts are held the map is emptied and refills with
what is current (O(1) per lookup, memory flat over any run).
"""

from __future__ import annotations

import msgspec

from tradeplane.feeds.fixed import Scale

DEFAULT_LIMIT = 16_384


class TickCache:
    """Text -> steps for one ``Scale``. Hot loops read ``map`` directly and call ``miss`` on None."""

    __slots__ = ("_dot", "clears", "limit", "map", "scale")

    def __init__(self, scale: Scale, limit: int = DEFAULT_LIMIT) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.scale = scale
        self.limit = limit
        self.map: dict[str, int] = {}
        self.clears = 0
        # a step of one unit of the last decimal (0.01, 0.00001): text with exactly that many decimals
        # converts by its digits alone; ``_dot`` is the point's distance from the end (out of reach otherwise)
        self._dot = scale.decimals + 1 if scale.unit == 1 and scale.decimals else 1 << 30

    def miss(self, text: str) -> int:
        """Parse ``text`` exactly (raises InputError when it is not a multiple of the step) and keep it.

        Quantities rarely repeat (a level's size changes to any value), so a miss is the common case
        for them: text with exactly the step's decimals (``"0.04025"`` at 0.00001) converts here with
        ``parse_scaled``'s own formula, in one call; anything else takes ``Scale.to_int``."""
        i = len(text) - self._dot  # where the point is when the text has exactly the step's decimals
        if i > 0 and text[i] == ".":
            try:  # another point before it, or no digits: ValueError, and the exact parser says why
                value = int(text[:i] + text[i + 1 :])
            except ValueError:
                value = self.scale.to_int(text)
        else:
            value = self.scale.to_int(text)
        m = self.map
        if len(m) >= self.limit:
            m.clear()
            self.clears += 1
        m[text] = value
        return value

    def get(self, text: str) -> int:
        v = self.map.get(text)
        return self.miss(text) if v is None else v

    def __len__(self) -> int:
        return len(self.map)


TextLevels = list[tuple[str, str]]
# a JSON array of [price text, quantity text] pairs, as Binance, OKX and Bybit send depth levels
decode_text_levels = msgspec.json.Decoder(TextLevels).decode


def to_levels(levels: TextLevels, price: TickCache, qty: TickCache) -> tuple[tuple[int, int], ...]:
    """Text pairs -> (price ticks, quantity lots), exactly."""
    pm, qm = price.map, qty.map
    out = []
    for p, q in levels:
        pt = pm.get(p)
        if pt is None:
            pt = price.miss(p)
        qt = qm.get(q)
        if qt is None:
            qt = qty.miss(q)
        out.append((pt, qt))
    return tuple(out)
