"""`allhands feedback search`, run as an operator would (in-process, real database)."""

from __future__ import annotations

import json

from click.testing import CliRunner, Result

from app import cli
from bot.core import Core
from tests.support.search import BY_MEANING, BY_WORD, seed


def run(db_url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"ALLHANDS_DATABASE_URL": db_url})


def test_search_finds_by_a_word_or_a_paraphrase_and_refuses_nothing_to_find(
    db_url: str, core: Core
) -> None:
    ref = seed(core.desk)
    by_word = run(db_url, "feedback", "search", BY_WORD)
    assert by_word.exit_code == 0, by_word.output
    assert by_word.stdout.splitlines()[0].startswith(f"{ref}\topen\t")
    by_meaning = run(db_url, "feedback", "search", *BY_MEANING.split(), "--json", "--limit", "1")
    found = json.loads(by_meaning.stdout)
    assert [item["ref"] for item in found] == [ref]
    closed = run(db_url, "feedback", "search", BY_WORD, "--state", "closed")
    assert (closed.exit_code, closed.stdout) == (0, "")
    empty = run(db_url, "feedback", "search")
    assert empty.exit_code == 1
    assert empty.stderr == "allhands: Say what to search for, e.g. `search refund not received`.\n"
