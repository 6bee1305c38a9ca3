"""Histogram bounds as 5.x's BrokerMetricsManager registers them (its views): message sizes in bytes, topic and
group creation times in ms. The send path reads MESSAGE_SIZE_BUCKETS (it fills that histogram itself)."""
from __future__ import annotations

MESSAGE_SIZE_BUCKETS = (1024.0, 4096.0, 512 * 1024.0, 1024 * 1024.0, 2 * 1024 * 1024.0, 4 * 1024 * 1024.0)
CREATE_TIME_BUCKETS = (10.0, 100.0, 1000.0, 3000.0, 5000.0)
