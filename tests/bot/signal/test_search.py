"""Search by words and by meaning, on both engines: the index follows every edit, filters and
pages combine with the ranking, and chat sees the results masked."""

from __future__ import annotations

import pytest

from bot.domain import Kind, Severity, State
from bot.errors import Invalid
from bot.ports.records import ListFilter
from bot.service import Desk
from bot.signal.embedding import default_embedder
from bot.signal.search import fuse, query_words
from tests.support.builders import person
from tests.support.search import BY_MEANING, BY_WORD, REFUND, seed

EVERYTHING = ListFilter(limit=10)


def refs(desk: Desk, query: str, where: ListFilter = EVERYTHING, offset: int = 0) -> list[str]:
    return [item.ref for item in desk.search_text(query, where, offset)]


def test_a_word_or_a_paraphrase_finds_the_item_first_and_chat_sees_it_masked(desk: Desk) -> None:
    ref = seed(desk)
    with desk.db.read() as uow:
        assert uow.search.matching(query_words(BY_WORD), EVERYTHING, 10) == [1]
        assert uow.search.matching(query_words(BY_MEANING), EVERYTHING, 10) == []
    assert refs(desk, BY_WORD)[0] == ref
    assert refs(desk, BY_MEANING)[0] == ref  # by meaning alone
    with desk.db.read() as uow:  # every item's vector is stored for the next search
        assert len(uow.vectors.get(default_embedder().name, [1, 2, 3, 4, 5])) == 5
    shown = desk.shown_search_text(BY_WORD, EVERYTHING)[0]
    assert "jane.doe@example.com" not in shown.body
    assert shown.body.startswith(REFUND.split(",")[0])


def test_the_index_follows_edits_and_a_query_is_only_ever_words(desk: Desk) -> None:
    ref = seed(desk)
    assert refs(desk, "refund\" OR (NEAR* -app: customer's | !")[0] == ref
    with desk.db.write() as uow:
        uow.feedback.revise(
            1,
            desk.clock.now(),
            title="Chargeback",
            body="Invoice PDF is blank",
            kind=Kind.BUG,
            severity=Severity.NORMAL,
            tags=[],
        )
        uow.commit()
    with desk.db.read() as uow:
        assert uow.search.matching(["invoice"], EVERYTHING, 10) == [1]
        assert uow.search.matching(["chargeback"], EVERYTHING, 10) == [1]
        assert uow.search.matching(["refund"], EVERYTHING, 10) == []
    with pytest.raises(Invalid, match="Say what to search for"):
        desk.search_text("   ", EVERYTHING)


def test_filters_apply_before_the_ranking_and_pages_follow_it(desk: Desk) -> None:
    ref = seed(desk)
    desk.close(ref, person("ana"), "refund sent")
    assert ref not in refs(desk, BY_WORD, ListFilter(state=State.OPEN, limit=10))
    assert refs(desk, BY_WORD, ListFilter(state=State.CLOSED, limit=10)) == [ref]
    everything = refs(desk, "card refund")
    assert len(everything) >= 2
    first, second = (refs(desk, "card refund", ListFilter(limit=1), offset) for offset in (0, 1))
    assert first + second == everything[:2]


def test_query_words_are_plain_words_once_each() -> None:
    assert query_words("Don't the customer's REFUND, refund!") == ["customer", "s", "refund"]
    assert query_words("the") == ["the"]


def test_fusion_puts_what_both_rankings_found_first() -> None:
    assert fuse([[1, 2, 3], [3, 4]]) == [3, 1, 4, 2]  # a tie: the newer first
    assert fuse([[], []]) == []


def test_chat_never_sees_a_sensitive_item_its_words_matched(desk: Desk) -> None:
    ref = seed(desk)
    with desk.db.write() as uow:
        uow.feedback.mark_sensitive(desk.get(ref).id, "legal")
        uow.commit()
    assert refs(desk, BY_WORD)[0] == ref  # the API and the CLI, for tokens that may read
    assert ref not in [item.ref for item in desk.shown_search_text(BY_WORD, EVERYTHING)]
