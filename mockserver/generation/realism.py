"""What realistic values look like: value providers and the table that picks one for a field.

A *provider* turns a `random.Random` into a string (a UUID, a person's name, an ISO 4217 code, ...).
A field gets its provider from, in order: its `format`, the spec owner's own hints (declared in the
fixtures' `rules.py`), its name, values its description lists ("Status: draft, issued, void", "(e.g.
CM-001)"), words in its description, generic name patterns, and finally short plain words.
Numbers get a plausible window from the same kind of table (counts 0..25, money, percentages, ...).

Nothing here knows any particular API: the tables are generic patterns over names, formats and
descriptions, and `Realism(extra_hints=...)` puts a spec owner's hints in front of them.

The schema always wins: `enum`, `const` and `pattern` are never overridden, windows are intersected
with the schema's bounds, and strings are fitted to `minLength`/`maxLength` (see `fit_length`).
"""

from __future__ import annotations

import base64
import json
import re
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from random import Random
from typing import Any

from mockserver.generation import vocabulary as vocab

Provider = Callable[[Random], str]

# Format names the shaping step writes into string schemas: "x-mock:" + the JSON of a `ValueSpec`.
MOCK_FORMAT_PREFIX = "x-mock:"


# ---------------------------------------------------------------------------------------------
# Names


@lru_cache(maxsize=8192)
def normalize_name(name: str) -> str:
    """A field name as lower snake case: `createdAt` and `Created-At` both become `created_at`."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")


@lru_cache(maxsize=8192)
def singular(name: str) -> str:
    """A rough singular of a snake-case plural, to name an array's items (`line_items` -> `line_item`)."""
    if name.endswith("ies") and len(name) > 4:
        return name[:-3] + "y"
    if name.endswith(("sses", "xes", "ches", "shes")):
        return name[:-2]
    if name.endswith("s") and not name.endswith("ss") and len(name) > 3:
        return name[:-1]
    return name


# ---------------------------------------------------------------------------------------------
# Providers


@dataclass(frozen=True)
class DateWindow:
    """The window generated dates and timestamps fall in; fixed, so that bodies stay deterministic."""

    start: date = date(2024, 1, 1)
    end: date = date(2025, 12, 31)

    def days(self) -> int:
        return max(0, (self.end - self.start).days)


def _first_name(rng: Random) -> str:
    return rng.choice(vocab.FIRST_NAMES)


def _last_name(rng: Random) -> str:
    return rng.choice(vocab.LAST_NAMES)


def _person_name(rng: Random) -> str:
    return f"{_first_name(rng)} {_last_name(rng)}"


def _company_name(rng: Random) -> str:
    word, kind = rng.choice(vocab.COMPANY_WORDS), rng.choice(vocab.COMPANY_KINDS)
    shape = rng.randrange(3)
    if shape == 0:
        return f"{word} {kind}"
    if shape == 1:
        return f"{word} {kind} {rng.choice(vocab.COMPANY_SUFFIXES)}"
    return f"{word} {rng.choice(vocab.COMPANY_SUFFIXES)}"


def _domain(rng: Random) -> str:
    return (
        f"{rng.choice(vocab.COMPANY_WORDS).lower()}{rng.choice(vocab.COMPANY_KINDS).lower()}."
        f"{rng.choice(vocab.TOP_LEVEL_DOMAINS)}"
    )


def _email(rng: Random) -> str:
    first, last = _first_name(rng).lower(), _last_name(rng).lower()
    local = rng.choice((f"{first}.{last}", f"{first[0]}{last}", f"{first}{rng.randint(1, 99)}"))
    return f"{local}@{_domain(rng)}"


def _username(rng: Random) -> str:
    return (
        f"{_first_name(rng).lower()}{rng.choice(('.', '_', ''))}{_last_name(rng).lower()}{rng.randint(1, 99)}"
    )


def _phone(rng: Random) -> str:
    return f"+1-{rng.randint(201, 989)}-555-{rng.randint(100, 199):04d}"


def _url(rng: Random) -> str:
    return f"https://www.{_domain(rng)}/{rng.choice(vocab.URL_PATHS)}/{rng.randint(1, 9999)}"


def _url_path(rng: Random) -> str:
    return f"/{rng.choice(vocab.URL_PATHS)}/{rng.randint(1, 9999)}"


def _uri_template(rng: Random) -> str:
    return f"https://api.{_domain(rng)}/{rng.choice(vocab.URL_PATHS)}/{{id}}"


def _hostname(rng: Random) -> str:
    return f"{rng.choice(('api', 'www', 'app', 'mail'))}.{_domain(rng)}"


def _ipv4(rng: Random) -> str:
    return f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _ipv6(rng: Random) -> str:
    return "2001:db8:" + ":".join(f"{rng.getrandbits(16):x}" for _ in range(6))


def _uuid(rng: Random) -> str:
    digits = f"{rng.getrandbits(128):032x}"
    variant = "89ab"[int(digits[16], 16) & 3]
    return f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-{variant}{digits[17:20]}-{digits[20:]}"


def _street(rng: Random) -> str:
    return f"{rng.randint(1, 9999)} {rng.choice(vocab.STREET_NAMES)} {rng.choice(vocab.STREET_KINDS)}"


def _postal_code(rng: Random) -> str:
    return f"{rng.randint(1001, 99950):05d}"


def _words(rng: Random, low: int = 1, high: int = 3) -> str:
    return " ".join(rng.choice(vocab.WORDS) for _ in range(rng.randint(low, high)))


def _sentence(rng: Random) -> str:
    text = _words(rng, 4, 10)
    return text[0].upper() + text[1:] + "."


def _title(rng: Random) -> str:
    return f"{rng.choice(vocab.ADJECTIVES).title()} {rng.choice(vocab.NOUNS).title()}"


def _identifier(rng: Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(vocab.NOUNS)
    return f"{rng.choice(vocab.ADJECTIVES)}_{rng.choice(vocab.NOUNS)}"


def _slug(rng: Random) -> str:
    return f"{rng.choice(vocab.ADJECTIVES)}-{rng.choice(vocab.NOUNS)}-{rng.randint(1, 99)}"


def _money_string(rng: Random) -> str:
    return f"{rng.randint(100, 250_000) / 100:.2f}"


def _token(rng: Random) -> str:
    return base64.urlsafe_b64encode(rng.getrandbits(128).to_bytes(16, "big")).decode().rstrip("=")


def _hex_token(rng: Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def _base64(rng: Random) -> str:
    return base64.b64encode(rng.getrandbits(96).to_bytes(12, "big")).decode()


def _color(rng: Random) -> str:
    return rng.choice(vocab.COLORS)


def _version(rng: Random) -> str:
    return f"{rng.randint(0, 4)}.{rng.randint(0, 20)}.{rng.randint(0, 30)}"


def _file_name(rng: Random) -> str:
    return f"{rng.choice(vocab.NOUNS)}-{rng.randint(1, 9999):04d}.{rng.choice(vocab.FILE_EXTENSIONS)}"


def _duration(rng: Random) -> str:
    return rng.choice((f"P{rng.randint(1, 90)}D", f"PT{rng.randint(1, 23)}H{rng.randint(0, 59)}M"))


def _json_pointer(rng: Random) -> str:
    return f"/{rng.choice(vocab.NOUNS)}/{rng.randint(0, 9)}"


def _relative_json_pointer(rng: Random) -> str:
    return f"{rng.randint(0, 3)}/{rng.choice(vocab.NOUNS)}"


def _regex(rng: Random) -> str:
    return rng.choice(("^[a-z]+$", "^[A-Z]{3}$", "^\\d{4}-\\d{2}$", "^[a-z0-9_-]{3,16}$"))


def _choice(values: Sequence[str]) -> Provider:
    options = tuple(values)
    return lambda rng: rng.choice(options)


def _code(prefix: str) -> Provider:
    return lambda rng: f"{prefix}-{rng.randint(1, 99999):05d}"


def _shaped(example: str) -> Provider:
    """Values shaped like `example`: its digits redrawn, everything else kept (`CM-001` -> `CM-482`)."""

    def draw(rng: Random) -> str:
        return "".join(str(rng.randint(0, 9)) if ch.isdigit() else ch for ch in example)

    return draw


def _dates(window: DateWindow) -> tuple[Provider, Provider, Provider]:
    days = [(window.start + timedelta(days=offset)).isoformat() for offset in range(window.days() + 1)]

    def as_date(rng: Random) -> str:
        return rng.choice(days)

    def as_time(rng: Random) -> str:
        second = rng.randrange(86_400)
        return f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}Z"

    def as_datetime(rng: Random) -> str:
        return f"{rng.choice(days)}T{as_time(rng)}"

    return as_date, as_datetime, as_time


# Providers that take no argument, by kind.
_SIMPLE_KINDS: dict[str, Provider] = {
    "uuid": _uuid,
    "email": _email,
    "username": _username,
    "phone": _phone,
    "url": _url,
    "url_path": _url_path,
    "uri_template": _uri_template,
    "hostname": _hostname,
    "ipv4": _ipv4,
    "ipv6": _ipv6,
    "first_name": _first_name,
    "last_name": _last_name,
    "person_name": _person_name,
    "company_name": _company_name,
    "street": _street,
    "city": lambda rng: rng.choice(vocab.CITIES),
    "state": lambda rng: rng.choice(vocab.US_STATES),
    "postal_code": _postal_code,
    "country_code": lambda rng: rng.choice(vocab.COUNTRY_CODES),
    "country_name": lambda rng: rng.choice(vocab.COUNTRY_NAMES),
    "currency": lambda rng: rng.choice(vocab.CURRENCY_CODES),
    "language": lambda rng: rng.choice(vocab.LANGUAGE_CODES),
    "locale": lambda rng: rng.choice(vocab.LOCALES),
    "timezone": lambda rng: rng.choice(vocab.TIMEZONES),
    "mime_type": lambda rng: rng.choice(vocab.MIME_TYPES),
    "file_name": _file_name,
    "color": _color,
    "version": _version,
    "slug": _slug,
    "sentence": _sentence,
    "title": _title,
    "words": _words,
    "identifier": _identifier,
    "money": _money_string,
    "token": _token,
    "hex_token": _hex_token,
    "base64": _base64,
    "duration": _duration,
    "json_pointer": _json_pointer,
    "relative_json_pointer": _relative_json_pointer,
    "regex": _regex,
}

# JSON Schema / OpenAPI string formats -> the kind that produces valid, realistic values for them.
FORMAT_KINDS: dict[str, str] = {
    "date": "date",
    "date-time": "date_time",
    "time": "time",
    "duration": "duration",
    "uuid": "uuid",
    "email": "email",
    "idn-email": "email",
    "hostname": "hostname",
    "idn-hostname": "hostname",
    "ipv4": "ipv4",
    "ipv6": "ipv6",
    "uri": "url",
    "iri": "url",
    "uri-reference": "url_path",
    "iri-reference": "url_path",
    "uri-template": "uri_template",
    "json-pointer": "json_pointer",
    "relative-json-pointer": "relative_json_pointer",
    "regex": "regex",
    "byte": "base64",
    "binary": "base64",
    "password": "hex_token",
}


# ---------------------------------------------------------------------------------------------
# Hint tables


@dataclass(frozen=True)
class StringHint:
    """Strings whose normalized name fully matches `name` (or whose description matches) get `kind`."""

    kind: str
    name: str | None = None
    description: str | None = None
    format: str | None = None


@dataclass(frozen=True)
class NumberHint:
    """Numbers whose name fully matches `name` (or whose description matches) fall in [low, high]."""

    low: float
    high: float
    name: str | None = None
    description: str | None = None
    decimal: bool | None = None  # only for `number` (True) or `integer` (False) fields; None: both


@dataclass(frozen=True)
class CustomHint:
    """A spec owner's provider for matching string fields (declared in the fixtures' `rules.py`)."""

    label: str
    provider: Callable[[Random], Any]
    name: str | None = None
    description: str | None = None
    format: str | None = None


_MONEY_WORDS = r"amount|price|cost|fee|balance|subtotal|tax|total|payment|discount|salary|revenue"

SPECIFIC_STRING_HINTS: tuple[StringHint, ...] = (
    StringHint("email", name=r"(.*_)?e_?mail(_address)?|.*_email"),
    StringHint("phone", name=r"(.*_)?(phone|mobile|telephone|fax|cell)(_number)?"),
    StringHint("url", name=r"(.*_)?(url|uri|link|href|website|homepage|avatar|image|logo)"),
    StringHint("hostname", name=r"(.*_)?(host|hostname|domain|domain_name)"),
    StringHint("ipv6", name=r"(.*_)?ipv6(_address)?"),
    StringHint("ipv4", name=r"(.*_)?(ip|ipv4|ip_address|ipv4_address)"),
    StringHint("currency", name=r"(.*_)?currency(_code|_iso)?"),
    StringHint("country_code", name=r"(.*_)?country_(code|iso|iso2|alpha2)"),
    StringHint("country_name", name=r"(.*_)?country(_name)?"),
    StringHint("language", name=r"(.*_)?(language|lang)(_code)?"),
    StringHint("locale", name=r"(.*_)?locale"),
    StringHint("timezone", name=r"(.*_)?(timezone|time_zone|tz)"),
    StringHint("first_name", name=r"(.*_)?(first|given|middle)_name|firstname"),
    StringHint("last_name", name=r"(.*_)?(last|family)_name|surname|lastname"),
    StringHint(
        "company_name",
        name=r"(.*_)?(company|business|vendor|supplier|organization|organisation|org|"
        r"merchant|employer|payee|carrier|bank|brand|tenant)_?name",
    ),
    StringHint("company_name", name=r"company|vendor|supplier|organization|organisation|merchant|employer"),
    StringHint(
        "person_name",
        name=r"(.*_)?(customer|contact|person|user|employee|owner|author|full|display|"
        r"recipient|sender|assignee|member|client|patient|student|manager|"
        r"account_holder|holder|agent)_name|fullname|full_name",
    ),
    StringHint("username", name=r"(.*_)?(user_?name|login|handle|nickname|screen_name)"),
    StringHint("street", name=r"(.*_)?(street|street_address|address_line_?\d?|address\d?|line\d)"),
    StringHint("city", name=r"(.*_)?(city|town)"),
    StringHint(
        "state",
        name=r"(.*_)?(province|region|state_code|state_province)|"
        r"(billing|shipping|mailing|home|address)_state",
    ),
    StringHint("postal_code", name=r"(.*_)?(zip|zip_code|zipcode|postal_code|postcode)"),
    StringHint("token", name=r"(.*_)?(cursor|page_token|continuation_token|next_token|token|refresh_token)"),
    StringHint(
        "hex_token", name=r"(.*_)?(secret|api_key|access_key|password|hash|signature|checksum|etag|nonce)"
    ),
    StringHint("mime_type", name=r"(.*_)?(mime_type|content_type|media_type|mimetype)"),
    StringHint("file_name", name=r"(.*_)?(file_?name|filename)"),
    StringHint("color", name=r"(.*_)?colou?r"),
    StringHint("version", name=r"(.*_)?version"),
    StringHint("slug", name=r"(.*_)?slug"),
    StringHint(
        "money",
        name=rf"(.*_)?({_MONEY_WORDS})(_(in_)?(dollars|usd|amount|due|paid|remaining|applied))?"
        r"|.*_dollars|.*_in_(usd|eur|gbp)",
    ),
)

DESCRIPTION_STRING_HINTS: tuple[StringHint, ...] = (
    StringHint("email", description=r"\be-?mail\b"),
    StringHint("currency", description=r"iso[- ]?4217|currency code"),
    StringHint("country_code", description=r"iso[- ]?3166|country code"),
    StringHint("uuid", description=r"\buuid\b|\bguid\b"),
    StringHint("url", description=r"\burl\b|\buri\b|\blink to\b"),
    StringHint("phone", description=r"\bphone\b"),
    StringHint("date_time", description=r"\btimestamp\b|\bdate[- ]time\b"),
)

GENERIC_STRING_HINTS: tuple[StringHint, ...] = (
    StringHint("uuid", name=r"id|uuid|guid|.*_id|.*_uuid|.*_guid|.*_ids?"),
    StringHint("date_time", name=r".*_at|.*_time|.*timestamp|.*_datetime"),
    StringHint("date", name=r".*_date|.*_on|date|dob|birthday"),
    StringHint(
        "sentence",
        name=r"(.*_)?(description|desc|notes?|comments?|remarks?|memo|message|msg|summary|detail|error|"
        r"details|bio|about|body|content|text|reason|instructions|explanation)",
    ),
    StringHint("title", name=r"(.*_)?(title|subject|headline|caption|label|display|name)"),
    StringHint(
        "identifier",
        name=r"(.*_)?(status|state|stage|kind|type|category|mode|level|tier|role|source|"
        r"channel|method|frequency|interval|unit|tag|code|key)",
    ),
    StringHint("code", name=r"(.*_)?(sku|reference|ref|number|no|num)"),
)

NUMBER_HINTS_BY_DESCRIPTION: tuple[NumberHint, ...] = (
    NumberHint(0, 25, description=r"\bnumber of\b|\bcount of\b|\bhow many\b"),
    NumberHint(100, 500_000, description=r"\bcents?\b"),
    NumberHint(0, 100, description=r"\bpercent(age)?\b|%"),
)

NUMBER_HINTS_BY_NAME: tuple[NumberHint, ...] = (
    NumberHint(0, 25, name=r"(.*_)?(count|quantity|qty)|num_.*|number_of_.*"),
    NumberHint(1, 20, name=r"page|page_number|page_index"),
    NumberHint(10, 100, name=r"limit|page_size|per_page|size|max_results"),
    NumberHint(0, 200, name=r"offset|skip"),
    NumberHint(0, 500, name=r"total|total_count|total_items|total_results"),
    NumberHint(1, 2500, name=rf"(.*_)?({_MONEY_WORDS})(_.*)?|.*_(due|paid|remaining|applied)", decimal=True),
    NumberHint(100, 250_000, name=rf"(.*_)?({_MONEY_WORDS})(_.*)?|.*_cents|.*_(due|paid|remaining|applied)"),
    NumberHint(18, 90, name=r"(.*_)?age"),
    NumberHint(2015, 2030, name=r"(.*_)?year"),
    NumberHint(1, 12, name=r"(.*_)?month"),
    NumberHint(1, 28, name=r"(.*_)?day"),
    NumberHint(0, 23, name=r"(.*_)?hour"),
    NumberHint(0, 59, name=r"(.*_)?(minute|second)"),
    NumberHint(-90, 90, name=r"(.*_)?(latitude|lat)"),
    NumberHint(-180, 180, name=r"(.*_)?(longitude|lng|lon|long)"),
    NumberHint(0, 100, name=r"(.*_)?(percent|percentage|pct|rate|score)"),
    NumberHint(0, 1, name=r"(.*_)?ratio"),
    NumberHint(1, 5, name=r"(.*_)?(rating|stars)"),
    NumberHint(1024, 65535, name=r"(.*_)?port"),
    NumberHint(1, 99_999, name=r"id|.*_id"),
    NumberHint(1, 20, name=r"(.*_)?(version|revision)"),
    NumberHint(0, 100, name=r"(.*_)?(priority|rank|position|order|index|sort_order|sequence)"),
    NumberHint(1, 3600, name=r"(.*_)?(duration|seconds|timeout|ttl|elapsed)"),
    NumberHint(1, 1000, name=r"(.*_)?(weight|height|width|length|depth)"),
)

# Timestamps that open and close a record's life; other timestamps of the record fall between them.
_CREATED = re.compile(r"(.*_)?(created|creation|inserted|registered)(_at|_on|_date|_time|_timestamp)?")
_UPDATED = re.compile(
    r"(.*_)?(updated|modified|changed|last_modified|last_updated|edited)"
    r"(_at|_on|_date|_time|_timestamp)?"
)
# Timestamps that may lie after the last update (deadlines, expiries): left out of the ordering.
_FUTURE = re.compile(
    r"(.*_)?(expires?|expiry|expiration|due|deadline|end|ends|scheduled|next|valid_until)"
    r"(_at|_on|_date|_time|_timestamp)?"
)

# "(e.g. pricing_error, refund, other)" and "Status: draft, issued, void".
_EXAMPLES_IN_PARENS = re.compile(
    r"\((?:e\.g\.|eg\.?|for example|such as|like)[:,]?\s*([^)]*)\)", re.IGNORECASE
)
_LIST_AFTER_COLON = re.compile(r":\s*([^.;()]+)")
_TOKEN = re.compile(r"[a-z][a-z0-9_\-]*")


def values_listed_in(description: str) -> list[str]:
    """Lower-case codes a description enumerates ("Status: draft, issued, void"), or []."""
    for pattern in (_EXAMPLES_IN_PARENS, _LIST_AFTER_COLON):
        for match in pattern.finditer(description):
            items = [item.strip().strip("'\"`") for item in re.split(r",|\||\bor\b|\band\b", match.group(1))]
            items = [item for item in items if item]
            if len(items) >= 2 and all(_TOKEN.fullmatch(item) for item in items):
                return items
    return []


def example_shape_in(description: str) -> str | None:
    """A single code a description shows as an example ("(e.g. CM-001)"), when it has digits to vary."""
    match = _EXAMPLES_IN_PARENS.search(description)
    if match is None:
        return None
    example = match.group(1).strip().strip("'\"`")
    if "," in example or " " in example or not any(ch.isdigit() for ch in example) or len(example) > 40:
        return None
    return example


def code_prefix(name: str) -> str:
    """`INV` for `invoice_number`: the first word's first three letters, upper case."""
    first = normalize_name(name).split("_")[0] or "ref"
    return (first[:3] if len(first) >= 3 else "REF").upper()


# ---------------------------------------------------------------------------------------------
# The table as a whole


@dataclass(frozen=True)
class FieldFacts:
    """What shaping knows about a string or number field when it picks realism for it."""

    names: tuple[str, ...]  # normalized; the property name first, then e.g. the component name
    description: str = ""
    format: str | None = None
    examples: tuple[Any, ...] = ()
    decimal: bool = False  # a `number` (rather than an `integer`) field


class Realism:
    """The realism table: picks a value kind for a field and resolves kinds to providers."""

    def __init__(self, *, extra_hints: Iterable[CustomHint] = (), dates: DateWindow | None = None) -> None:
        self.extra_hints = tuple(extra_hints)
        self.dates = dates or DateWindow()
        self._custom = {f"custom:{hint.label}": hint.provider for hint in self.extra_hints}
        as_date, as_datetime, as_time = _dates(self.dates)
        self._kinds: dict[str, Provider] = {
            **_SIMPLE_KINDS,
            "date": as_date,
            "date_time": as_datetime,
            "time": as_time,
        }
        self._providers: dict[str, Provider | None] = {}
        self._string_kinds: dict[tuple[tuple[str, ...], str, str | None], dict[str, Any]] = {}

    # -- choosing --------------------------------------------------------------------------

    def string_format(self, facts: FieldFacts) -> str | None:
        """The `x-mock:` format to write into a string schema, or None to leave its format alone."""
        if facts.format in FORMAT_KINDS:
            return None  # a standard format already has a realistic provider
        spec = self.string_spec(facts)
        return MOCK_FORMAT_PREFIX + json.dumps(spec, sort_keys=True, separators=(",", ":"))

    def string_spec(self, facts: FieldFacts) -> dict[str, Any]:
        """The value spec (`{"kind": ..., "arg": ..., "examples": [...]}`) for a string field."""
        spec = self._string_kind(facts)
        examples = [value for value in facts.examples if isinstance(value, str)]
        if examples:
            spec["examples"] = examples
        return spec

    def _string_kind(self, facts: FieldFacts) -> dict[str, Any]:
        """`_chosen_string_kind`, remembered by what it reads (names, description, format): the same field
        names come back all over a spec, and each choice tries dozens of patterns (half of shaping a large
        spec's schemas)."""
        key = (facts.names, facts.description, facts.format)
        chosen = self._string_kinds.get(key)
        if chosen is None:
            chosen = self._string_kinds[key] = self._chosen_string_kind(facts)
        return dict(chosen)

    def _chosen_string_kind(self, facts: FieldFacts) -> dict[str, Any]:
        description = facts.description.lower()
        for hint in self.extra_hints:
            if _matches(hint, facts, description):
                return {"kind": f"custom:{hint.label}"}
        if facts.format:
            by_format = _kind_for_unknown_format(facts.format)
            if by_format:
                return {"kind": by_format}
        found = _first_kind(SPECIFIC_STRING_HINTS, facts, description)
        if found:
            return {"kind": found}
        listed = values_listed_in(facts.description)
        if listed:
            return {"kind": "choice", "arg": listed}
        shape = example_shape_in(facts.description)
        if shape:
            return {"kind": "shaped", "arg": shape}
        found = _first_kind(DESCRIPTION_STRING_HINTS, facts, description) or _first_kind(
            GENERIC_STRING_HINTS, facts, description
        )
        if found == "code":
            return {"kind": "code", "arg": code_prefix(facts.names[0] if facts.names else "ref")}
        return {"kind": found or "words"}

    def number_window(self, facts: FieldFacts) -> tuple[float, float] | None:
        """A plausible [low, high] for a number field, or None when nothing is known about it."""
        description = facts.description.lower()
        for hint in NUMBER_HINTS_BY_DESCRIPTION:
            if hint.description and re.search(hint.description, description):
                return hint.low, hint.high
        for name in facts.names:
            for hint in NUMBER_HINTS_BY_NAME:
                if hint.decimal not in (None, facts.decimal):
                    continue
                if hint.name and re.fullmatch(hint.name, name):
                    return hint.low, hint.high
        return None

    # -- resolving -------------------------------------------------------------------------

    def provider(self, format_name: str) -> Provider | None:
        """The provider behind a standard format or an `x-mock:` format; None for unknown formats."""
        if format_name in self._providers:
            return self._providers[format_name]
        provider: Provider | None
        if format_name.startswith(MOCK_FORMAT_PREFIX):
            provider = self._from_spec(json.loads(format_name[len(MOCK_FORMAT_PREFIX) :]))
        elif format_name in FORMAT_KINDS:
            provider = self._kinds[FORMAT_KINDS[format_name]]
        else:
            provider = None
        self._providers[format_name] = provider
        return provider

    def _from_spec(self, spec: Mapping[str, Any]) -> Provider:
        kind = spec["kind"]
        arg: Any = spec.get("arg")  # JSON written by `string_format`: what the kind needs
        if kind == "choice":
            base = _choice(arg)
        elif kind == "shaped":
            base = _shaped(arg)
        elif kind == "code":
            base = _code(arg)
        elif kind in self._custom:
            custom = self._custom[kind]
            base = lambda rng: str(custom(rng))  # noqa: E731
        else:
            base = self._kinds.get(kind, _words)
        examples = tuple(spec.get("examples") or ())
        if not examples:
            return base
        return lambda rng: rng.choice(examples) if rng.random() < 0.3 else base(rng)

    def kind_provider(self, kind: str) -> Provider:
        """A provider by kind name (`"words"`, `"identifier"`, `"date_time"`, ...)."""
        return self._kinds[kind]

    # -- records ---------------------------------------------------------------------------

    @staticmethod
    def timestamp_role(name: str) -> str | None:
        """ "first", "last" or "between" for a record's timestamp field; None when it keeps its own value."""
        normalized = normalize_name(name)
        if _CREATED.fullmatch(normalized):
            return "first"
        if _UPDATED.fullmatch(normalized):
            return "last"
        if _FUTURE.fullmatch(normalized):
            return None
        return "between"


def _matches(hint: StringHint | CustomHint, facts: FieldFacts, description: str) -> bool:
    if hint.format is not None and facts.format == hint.format:
        return True
    if hint.name is not None and any(re.fullmatch(hint.name, name) for name in facts.names):
        return True
    return hint.description is not None and re.search(hint.description, description) is not None


def _first_kind(hints: Iterable[StringHint], facts: FieldFacts, description: str) -> str | None:
    for name in facts.names:
        for hint in hints:
            if hint.name is not None and re.fullmatch(hint.name, name):
                return hint.kind
    for hint in hints:
        if hint.description is not None and re.search(hint.description, description):
            return hint.kind
    return None


@lru_cache(maxsize=256)
def _kind_for_unknown_format(format_name: str) -> str | None:
    """Custom formats often say what they hold ("phone", "currency", "country-code")."""
    facts = FieldFacts(names=(normalize_name(format_name),))
    return _first_kind(SPECIFIC_STRING_HINTS, facts, "")


# ---------------------------------------------------------------------------------------------
# Helpers used by the generator


_PADDING = string.ascii_lowercase


def fit_length(text: str, low: int | None, high: int | None, rng: Random) -> str:
    """`text` cut or padded (with letters) into the length window [low, high]."""
    if high is not None and len(text) > high:
        text = text[:high].rstrip() if high > 0 else ""
        if low is not None and len(text) < low:
            text = text + "".join(rng.choice(_PADDING) for _ in range(low - len(text)))
    if low is not None and len(text) < low:
        text = text + "".join(rng.choice(_PADDING) for _ in range(low - len(text)))
    return text


NUMBER_SPAN = 1000  # how wide the window of a number is when neither schema nor name says more


def plausible_window(low: Any, high: Any) -> tuple[Any, Any]:
    """The bounds a schema gives, completed where they are open: 0..1000, or 1000 wide next to a bound."""
    if low is None and high is None:
        return 0, NUMBER_SPAN
    if low is None:
        return (0, min(high, NUMBER_SPAN)) if high > 0 else (high - NUMBER_SPAN, high)
    if high is None:
        return low, max(low, 0) + NUMBER_SPAN
    return low, high


def realistic_scalar(rng: Random) -> Any:
    """A plausible value for a field that admits anything."""
    roll = rng.random()
    if roll < 0.55:
        return _words(rng)
    if roll < 0.8:
        return rng.randint(0, 1000)
    if roll < 0.92:
        return rng.random() < 0.5
    return None


def realistic_key(rng: Random) -> str:
    """A plausible key for a free-form object."""
    return _identifier(rng)
