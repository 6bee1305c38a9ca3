"""Broker-side message filters: tag hash codes (tag.py) and SQL92 property expressions (sql92.py)."""
