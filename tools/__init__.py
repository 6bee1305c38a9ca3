"""Operator tools: mqadmin-compatible CLI, local runner, logging setup."""
