"""Exceptions raised by the remoting client side."""
from __future__ import annotations


class RemotingError(Exception):
    pass


class RemotingConnectError(RemotingError):
    pass


class RemotingTimeoutError(RemotingError):
    pass


class RemotingSendRequestError(RemotingError):
    pass
