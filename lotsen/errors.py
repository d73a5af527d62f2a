"""The base of refused changes that services report back to forms."""


class DomainError(Exception):
    """A change the rules refuse; ``field`` names the form field it belongs to, if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
