"""What an issue URL is, what a tracker says happened to an issue, and how a card tells of it.

Pure: no I/O. An issue is known by its URL, in one spelling, so the URL a person links and the
URL a tracker's webhook names match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.domain import Feedback, Link, LinkStatus
from bot.errors import Invalid

URL_MAX_CHARS = 500
TITLE_MAX_CHARS = 300


class TrackerKind(StrEnum):
    GITHUB = "github"
    GITLAB = "gitlab"
    JIRA = "jira"
    LINEAR = "linear"


# Each tracker's issue page; GitLab and Jira run on the company's own hosts too.
_ISSUE_PAGES = {
    TrackerKind.GITHUB: re.compile(r"https://github\.com/[\w.-]+/[\w.-]+/issues/\d+"),
    TrackerKind.GITLAB: re.compile(r"https://[\w.-]+(?::\d+)?(?:/[\w.-]+){2,}/-/issues/\d+"),
    TrackerKind.JIRA: re.compile(
        r"https://[\w.-]+(?::\d+)?(?:/[\w.-]+)*/browse/[A-Z][A-Z0-9_]*-\d+"
    ),
    TrackerKind.LINEAR: re.compile(r"https://linear\.app/[\w-]+/issue/[A-Z][A-Z0-9]*-\d+"),
}
SHAPES = (
    "https://github.com/OWNER/REPO/issues/N, https://GITLAB/GROUP/PROJECT/-/issues/N, "
    "https://JIRA/browse/KEY-N or https://linear.app/TEAM/issue/KEY-N"
)


@dataclass(frozen=True, slots=True)
class Issue:
    tracker: TrackerKind
    url: str  # as every link and webhook spells it

    @property
    def short_name(self) -> str:
        """What a link is called until its tracker tells us the issue's title: owner/repo#2."""
        if self.tracker is TrackerKind.GITHUB:
            owner, repo, _, number = self.url.split("/")[3:7]
            return f"{owner}/{repo}#{number}"
        return self.url.rsplit("/", 1)[-1]


def issue_at(url: str) -> Issue:
    """The issue a URL names, or Invalid (field `url`) saying which URLs are issues."""
    text = url.strip().split("#", 1)[0].split("?", 1)[0].rstrip("/")
    if len(text) <= URL_MAX_CHARS and (issue := _matching(text)) is not None:
        return issue
    raise Invalid(f"'{url[:200]}' is not an issue URL; link one like {SHAPES}.", "url")


def _matching(text: str) -> Issue | None:
    """GitHub's names are case-blind (github.com/Org/Repo is github.com/org/repo), and so is
    every host; a Linear URL's trailing title is dropped."""
    scheme_and_host, _, path = text.partition("://")[2].partition("/")
    text = f"https://{scheme_and_host.lower()}/{path}"
    for tracker, page in _ISSUE_PAGES.items():
        found = page.match(text)
        if found is None:
            continue
        if tracker is TrackerKind.LINEAR:
            return Issue(tracker, found.group(0))
        if found.end() == len(text):
            return Issue(tracker, text.lower() if tracker is TrackerKind.GITHUB else text)
    return None


@dataclass(frozen=True, slots=True)
class IssueChange:
    """What a tracker said about an issue: it is now closed (the fix shipped) or open again."""

    url: str
    title: str
    status: LinkStatus


def link_line(link: Link) -> str:
    """A card's line for one linked issue: shipped (waiting for the customer to be told),
    reopened, or being worked on."""
    if link.status is LinkStatus.CLOSED:
        waiting = " · tell the customer" if link.awaiting_reply else ""
        return f"Fix shipped: {link.title}{waiting}"
    if link.reopened:
        return f"Fix reopened: {link.title}"
    return f"Fix linked: {link.title}"


def link_lines(item: Feedback) -> list[str]:
    return [link_line(link) for link in item.links]
