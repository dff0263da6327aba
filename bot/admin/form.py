"""The leads' settings form: every setting as one text field, shared by Slack and Teams.

Chat forms are flat text inputs, so each setting has a compact line syntax, e.g. a route:
`bugs: kind=bug source=appstore -> slack:C123 teams:19:abc@thread.tacv2`. `current()` fills the
form, `apply()` validates every field first (an error names the field and line) and then saves
each changed setting, audited, through `Admin`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.admin.configure import Admin
from bot.admin.schemas import (
    CustomersConfig,
    DigestSettings,
    PrivacyConfig,
    RotaConfig,
    RoutesConfig,
    TimeoutsConfig,
    validate,
)
from bot.domain import Identity, Severity
from bot.errors import Invalid
from bot.validation import EMAIL_PATTERN


@dataclass(frozen=True, slots=True)
class FormField:
    name: str
    label: str
    hint: str
    multiline: bool = False


FIELDS = (
    FormField("leads", "Support leads", "Emails, comma-separated"),
    FormField("execs", "Executives (get the digest)", "Emails, comma-separated"),
    FormField(
        "routes",
        "Routes (first match wins)",
        "One per line: name: kind=bug source=appstore tag=billing area=payments "
        "severity=urgent keyword=cancel -> slack:C123 teams:19:…  A line `default -> slack:C1` "
        "sets the default. The word `sensitive` in a rule keeps its items to its channels. "
        "Add +S0123ABCD (Slack user group) or +TAGID (Teams tag) to a "
        "channel to mention it on urgent items.",
        multiline=True,
    ),
    FormField(
        "timeouts",
        "Claim timeouts",
        "urgent=15 high=60 normal=240 low=1440 (minutes) untouched=24 (hours)",
    ),
    FormField(
        "rota",
        "All-hands rota",
        "One shift per line: mon 09:00-13:00 ana@example.com, bo@example.com",
        multiline=True,
    ),
    FormField("digest_time", "Digest time", "HH:MM in the company time zone"),
    FormField("timezone", "Company time zone", "IANA name, e.g. Europe/Berlin"),
    FormField("digest_days", "Digest days", "e.g. mon-fri"),
    FormField("digest_slack_channels", "Digest Slack channels", "Channel ids, comma-separated"),
    FormField(
        "digest_teams_channels", "Digest Teams channels", "Conversation ids, comma-separated"
    ),
    FormField(
        "customer_fields",
        "Customer fields on cards",
        "Fields of your customer look-up to show, comma-separated, e.g. plan, arr, owner.name",
    ),
    FormField(
        "mask_patterns",
        "Also mask (personal data)",
        "One regular expression per line, e.g. CUST-\\d{6}; emails, phone numbers, card numbers "
        "and IBANs are always masked on cards, in the digest, webhooks and logs",
        multiline=True,
    ),
    FormField(
        "show_full_text",
        "Show full text",
        "yes: an item's claimer and the leads may see its words unmasked; no: nobody may",
    ),
    FormField(
        "retention_days",
        "Keep customers' words (days)",
        "e.g. 365: after that, items keep their counts, states and history but lose the "
        "customer's text and details, in chat too; blank: keep them",
    ),
    FormField(
        "sensitive_elsewhere",
        "Sensitive items elsewhere",
        "stub: other channels and the digest get a line without the words; nothing: nothing",
    ),
)
FIELD_NAMES = tuple(f.name for f in FIELDS)
_CRITERIA = {
    "source": "sources",
    "kind": "kinds",
    "severity": "severities",
    "tag": "tags",
    "area": "product_areas",
    "keyword": "keywords",
}
_EMAIL = re.compile(EMAIL_PATTERN)
_YES_NO = {True: "yes", False: "no"}
_FROM_YES_NO = {"yes": True, "no": False}
SENSITIVE = "sensitive"  # the word that marks a route sensitive in the form's syntax
_DIGEST_FIELDS = {
    "digest_time": "time",
    "timezone": "timezone",
    "digest_days": "days",
    "digest_slack_channels": "slack_channels",
    "digest_teams_channels": "teams_channels",
}


def _words(text: str, *, lower: bool = False) -> list[str]:
    """A comma- or space-separated list, blanks dropped."""
    return [
        w.strip().lower() if lower else w.strip() for w in re.split(r"[,\s]+", text) if w.strip()
    ]


def _emails(text: str) -> list[str]:
    return _words(text, lower=True)


def _destinations(text: str, field: str, line: int) -> list[dict[str, str]]:
    """`slack:C123 teams:19:abc@thread.tacv2+TAG`: an optional `+MENTION` follows the channel.

    `+` because Teams channel ids contain `:` and `@` but never `+`; the mention is split off
    at the first `+`, so a Teams tag id (base64, which may hold `+`) stays whole.
    """
    found = []
    for word in text.split():
        platform, sep, rest = word.partition(":")
        channel, plus, mention = rest.partition("+")
        if not sep or platform not in {"slack", "teams"} or not channel or (plus and not mention):
            raise Invalid(
                f"{field} line {line}: '{word}' is not slack:CHANNEL or teams:CHANNEL "
                "(optionally +MENTION)",
                field,
            )
        found.append({"platform": platform, "channel": channel})
        if mention:
            found[-1]["mention"] = mention
    return found


def format_routes(config: RoutesConfig) -> str:
    lines = []
    for rule in config.rules:
        criteria = [
            f"{word}={value}" for word, attr in _CRITERIA.items() for value in getattr(rule, attr)
        ]
        if rule.sensitive:
            criteria.append(SENSITIVE)
        where = " ".join(d.as_text() for d in rule.destinations)
        lines.append(f"{rule.name}: {' '.join(criteria)} -> {where}".replace(":  ->", ": ->"))
    if config.default:
        lines.append("default -> " + " ".join(d.as_text() for d in config.default))
    return "\n".join(lines)


def parse_routes(text: str) -> dict[str, Any]:
    rules: list[dict[str, Any]] = []
    default: list[dict[str, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        head, arrow, where = line.partition("->")
        if not arrow:
            raise Invalid(f"routes line {number}: add '-> slack:CHANNEL' (where it goes)", "routes")
        if head.strip().lower() == "default":
            default = _destinations(where, "routes", number)
            continue
        name, colon, criteria = head.partition(":")
        if not colon or not name.strip():
            raise Invalid(
                f"routes line {number}: start with a name and a colon, e.g. 'bugs:'", "routes"
            )
        rule: dict[str, Any] = {
            "name": name.strip(),
            "destinations": _destinations(where, "routes", number),
        }
        for word in criteria.split():
            if word.lower() == SENSITIVE:
                rule["sensitive"] = True
                continue
            key, eq, value = word.partition("=")
            if not eq or key not in _CRITERIA:
                known = ", ".join(_CRITERIA)
                raise Invalid(
                    f"routes line {number}: '{word}' is not one of {known}=VALUE or '{SENSITIVE}'",
                    "routes",
                )
            rule.setdefault(_CRITERIA[key], []).append(value)
        rules.append(rule)
    return {"rules": rules, "default": default}


def format_timeouts(config: TimeoutsConfig) -> str:
    minutes = " ".join(f"{s.value}={m}" for s, m in config.claim_minutes.items())
    return f"{minutes} untouched={config.untouched_hours}"


def parse_timeouts(text: str) -> dict[str, Any]:
    claim: dict[str, int] = {}
    untouched: int | None = None
    for word in text.split():
        key, eq, value = word.partition("=")
        if not eq or not value.isdigit() or key not in {*(s.value for s in Severity), "untouched"}:
            raise Invalid(f"timeouts: '{word}' is not like urgent=15 or untouched=24", "timeouts")
        if key == "untouched":
            untouched = int(value)
        else:
            claim[key] = int(value)
    current = TimeoutsConfig().model_dump(mode="json")
    current["claim_minutes"].update(claim)
    if untouched is not None:
        current["untouched_hours"] = untouched
    return current


def format_rota(config: RotaConfig) -> str:
    return "\n".join(
        f"{s.day.value} {s.start:%H:%M}-{s.end:%H:%M} {', '.join(s.emails)}" for s in config.shifts
    )


def parse_rota(text: str) -> dict[str, Any]:
    shifts = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = re.match(r"^\s*(\w{3})\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s+(.+)$", line)
        if not match:
            raise Invalid(
                f"rota line {number}: write it like 'mon 09:00-13:00 ana@example.com'", "rota"
            )
        day, start, end, people = match.groups()
        shifts.append(
            {
                "day": day.lower(),
                "start": start.zfill(5),
                "end": end.zfill(5),
                "emails": _emails(people),
            }
        )
    return {"shifts": shifts}


def _privacy(values: Mapping[str, str], before: Mapping[str, str]) -> dict[str, Any]:
    """Patterns one per line (a pattern may hold commas and blanks); full text yes or no;
    retention a number of days or blank; sensitive items elsewhere a stub or nothing."""
    shown = values.get("show_full_text", before["show_full_text"]).strip().lower()
    if shown not in _FROM_YES_NO:
        raise Invalid("show_full_text: answer yes or no", "show_full_text")
    elsewhere = values.get("sensitive_elsewhere", before["sensitive_elsewhere"]).strip().lower()
    if elsewhere not in {"stub", "nothing"}:
        raise Invalid("sensitive_elsewhere: answer stub or nothing", "sensitive_elsewhere")
    patterns = values.get("mask_patterns", before["mask_patterns"]).splitlines()
    days = values.get("retention_days", before["retention_days"]).strip()
    if days and not (days.isascii() and days.isdigit()):
        raise Invalid("retention_days: a whole number of days, e.g. 365", "retention_days")
    return {
        "patterns": patterns,
        "show_full_text": _FROM_YES_NO[shown],
        "retention_days": int(days) if days else None,
        "sensitive_elsewhere": elsewhere,
    }


def form_field(setting_path: str) -> str:
    """The form field a setting's error belongs to: "digest.timezone" → "timezone"."""
    key, _, rest = setting_path.partition(".")
    if key == "customers":
        return "customer_fields"
    if key == "privacy":
        attribute = rest.split(".", 1)[0]
        return attribute if attribute in FIELD_NAMES else "mask_patterns"
    if key == "digest":
        attribute = rest.split(".", 1)[0]
        return next((f for f, a in _DIGEST_FIELDS.items() if a == attribute), "digest_time")
    return key if key in FIELD_NAMES else setting_path


def current(admin: Admin) -> dict[str, str]:
    """Every field's current text, for pre-filling the form."""
    routes, timeouts, rota, digest, customers, privacy = (
        admin.read(key) for key in ("routes", "timeouts", "rota", "digest", "customers", "privacy")
    )
    assert isinstance(customers, CustomersConfig)
    assert isinstance(privacy, PrivacyConfig)
    assert isinstance(routes, RoutesConfig)
    assert isinstance(timeouts, TimeoutsConfig)
    assert isinstance(rota, RotaConfig)
    assert isinstance(digest, DigestSettings)
    values = {
        "leads": ", ".join(p.email or "" for p in admin.people("lead")),
        "execs": ", ".join(p.email or "" for p in admin.people("exec")),
        "routes": format_routes(routes),
        "timeouts": format_timeouts(timeouts),
        "rota": format_rota(rota),
        "customer_fields": ", ".join(customers.fields),
        "mask_patterns": "\n".join(privacy.patterns),
        "show_full_text": _YES_NO[privacy.show_full_text],
        "retention_days": str(privacy.retention_days or ""),
        "sensitive_elsewhere": privacy.sensitive_elsewhere,
    }
    stored = digest.model_dump()
    for field, attr in _DIGEST_FIELDS.items():
        value = stored[attr]
        values[field] = ", ".join(value) if isinstance(value, list) else (value or "")
    return values


def apply(admin: Admin, values: Mapping[str, str], who: Identity | None) -> list[str]:
    """Validate every submitted field, then save the changed ones; returns what changed.

    Nothing is saved when any field is wrong, and a non-lead changes nothing.
    """
    unknown = set(values) - set(FIELD_NAMES)
    if unknown:
        raise Invalid(f"unknown field {sorted(unknown)[0]}", sorted(unknown)[0])
    before = current(admin)
    changed = [
        name for name in FIELD_NAMES if name in values and values[name].strip() != before[name]
    ]
    settings: dict[str, Any] = {}
    if "routes" in changed:
        settings["routes"] = parse_routes(values["routes"])
    if "timeouts" in changed:
        settings["timeouts"] = parse_timeouts(values["timeouts"])
    if "rota" in changed:
        settings["rota"] = parse_rota(values["rota"])
    if "customer_fields" in changed:  # names may hold blanks: only commas separate them
        settings["customers"] = {"fields": values["customer_fields"].split(",")}
    if {"mask_patterns", "show_full_text", "retention_days", "sensitive_elsewhere"} & set(changed):
        settings["privacy"] = _privacy(values, before)
    if any(field in changed for field in _DIGEST_FIELDS):
        digest: dict[str, Any] = {}
        for field, attr in _DIGEST_FIELDS.items():
            text = values.get(field, before[field]).strip()
            digest[attr] = _words(text) if attr.endswith("channels") else (text or None)
        settings["digest"] = digest
    for key, value in settings.items():
        try:
            validate(key, value)  # all fields checked before anything is saved
        except Invalid as error:
            raise Invalid(error.message, form_field(error.field or key)) from None
    for role_field in ("leads", "execs"):
        bad = [e for e in _emails(values.get(role_field, "")) if not _EMAIL.match(e)]
        if role_field in changed and bad:
            raise Invalid(f"{role_field}: '{bad[0]}' is not an email address", role_field)
    admin.require_lead(who)
    for key, value in settings.items():
        admin.change(key, value, who)
    for role in ("lead", "exec"):
        field = f"{role}s"
        if field in changed:
            wanted = set(_emails(values[field]))
            have = set(_emails(before[field]))
            for email in sorted(wanted - have):
                admin.set_role(email, role, True, who)
            for email in sorted(have - wanted):
                admin.set_role(email, role, False, who)
    return changed
