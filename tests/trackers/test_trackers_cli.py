"""`allhands feedback link` and `allhands trackers add|list|remove`, run as an operator would
(in-process, real database)."""

from __future__ import annotations

import json

from click.testing import CliRunner, Result

from app import build_core, cli
from bot.admin.secrets import new_key
from bot.config import Settings
from tests.support.builders import API, draft

KEY = new_key()
ISSUE = "https://github.com/acme/app/issues/42"


def run(db_url: str, *args: str) -> Result:
    env = {
        "ALLHANDS_DATABASE_URL": db_url,
        "ALLHANDS_SECRET_KEY": KEY,
        "ALLHANDS_PUBLIC_URL": "https://allhands.example.com/",
    }
    return CliRunner().invoke(cli, list(args), env=env)


def an_item(db_url: str) -> str:
    core = build_core(Settings(ALLHANDS_DATABASE_URL=db_url))
    try:
        return core.desk.ingest(draft(), API).item.ref
    finally:
        core.close()


def test_an_item_is_linked_once_and_shows_the_link(db_url: str) -> None:
    ref = an_item(db_url)

    first = run(db_url, "feedback", "link", ref, ISSUE, "--as", "ana@example.com")
    again = run(db_url, "feedback", "link", ref, ISSUE + "/", "--as", "ana@example.com")

    assert first.exit_code == 0, first.output
    assert first.stdout == f"{ref} linked.\n"
    assert again.stdout == f"{ref}: nothing to do, it was linked already.\n"
    shown = json.loads(run(db_url, "feedback", "show", ref, "--json").stdout)
    assert shown["links"] == [{"url": ISSUE, "title": "acme/app#42", "status": "open"}]
    assert shown["fixed_awaiting_reply"] is False


def test_other_trackers_issue_urls_are_links_too(db_url: str) -> None:
    ref = an_item(db_url)
    urls = [
        "https://gitlab.com/acme/web/app/-/issues/7",
        "https://acme.atlassian.net/browse/APP-12",
        "https://linear.app/acme/issue/APP-3/export-fails",
    ]

    for url in urls:
        linked = run(db_url, "feedback", "link", ref, url, "--as", "ana@example.com")
        assert linked.exit_code == 0, linked.output

    shown = json.loads(run(db_url, "feedback", "show", ref, "--json").stdout)
    assert [link["url"] for link in shown["links"]] == [
        "https://gitlab.com/acme/web/app/-/issues/7",
        "https://acme.atlassian.net/browse/APP-12",
        "https://linear.app/acme/issue/APP-3",
    ]


def test_a_url_that_is_no_issue_is_refused_in_one_line_with_exit_2(db_url: str) -> None:
    ref = an_item(db_url)

    for url in ["https://github.com/acme/app/pull/42", "not a url", "https://example.com/x"]:
        refused = run(db_url, "feedback", "link", ref, url, "--as", "ana@example.com")
        assert refused.exit_code == 2
        assert refused.stderr.count("\n") == 1
        assert "is not an issue URL" in refused.stderr
    shown = json.loads(run(db_url, "feedback", "show", ref, "--json").stdout)
    assert shown["links"] == []


def test_a_github_tracker_is_added_listed_and_removed(db_url: str) -> None:
    added = run(db_url, "trackers", "add", "github", "gh", "--secret", "s3cret")

    assert added.exit_code == 0, added.output
    assert "url: https://allhands.example.com/trackers/gh" in added.stdout.splitlines()
    assert "s3cret" not in added.stdout
    listed = run(db_url, "trackers", "list")
    assert listed.stdout == "gh\tgithub\thttps://allhands.example.com/trackers/gh\n"
    assert "s3cret" not in listed.stdout
    assert run(db_url, "trackers", "remove", "gh").exit_code == 0
    assert run(db_url, "trackers", "list").stdout == ""
    gone = run(db_url, "trackers", "remove", "gh")
    assert gone.exit_code == 1
    assert "no tracker named gh" in gone.stderr


def test_gitlab_jira_and_linear_trackers_are_added_with_their_urls(db_url: str) -> None:
    for kind in ["gitlab", "jira", "linear"]:
        added = run(db_url, "trackers", "add", kind, kind, "--secret", "s3cret")
        assert added.exit_code == 0, added.output
        assert f"url: https://allhands.example.com/trackers/{kind}" in added.stdout.splitlines()
        assert "s3cret" not in added.stdout
    listed = run(db_url, "trackers", "list").stdout.splitlines()
    assert [line.split("\t")[:2] for line in listed] == [
        ["gitlab", "gitlab"],
        ["jira", "jira"],
        ["linear", "linear"],
    ]


def test_an_unknown_tracker_kind_is_refused_naming_the_kinds(db_url: str) -> None:
    refused = run(db_url, "trackers", "add", "trello", "t", "--secret", "s")

    assert refused.exit_code == 2
    assert "'trello' is not one of 'github', 'gitlab', 'jira', 'linear'" in refused.stderr
