"""`mqadmin`: Apache RocketMQ's admin tool, the same subcommands, flags, output and help text."""
from .main import main

__all__ = ["main"]
