"""Items as they may be shown outside the database: personal data masked, once, for every
surface (cards, thread notes, answers in chat, webhooks), and the full text for those entitled.

The database keeps every word; only copies leave. Leads set the extra patterns and whether the
full text may be shown at all (`privacy` in `bot.admin.schemas`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from bot.admin.configure import CachedSetting
from bot.admin.schemas import PrivacyConfig, validate
from bot.customers.story import CustomerStory, EarlierItem
from bot.domain import Event, Feedback, Person, State
from bot.errors import Forbidden
from bot.ports.records import CardCopy
from bot.ports.store import Store, UnitOfWork
from bot.privacy.masking import Masker
from bot.privacy.sensitive import CardView, on_card, outside

SETTING = "privacy"
TURNED_OFF = "Leads turned off showing the full text: personal data stays masked."
NOT_YOURS = "Only whoever claimed {ref} or a support lead can see its full text."


def masked_item(item: Feedback, masker: Masker) -> Feedback:
    """A copy of `item` whose words (title, body, comments, resolution, refused replies'
    reasons, the customer's name and email) have their personal data masked."""
    title, body = masker.mask_optional(item.title), masker.mask(item.body)
    customer = replace(
        item.customer,
        name=masker.mask_optional(item.customer.name),
        email=masker.mask_optional(item.customer.email),
    )
    return replace(
        item,
        title=title,
        body=body,
        resolution=masker.mask_optional(item.resolution),
        customer=customer,
        comments=tuple(replace(c, text=masker.mask(c.text)) for c in item.comments),
        replies=tuple(replace(r, error=masker.mask_optional(r.error)) for r in item.replies),
        text_masked=item.text_masked or title != item.title or body != item.body,
    )


def masked_event(event: Event, masker: Masker) -> Event:
    """The event with every word in its data masked (a comment, a resolution, a hand-off note)."""
    return replace(event, data=masker.mask_json(event.data))


def masked_story(story: CustomerStory, masker: Masker) -> CustomerStory:
    """Earlier items' summaries and resolutions masked; the account fields are the company's
    own record, which leads chose to show field by field."""

    def masked(earlier: EarlierItem) -> EarlierItem:
        summary, resolution = masker.mask(earlier.summary), masker.mask_optional(earlier.resolution)
        return replace(earlier, summary=summary, resolution=resolution)

    shown = tuple(masked(earlier) for earlier in story.history.shown)
    repeats = story.repeats and replace(
        story.repeats, newest_quote=masker.mask(story.repeats.newest_quote)
    )
    similar = tuple(masked(earlier) for earlier in story.similar)
    history = replace(story.history, shown=shown)
    return replace(story, history=history, repeats=repeats, similar=similar)


def stored_privacy(uow: UnitOfWork) -> PrivacyConfig:
    """The privacy settings as leads configured them, read in a unit of work already open."""
    config = validate(SETTING, uow.config.get(SETTING) or {})
    assert isinstance(config, PrivacyConfig)
    return config


def stored_masker(uow: UnitOfWork) -> Masker:
    """The masker as leads configured it, read in a unit of work already open."""
    return Masker(stored_privacy(uow).patterns)


class Privacy:
    """The masker every replica uses now (leads' changes reach it within seconds), and who may
    see an item's full text."""

    def __init__(self, db: Store) -> None:
        self._setting = CachedSetting(db, SETTING)
        self._built: tuple[tuple[str, ...], Masker] = ((), Masker())

    def config(self) -> PrivacyConfig:
        config = self._setting.value()
        assert isinstance(config, PrivacyConfig)
        return config

    def masker(self) -> Masker:
        """Built again only when the leads' patterns change."""
        patterns = tuple(self.config().patterns)
        if patterns != self._built[0]:
            self._built = (patterns, Masker(patterns))
        return self._built[1]

    def last_masker(self) -> Masker:
        """The masker last built, without reading the database: for log records, whose
        making must never query (a query may log)."""
        return self._built[1]

    def item(self, item: Feedback) -> Feedback:
        """As chat answers, modals and direct messages show it: a sensitive item as a stub."""
        return outside(masked_item(item, self.masker()))

    def items(self, items: Iterable[Feedback]) -> tuple[Feedback, ...]:
        masker = self.masker()
        return tuple(outside(masked_item(item, masker)) for item in items)

    def on_card(self, item: Feedback, copy: CardCopy | None) -> CardView:
        """As one copy of its card shows it (a sensitive item whole only where restricted)."""
        return on_card(masked_item(item, self.masker()), copy)

    def story(self, story: CustomerStory) -> CustomerStory:
        return masked_story(story, self.masker())

    def full_text(self, item: Feedback, viewer: Person) -> Feedback:
        """`item` unmasked for its claimer or a lead while leads allow it; anyone else (or
        everyone, when leads turned it off) is refused. Words with nothing to mask are
        anyone's to read, unless the item is sensitive."""
        if not item.sensitive_rule and not masked_item(item, self.masker()).text_masked:
            return item
        if not self.config().show_full_text:
            raise Forbidden(TURNED_OFF)
        claimer = item.claimed.person.id if item.state is State.CLAIMED and item.claimed else None
        if viewer.id != claimer and not viewer.is_lead:
            raise Forbidden(NOT_YOURS.format(ref=item.ref))
        return item
