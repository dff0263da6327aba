"""`allhands themes` over stored items: the JSON shape, the change on the period before, and
vectors computed once and then read from the database."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import CliRunner

from app import cli
from bot.intake import FeedbackDraft
from bot.ports.embeddings import Vectors
from bot.service import Desk
from bot.signal.embedding import HashingEmbedder
from bot.signal.report import period_themes
from storage.uow import SqlStore
from tests.support.builders import API
from tests.support.clock import FakeClock

START = datetime(2026, 3, 9, tzinfo=UTC)
END = START + timedelta(days=7)
CARD = ["My new card has not arrived", "Where is my card, still not here", "Card not arrived yet"]
APP = ["The app crashes when I log in", "App crashed on login again", "Login makes the app crash"]


def ingest(desk: Desk, clock: FakeClock, at: datetime, bodies: Sequence[str]) -> list[str]:
    clock.current = at
    return [desk.ingest(FeedbackDraft(source="email", body=body), API).item.ref for body in bodies]


class CountingEmbedder(HashingEmbedder):
    """The fallback embedder, counting the texts it was asked to embed."""

    def __init__(self, name: str = HashingEmbedder.name) -> None:
        self.name = name
        self.embedded = 0

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.embedded += len(texts)
        return super().embed(texts)


def test_a_theme_changes_against_the_period_of_equal_length_before(
    desk: Desk, clock: FakeClock, database: SqlStore
) -> None:
    ingest(desk, clock, START - timedelta(days=3), CARD + CARD[:1])
    card_now = ingest(desk, clock, START + timedelta(days=1), CARD[1:])
    app_now = ingest(desk, clock, START + timedelta(days=2), APP)

    themes = period_themes(database, HashingEmbedder(), clock, START, END)

    by_ref = {ref: theme for theme in themes for ref in theme.refs}
    card, app = by_ref[card_now[0]], by_ref[app_now[0]]
    assert card is not app
    assert sorted(card.refs) == sorted(card_now)
    assert (card.size, card.previous, card.change) == (2, 4, "-50%")
    assert (app.size, app.previous, app.change) == (3, 0, "new")
    assert set(app.examples) <= set(APP)
    assert len(app.examples) == 2


def test_vectors_are_computed_once_and_again_only_for_another_embedder(
    desk: Desk, clock: FakeClock, database: SqlStore
) -> None:
    ingest(desk, clock, START + timedelta(days=1), CARD + APP)
    first = CountingEmbedder()

    before = period_themes(database, first, clock, START, END)
    after = period_themes(database, first, clock, START, END)
    other = CountingEmbedder("hashing-256-v2")
    period_themes(database, other, clock, START, END)

    assert first.embedded == len(CARD + APP)
    assert before == after
    assert other.embedded == len(CARD + APP)


def test_themes_json_has_label_size_refs_and_change(
    desk: Desk, clock: FakeClock, db_url: str
) -> None:
    ingest(desk, clock, START - timedelta(days=2), APP[:1])
    refs = ingest(desk, clock, START + timedelta(days=1), APP + CARD)

    document = themes_json(db_url, "--since", "2026-03-09", "--until", "2026-03-15")

    themes = document["themes"]
    assert sorted(ref for theme in themes for ref in theme["refs"]) == sorted(refs)
    for theme in themes:
        assert {"label", "size", "refs", "change"} <= set(theme)
        assert theme["size"] == len(theme["refs"]) >= 2
        assert isinstance(theme["label"], str)
        assert theme["label"]
        assert len(theme["examples"]) == 2
    assert {theme["change"] for theme in themes} <= {"new", "+200%"}


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--since", "2026-03-10", "--until", "2026-03-09"], "--since"),
        (["--since", "10 March"], "--since"),
    ],
)
def test_a_bad_period_is_one_readable_line(db_url: str, args: list[str], field: str) -> None:
    result = CliRunner().invoke(cli, ["themes", *args], env={"ALLHANDS_DATABASE_URL": db_url})

    assert result.exit_code != 0
    assert field in result.output
    assert "Traceback" not in result.output


def themes_json(db_url: str, *args: str) -> dict[str, object]:
    result = CliRunner().invoke(
        cli, ["themes", "--json", *args], env={"ALLHANDS_DATABASE_URL": db_url}
    )
    assert result.exit_code == 0, result.output
    loaded: dict[str, object] = json.loads(result.stdout)
    return loaded


def test_the_period_defaults_to_the_last_seven_days(db_url: str) -> None:
    today = date.today().isoformat()

    document = themes_json(db_url, "--until", today)

    assert document == {"themes": []}
