"""Brute-force protection of every login (site, Wagtail admin), on top of django-axes.

Policy (settings: ``AXES_*`` and ``LOGIN_ADDRESS_FAILURE_LIMIT`` in ``cms.settings.base``):
failed logins are counted per username and per client address over the cool-off window.
A username is locked after ``AXES_FAILURE_LIMIT`` failures, whatever address they came
from; an address only after ``LOGIN_ADDRESS_FAILURE_LIMIT`` failures, whatever usernames
they named. The address limit is higher because a branch office reaches us through one NAT
address: a few colleagues' typos must not lock the whole branch out, while one address
trying many usernames (password spraying) still is stopped. Axes compares one count with
one limit, so the address count is scaled onto the username limit here.

The counts live in the database (axes' handler), so every web process sees the same figures.
"""

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


class LoginThrottleHandler(AxesDatabaseHandler):
    """Axes' database handler with a higher failure limit per address than per username.

    Needs ``AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]`` (in that order).
    """

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        by_username, by_address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        scaled = by_address * settings.AXES_FAILURE_LIMIT // settings.LOGIN_ADDRESS_FAILURE_LIMIT
        return max(by_username, scaled)


def client_address(request: HttpRequest) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or behind ``TRUSTED_PROXY_COUNT`` reverse
    proxies the address the outermost trusted proxy saw (from ``X-Forwarded-For``)."""
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXY_COUNT
    if not proxies:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    # Each trusted proxy appends the address it received from; the last ``proxies``
    # entries are trustworthy, anything left of them is what the client claimed.
    if len(forwarded) >= proxies:
        return forwarded[-proxies]
    return forwarded[0] if forwarded else remote
