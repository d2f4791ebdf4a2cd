"""Errors the dashboard shows instead of a stack trace.

DashboardError
 ├── CollectorUnavailable   the collector cannot be reached, timed out, or answered 5xx / 429
 ├── NotACollector          something answers at the URL, but its /healthz does not name a tokenledger collector
 ├── NotAuthorized          401 / 403: the token is missing, wrong, or lacks the scope
 └── RequestRejected        any other 4xx: the collector's own message is kept
"""

from __future__ import annotations


class DashboardError(Exception):
    """Something the user can act on; `str(exc)` is the message to show."""


class CollectorUnavailable(DashboardError):
    pass


class NotACollector(DashboardError):
    pass


class NotAuthorized(DashboardError):
    pass


class RequestRejected(DashboardError):
    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code
