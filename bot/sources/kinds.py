"""The kinds of source All Hands reads, and how each is connected."""

from __future__ import annotations

from enum import StrEnum


class SourceKind(StrEnum):
    ZENDESK = "zendesk"
    INTERCOM = "intercom"
    FRESHDESK = "freshdesk"
    TYPEFORM = "typeform"
    POSTMARK = "postmark"
    MAILGUN = "mailgun"
    SENDGRID = "sendgrid"
    IMAP = "imap"
    APPSTORE = "appstore"
    GOOGLEPLAY = "googleplay"
    JSON = "json"

    @property
    def polled(self) -> bool:
        """We fetch from it on a schedule; every other kind posts to us (a webhook)."""
        return self in POLLED

    @property
    def secret_is_ours(self) -> bool:
        """The vendor lets us choose the shared secret, so `sources add` can make one up.

        Zendesk, Intercom and Mailgun sign with a secret they issue: it must be given.
        Postmark and SendGrid sign nothing: the secret travels in the URL we give them.
        """
        return self in CHOSEN_SECRETS

    @property
    def secret_in_url(self) -> bool:
        return self in URL_SECRETS


POLLED = frozenset({SourceKind.IMAP, SourceKind.APPSTORE, SourceKind.GOOGLEPLAY})
URL_SECRETS = frozenset({SourceKind.POSTMARK, SourceKind.SENDGRID})
CHOSEN_SECRETS = frozenset(
    {SourceKind.FRESHDESK, SourceKind.TYPEFORM, SourceKind.JSON, *URL_SECRETS}
)
