"""Refused requests, shared by the modules of this area."""

from lotsen.errors import DomainError


class RequestError(DomainError):
    """A request the rules refuse."""
