"""References people type must parse the way they expect."""

from __future__ import annotations

import pytest

from bot.domain import id_from_ref, ref_for


@pytest.mark.parametrize(
    ("text", "expected"),
    [("FB-12", 12), ("fb-12", 12), (" 12 ", 12), ("FB-", None), ("FB-1x", None), ("12" * 20, None)],
)
def test_id_from_ref(text: str, expected: int | None) -> None:
    assert id_from_ref(text) == expected


def test_ref_round_trip() -> None:
    assert id_from_ref(ref_for(4711)) == 4711
