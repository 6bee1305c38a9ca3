"""Plumbing both daemons use, below namesrv/ and broker/: running until a signal (`run`), logging (`logs`)."""
