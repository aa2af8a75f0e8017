"""tradeplane.feeds: redundant WebSocket market-data feeds with arbitration, validated books and health."""
