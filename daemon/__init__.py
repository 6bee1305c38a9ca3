"""Plumbing both daemons use, below namesrv/ and broker/: running until a signal (`run`), logging (`logs`),
the Prometheus exporter's shared parts and the /metrics endpoint (`metrics`)."""
