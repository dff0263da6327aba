"""Satisfaction links are signed with a key derived from the secret key and stop working on
their date: a changed, foreign or stale token never counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.admin.secrets import new_key
from bot.errors import Invalid, NotFound
from bot.satisfaction.links import Expired, SurveyLinks

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def test_a_token_names_its_item_until_its_date() -> None:
    links = SurveyLinks(new_key())
    token = links.token(12, NOW, WEEK)

    assert links.read(token, NOW + WEEK - timedelta(seconds=1)).item_id == 12
    with pytest.raises(Expired):
        links.read(token, NOW + WEEK)


def test_a_changed_or_foreign_token_is_not_ours() -> None:
    links = SurveyLinks(new_key())
    payload, _, signature = links.token(12, NOW, WEEK).partition(".")
    other = SurveyLinks(new_key()).token(12, NOW, WEEK)
    forged = SurveyLinks(new_key()).token(13, NOW, WEEK).split(".")[0] + "." + signature

    for token in (other, forged, payload, f"{payload}.", "x" * 500, ""):
        with pytest.raises(NotFound):
            links.read(token, NOW)


def test_without_a_secret_key_no_link_is_made() -> None:
    links = SurveyLinks(None)

    assert not links.ready
    with pytest.raises(Invalid, match="ALLHANDS_SECRET_KEY"):
        links.token(12, NOW, WEEK)
