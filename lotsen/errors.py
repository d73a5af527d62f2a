"""The base of refused changes that services report back to forms."""

from flask import g, has_request_context


class DomainError(Exception):
    """A change the rules refuse; ``field`` names the form field it belongs to, if any.

    Raised while a request is handled, it marks the request's unit of work as refused: whatever the
    request wrote is rolled back at its end (``lotsen.web``), whether or not the view that caught the
    error remembered to say so.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if has_request_context():
            g.lotsen_rollback = True
