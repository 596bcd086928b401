"""The few exceptions domain functions raise; each surface (HTML, API) turns them into its own answer."""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title


class NotFound(DomainError):
    """The object does not exist or belongs to a team the caller is not in (existence is not revealed)."""

    status = 404
    title = "Not found"


class Forbidden(DomainError):
    """The caller is in the team but their role does not allow the action."""

    status = 403
    title = "Forbidden"


class Invalid(DomainError):
    """Input failed validation; `errors` maps field names to messages."""

    status = 422
    title = "Invalid input"

    def __init__(self, errors: dict[str, list[str]], detail: str = "") -> None:
        super().__init__(detail or "Some fields are not valid: " + ", ".join(sorted(errors)))
        self.errors = errors

    @property
    def messages(self) -> list[str]:
        """Every message, field by field, in order."""
        return [m for ms in self.errors.values() for m in ms]


class Conflict(DomainError):
    """The object changed since the caller read it; `current` is the object as it now is."""

    status = 409
    title = "Conflict"

    def __init__(self, current: Any, detail: str = "") -> None:
        super().__init__(detail or "Someone else changed this since you loaded it.")
        self.current = current
