"""Only leads change configuration; every change is audited; secrets stay out of the audit."""

from __future__ import annotations

import pytest

from bot.admin.configure import Admin
from bot.admin.schemas import RoutesConfig, WebhooksConfig
from bot.admin.secrets import SEALED, SecretBox, new_key
from bot.errors import Forbidden, Invalid
from storage.uow import SqlStore
from tests.support.builders import person
from tests.support.clock import FakeClock

ROUTES = {
    "rules": [
        {
            "name": "bugs",
            "kinds": ["bug"],
            "destinations": [{"platform": "slack", "channel": "CBUGS"}],
        }
    ]
}


def test_a_non_lead_is_refused_and_nothing_changes(database: SqlStore, clock: FakeClock) -> None:
    admin = Admin(database, clock)
    admin.set_role("lee@example.com", "lead", True, None)
    with pytest.raises(Forbidden, match=r"Only support leads .*\(leads: lee\)"):
        admin.change("routes", ROUTES, person("ana"))
    assert admin.read("routes") == RoutesConfig()
    assert [e.key for e in admin.audit()] == ["people.lead"]


def test_a_lead_change_is_applied_and_audited(database: SqlStore, clock: FakeClock) -> None:
    admin = Admin(database, clock)
    admin.set_role("lee@example.com", "lead", True, None)
    admin.change("routes", ROUTES, person("lee"))
    routes = admin.read("routes")
    assert isinstance(routes, RoutesConfig)
    assert routes.rules[0].name == "bugs"
    entry = admin.audit()[0]
    assert (entry.key, entry.old, entry.actor.name if entry.actor else None) == (
        "routes",
        {},
        "Lee",
    )
    assert entry.new["rules"][0]["destinations"] == [{"platform": "slack", "channel": "CBUGS"}]
    assert entry.at == clock.now()


def test_leads_manage_leads_and_execs(database: SqlStore) -> None:
    admin = Admin(database)
    admin.bootstrap(["lee@example.com"], ["cee@example.com"])
    with pytest.raises(Forbidden):
        admin.set_role("ana@example.com", "lead", True, person("bo"))
    admin.set_role("ana@example.com", "lead", True, person("lee"))
    assert [p.email for p in admin.people("lead")] == ["ana@example.com", "lee@example.com"]
    assert [p.email for p in admin.people("exec")] == ["cee@example.com"]
    admin.set_role("cee@example.com", "exec", False, person("ana"))
    assert admin.people("exec") == []


def test_webhook_secrets_never_reach_the_audit(database: SqlStore) -> None:
    admin = Admin(database)
    hook = {"name": "crm", "url": "https://crm.example.com/hook", "secret": "s" * 32}
    admin.change("webhooks", {"hooks": [hook]}, None)
    entry = admin.audit()[0]
    assert entry.new["hooks"][0]["secret"] == "***"
    assert "s" * 32 not in repr(admin.audit())


def test_bad_values_name_the_field(database: SqlStore) -> None:
    admin = Admin(database)
    with pytest.raises(Invalid, match=r"routes\.rules\.0\.destinations"):
        admin.change("routes", {"rules": [{"name": "x", "destinations": []}]}, None)
    with pytest.raises(Invalid, match="unknown setting"):
        admin.change("colour", {}, None)


HOOK = {"name": "crm", "url": "https://crm.example.com/hook", "secret": "s" * 24}


def stored_hooks(database: SqlStore) -> list[dict[str, object]]:
    with database.read() as uow:
        stored = uow.config.get("webhooks")
    assert stored is not None
    return list(stored["hooks"])


def test_a_webhook_secret_is_sealed_in_the_database_and_read_back(
    database: SqlStore, clock: FakeClock
) -> None:
    admin = Admin(database, clock, SecretBox(new_key()))
    admin.change("webhooks", {"hooks": [HOOK]}, None)
    stored = stored_hooks(database)[0]["secret"]
    assert isinstance(stored, str)
    assert stored.startswith(SEALED)
    assert HOOK["secret"] not in stored
    hooks = admin.read("webhooks")
    assert isinstance(hooks, WebhooksConfig)
    assert hooks.hooks[0].secret == HOOK["secret"]


def test_without_a_key_a_secret_is_kept_as_given_and_another_key_cannot_open_a_sealed_one(
    database: SqlStore, clock: FakeClock
) -> None:
    Admin(database, clock).change("webhooks", {"hooks": [HOOK]}, None)
    assert stored_hooks(database)[0]["secret"] == HOOK["secret"]
    Admin(database, clock, SecretBox(new_key())).change("webhooks", {"hooks": [HOOK]}, None)
    with pytest.raises(Invalid, match="cannot be read with this ALLHANDS_SECRET_KEY"):
        Admin(database, clock, SecretBox(new_key())).read("webhooks")
