"""The leads' one-form configuration: text in, audited settings out, nothing half-applied."""

from __future__ import annotations

import pytest

from bot.admin.configure import Admin
from bot.admin.form import FIELD_NAMES, apply, current, format_routes, parse_routes
from bot.admin.schemas import PrivacyConfig, RotaConfig, RoutesConfig, TimeoutsConfig
from bot.domain import Severity
from bot.errors import Forbidden, Invalid
from storage.uow import SqlStore
from tests.support.builders import person

ROUTES = (
    "bugs: source=appstore kind=bug -> slack:C123 teams:19:abc@thread.tacv2\n"
    "vip: tag=gold -> teams:19:vip\n"
    "default -> slack:CALL"
)


@pytest.fixture
def admin(database: SqlStore) -> Admin:
    admin = Admin(database)
    admin.set_role("lee@example.com", "lead", True, None)
    return admin


def test_routes_text_round_trips() -> None:
    config = RoutesConfig.model_validate(parse_routes(ROUTES))
    assert config.rules[0].sources == ["appstore"]
    assert config.rules[0].destinations[1].channel == "19:abc@thread.tacv2"
    assert format_routes(config) == ROUTES


def test_a_mention_follows_its_channel_after_a_plus() -> None:
    text = "urgent: severity=urgent -> slack:CURG+S0ONCALL teams:19:abc@thread.tacv2+MjQz+YWE="
    config = RoutesConfig.model_validate(parse_routes(text))
    paged = config.rules[0].destinations
    assert [(d.channel, d.mention) for d in paged] == [
        ("CURG", "S0ONCALL"),
        ("19:abc@thread.tacv2", "MjQz+YWE="),  # a tag id keeps its own '+'
    ]
    assert format_routes(config) == text


def test_a_lead_saves_the_form_and_each_change_is_audited(admin: Admin) -> None:
    form = current(admin)
    assert set(form) == set(FIELD_NAMES)
    changed = apply(
        admin,
        {
            **form,
            "routes": ROUTES,
            "timeouts": "urgent=5 untouched=8",
            "rota": "mon 09:00-13:00 Ana@Example.com, bo@example.com",
            "execs": "cee@example.com",
            "digest_time": "08:30",
            "digest_slack_channels": "CDIGEST",
        },
        person("lee"),
    )
    assert changed == [
        "execs",
        "routes",
        "timeouts",
        "rota",
        "digest_time",
        "digest_slack_channels",
    ]
    timeouts = admin.read("timeouts")
    assert isinstance(timeouts, TimeoutsConfig)
    assert (timeouts.claim_minutes[Severity.URGENT], timeouts.claim_minutes[Severity.LOW]) == (
        5,
        1440,
    )
    rota = admin.read("rota")
    assert isinstance(rota, RotaConfig)
    assert rota.shifts[0].emails == ["ana@example.com", "bo@example.com"]
    assert [p.email for p in admin.people("exec")] == ["cee@example.com"]
    saved = current(admin)
    assert (saved["digest_time"], saved["digest_slack_channels"], saved["routes"]) == (
        "08:30",
        "CDIGEST",
        ROUTES,
    )
    assert {e.key for e in admin.audit()} >= {"routes", "timeouts", "rota", "digest", "people.exec"}
    assert apply(admin, saved, person("lee")) == []  # unchanged form: nothing saved


def test_a_non_lead_changes_nothing(admin: Admin) -> None:
    form = current(admin)
    with pytest.raises(Forbidden):
        apply(admin, {**form, "routes": ROUTES, "execs": "x@example.com"}, person("ana"))
    assert current(admin) == form
    assert [e.key for e in admin.audit()] == ["people.lead"]


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("routes", "bugs kind=bug -> slack:C1", "routes line 1: start with a name"),
        ("routes", "bugs: colour=red -> slack:C1", "'colour=red' is not one of"),
        ("routes", "bugs: kind=bug", "add '-> slack:CHANNEL'"),
        ("routes", "bugs: kind=bug -> email:C1", "'email:C1' is not slack:CHANNEL"),
        ("routes", "urgent: -> slack:C1+", "'slack:C1\\+' is not slack:CHANNEL"),
        ("routes", "urgent: -> slack:C1+here", "mention 'here' is not a user group id"),
        ("routes", "bugs: kind=rant -> slack:C1", "routes.rules.0.kinds.0"),
        ("timeouts", "urgent=soon", "not like urgent=15"),
        ("rota", "monday morning ana@example.com", "rota line 1"),
        ("timezone", "Mars/Olympus", "IANA"),
        ("digest_days", "someday", "not a day"),
        ("execs", "cee@example.com, not-an-email", "'not-an-email' is not an email address"),
    ],
)
def test_a_wrong_field_is_named_and_nothing_is_saved(
    admin: Admin, field: str, text: str, message: str
) -> None:
    form = current(admin)
    with pytest.raises(Invalid, match=message) as refused:
        apply(admin, {**form, "timeouts": "urgent=1", field: text}, person("lee"))
    assert refused.value.field == field  # the form can show it under the right input
    assert current(admin) == form


def test_leads_set_masking_patterns_one_per_line_and_turn_the_full_text_off(
    admin: Admin,
) -> None:
    form = current(admin)
    assert (form["mask_patterns"], form["show_full_text"]) == ("", "yes")
    patterns = "CUST-\\d{6}\n(?i)member no\\. \\d+, \\d+"  # commas and blanks stay in a pattern
    lead = person("lee")

    changed = apply(admin, {**form, "mask_patterns": patterns, "show_full_text": "No"}, lead)

    assert changed == ["mask_patterns", "show_full_text"]
    assert admin.read("privacy").model_dump() == {
        "patterns": ["CUST-\\d{6}", "(?i)member no\\. \\d+, \\d+"],
        "show_full_text": False,
        "retention_days": None,
        "sensitive_elsewhere": "stub",
    }
    assert current(admin)["mask_patterns"] == patterns


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("mask_patterns", "CUST-(\\d", "'CUST-(\\d' is not a regular expression"),
        ("show_full_text", "maybe", "show_full_text: answer yes or no"),
        ("retention_days", "a year", "retention_days: a whole number of days"),
        ("retention_days", "0", "greater than or equal to 1"),
        ("sensitive_elsewhere", "hide", "sensitive_elsewhere: answer stub or nothing"),
    ],
)
def test_a_wrong_privacy_field_is_named(admin: Admin, field: str, value: str, message: str) -> None:
    with pytest.raises(Invalid) as refused:
        apply(admin, {**current(admin), field: value}, person("lee"))
    assert refused.value.field == field
    assert message in refused.value.message
    assert admin.read("privacy") == PrivacyConfig()
