"""Errors the core raises; adapters turn each into an HTTP status, a chat line or an exit code."""

from __future__ import annotations


class AllHandsError(Exception):
    """Base: `message` is safe to show to the person who caused it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(AllHandsError):
    pass


class Conflict(AllHandsError):
    pass


class AlreadyClaimed(Conflict):
    """Someone else holds the item; `holder` is their display name."""

    def __init__(self, ref: str, holder: str) -> None:
        super().__init__(f"{ref} is already claimed by {holder}.")
        self.ref = ref
        self.holder = holder


class Forbidden(AllHandsError):
    pass


class Invalid(AllHandsError):
    """Input that breaks a rule; `field` names the culprit where there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class SetupError(AllHandsError):
    """What a command was given cannot work at all (a URL that names no database, a file in
    another encoding): it stops before doing anything, and `message` names the problem and the
    fix. The command line exits 2 with it, as for a usage mistake."""


class DatabaseUnavailable(Exception):
    """The database could not be reached: the caller answers "try again later".

    Not an `AllHandsError`: it is nobody's mistake, and work that meets it must fail (and be
    tried again) rather than be answered as if it were done.
    """


class DeliveryError(Exception):
    """A chat platform refused or failed an outbound call.

    `retry_after` is seconds to wait before trying again, or None when retrying is pointless
    (the bot was removed from the channel, the message is gone). `rate_limited` marks a 429,
    so the metrics tell rate limits apart from outages.
    """

    def __init__(
        self, message: str, retry_after: float | None, *, rate_limited: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.rate_limited = rate_limited


class LookupFailed(Exception):
    """The company's customer look-up did not answer usefully (an error status, not JSON).

    Not an `AllHandsError`: nobody acting caused it, and a card goes out without the account
    rather than wait for it.
    """
