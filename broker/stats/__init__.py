"""Broker statistics: StatsItem windows per stats name and key (BrokerStatsManager) and the daily totals."""
