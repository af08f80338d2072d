"""What the stores' codes mean, for the printed pack.

The stores keep DfE census codes (ethnicity ``WOTH``, first language
``LIT``, SEND need ``SLCN``), enumerations (``paper_signature``) and internal
ids. A parent reading the PDF is owed all of their child's data, in words
they can follow: ``readable_data`` gives an item's data as the PDF shows it,

- a DfE code with its meaning and the code itself ("White, any other White
  background (WOTH)", with an en dash after the group), so nothing recorded
  is hidden; a code not in the tables is shown as it is;
- an enumeration in plain English ("Signed paper form");
- a person kind as the title of the store that holds that kind of record;
- without internal ids (fields named ``id`` or ``*_id``, values that are
  UUIDs), which mean nothing on paper and are kept, with every raw code,
  in the machine-readable copy (``app.exports.package``), which renders
  ``PackContent`` as stored.

Only the PDF uses this module: ``PackContent`` itself is never changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from app.collect.looks import ACTOR_KIND, CANDIDATES_AREA, ITEMS_AREA, SCHOOL_USER
from app.exports.access import LINK_CONTROLLER, LINK_REQUESTER, LINK_SCHOOL_CONTACT, PACK_AREA
from app.review.listing import REVIEW_AREA
from app.review.schedule import SCHEDULE_AREA
from app.sources.consent.models import ConsentDecision, ConsentMethod
from app.sources.consent.services import PURPOSE_PATTERN
from app.sources.protocol import PersonKind
from app.sources.pupils.models import SendProvision
from app.sources.registry import get_source

UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_PURPOSE = re.compile(PURPOSE_PATTERN)

# An ethnic group and the background within it, as the census forms put it.
_DASH = " \u2013 "  # an en dash
_WHITE, _MIXED, _ASIAN = "White", "Mixed", "Asian or Asian British"
_BLACK, _CHINESE, _OTHER = "Black or Black British", "Chinese", "Any other ethnic group"


def _in(group: str, background: str) -> str:
    return f"{group}{_DASH}{background}"


# DfE ethnicity codes (school census): every main code, which is what the
# demo seed and its import checks use (``app.demo.data_people``), and the
# commonest extended ones a school MIS may hold instead.
ETHNICITIES: dict[str, str] = {
    "WBRI": _in(_WHITE, "British"),
    "WIRI": _in(_WHITE, "Irish"),
    "WIRT": _in(_WHITE, "Traveller of Irish heritage"),
    "WROM": _in(_WHITE, "Gypsy or Roma"),
    "WOTH": _in(_WHITE, "any other White background"),
    "MWBC": _in(_MIXED, "White and Black Caribbean"),
    "MWBA": _in(_MIXED, "White and Black African"),
    "MWAS": _in(_MIXED, "White and Asian"),
    "MOTH": _in(_MIXED, "any other mixed background"),
    "AIND": _in(_ASIAN, "Indian"),
    "APKN": _in(_ASIAN, "Pakistani"),
    "ABAN": _in(_ASIAN, "Bangladeshi"),
    "AOTH": _in(_ASIAN, "any other Asian background"),
    "BCRB": _in(_BLACK, "Caribbean"),
    "BAFR": _in(_BLACK, "African"),
    "BOTH": _in(_BLACK, "any other Black background"),
    "CHNE": "Chinese",
    "OOTH": "Any other ethnic group",
    "REFU": "Refused (the family chose not to say)",
    "NOBT": "Information not yet obtained",
    # Extended codes (each belongs to one of the main groups above).
    "WENG": _in(_WHITE, "English"),
    "WSCO": _in(_WHITE, "Scottish"),
    "WWEL": _in(_WHITE, "Welsh"),
    "WCOR": _in(_WHITE, "Cornish"),
    "WOWB": _in(_WHITE, "other White British"),
    "WROG": _in(_WHITE, "Gypsy"),
    "WROR": _in(_WHITE, "Roma"),
    "AMPK": _in(_ASIAN, "Mirpuri Pakistani"),
    "AKPA": _in(_ASIAN, "Kashmiri Pakistani"),
    "AOPK": _in(_ASIAN, "other Pakistani"),
    "ANEP": _in(_ASIAN, "Nepali"),
    "BGHA": _in(_BLACK, "Ghanaian"),
    "BNGN": _in(_BLACK, "Nigerian"),
    "BSOM": _in(_BLACK, "Somali"),
    "BSUD": _in(_BLACK, "Sudanese"),
    "CHKC": _in(_CHINESE, "Hong Kong Chinese"),
    "OAFG": _in(_OTHER, "Afghan"),
    "OIRN": _in(_OTHER, "Iranian"),
    "OIRQ": _in(_OTHER, "Iraqi"),
    "OKRD": _in(_OTHER, "Kurdish"),
    "OFIL": _in(_OTHER, "Filipino"),
    "OJPN": _in(_OTHER, "Japanese"),
    "OKOR": _in(_OTHER, "Korean"),
    "OVIE": _in(_OTHER, "Vietnamese"),
}

# DfE first-language codes (three letters from ISO 639-2, a fourth for a
# variety): every code the demo seed gives (``app.demo.data_people``), and
# the languages most often recorded in English schools.
LANGUAGES: dict[str, str] = {
    "ENG": "English",
    "ENB": "Believed to be English",
    "OTB": "Believed to be other than English",
    "OTL": "Other than English",
    "NOT": "Information not obtained",
    "REF": "Refused (the family chose not to say)",
    "AKA": "Akan (Twi/Fante)",
    "AKAF": "Akan (Fante)",
    "AKAT": "Akan (Twi/Asante)",
    "ALB": "Albanian",
    "AMR": "Amharic",
    "ARA": "Arabic",
    "BNG": "Bengali",
    "BNGS": "Bengali (Sylheti)",
    "BSL": "British Sign Language",
    "BUL": "Bulgarian",
    "CHI": "Chinese",
    "CHIC": "Chinese (Cantonese)",
    "CHIM": "Chinese (Mandarin)",
    "CYM": "Welsh",
    "CZE": "Czech",
    "DUT": "Dutch or Flemish",
    "FRN": "French",
    "GER": "German",
    "GRE": "Greek",
    "GUJ": "Gujarati",
    "HGR": "Hungarian",
    "HIN": "Hindi",
    "IGB": "Igbo",
    "ITA": "Italian",
    "KUR": "Kurdish",
    "LIT": "Lithuanian",
    "LTV": "Latvian",
    "MLM": "Malayalam",
    "NEP": "Nepali",
    "PAT": "Pashto",
    "PHR": "Pahari (Pakistan)",
    "PNJ": "Panjabi",
    "PAN": "Panjabi",  # the ISO 639-2 code, which some systems use instead of PNJ
    "POL": "Polish",
    "POR": "Portuguese",
    "PRS": "Persian (Farsi)",
    "RME": "Romany (English Romanes)",
    "RMN": "Romanian",
    # Not in the DfE list (which has RME, RMI and RMN); the demo seed uses it
    # for Roma families, as ISO 639-2 does for Romany.
    "ROM": "Romany",
    "RUS": "Russian",
    "SLO": "Slovak",
    "SOM": "Somali",
    "SPA": "Spanish",
    "SWA": "Swahili",
    "TAM": "Tamil",
    "TEL": "Telugu",
    "TGR": "Tigrinya",
    "TUR": "Turkish",
    "UKR": "Ukrainian",
    "URD": "Urdu",
    "VIE": "Vietnamese",
    "YOR": "Yoruba",
}

# DfE SEN primary need codes.
SEND_NEEDS: dict[str, str] = {
    "SPLD": "Specific learning difficulty (for example dyslexia)",
    "MLD": "Moderate learning difficulty",
    "SLD": "Severe learning difficulty",
    "PMLD": "Profound and multiple learning difficulty",
    "SEMH": "Social, emotional and mental health",
    "SLCN": "Speech, language and communication needs",
    "HI": "Hearing impairment",
    "VI": "Visual impairment",
    "MSI": "Multi-sensory impairment",
    "PD": "Physical disability",
    "ASD": "Autistic spectrum disorder",
    "OTH": "Other difficulty or disability",
    "NSA": "SEN support but no specialist assessment of the type of need",
}

# DfE SEN provision codes (``SendProvision``).
SEND_PROVISIONS: dict[str, str] = {
    SendProvision.SEN_SUPPORT.value: "SEN support",
    SendProvision.EHC_PLAN.value: "Education, health and care plan",
}

# DfE census gender codes (pupils' and staff records).
GENDERS: dict[str, str] = {"M": "Male", "F": "Female", "U": "Not known"}

# Key stage 1 and 2 teacher assessment outcomes.
ASSESSMENT_RESULTS: dict[str, str] = {
    "GDS": "Working at greater depth within the expected standard",
    "EXS": "Working at the expected standard",
    "WTS": "Working towards the expected standard",
    "PK": "Working at the pre-key stage standards",
}

# National curriculum year groups that are not simply a number.
YEAR_GROUPS: dict[str, str] = {"N1": "Nursery (first year)", "N2": "Nursery", "R": "Reception"}

# Consent purposes the seed and the schools' ledgers use; any other purpose
# is shown as its words ("trip_medical" as "Trip medical"), as the public
# withdrawal page shows it.
CONSENT_PURPOSES: dict[str, str] = {
    "photos_school_website": "Photographs on the school website and in the newsletter",
    "photos_public_website": "Photographs on the school website",
    "photos_website": "Photographs on the school website",
    "photos_social_media": "Photographs on the school's social media accounts",
    "biometric_catering": "Fingerprint (biometric) use for cashless catering",
    "contact_text_reminders": "Text-message reminders from the school",
    "trip_medical": "Medical treatment on school trips",
}
CONSENT_METHODS: dict[str, str] = {
    ConsentMethod.WEB.value: "Online form",
    ConsentMethod.PAPER_SIGNATURE.value: "Signed paper form",
    ConsentMethod.VERBAL.value: "Spoken (in person or by telephone)",
}
CONSENT_DECISIONS: dict[str, str] = {
    ConsentDecision.GRANTED.value: "Given",
    ConsentDecision.WITHDRAWN.value: "Withdrawn",
}

# The access log: who looked, what they did and where.
ACTOR_KINDS: dict[str, str] = {
    SCHOOL_USER: "School staff",
    "support_agent": "The software provider's support team",
    ACTOR_KIND: "Staff handling data protection requests",
    LINK_SCHOOL_CONTACT: "The school's data protection contact, through a secure download link",
    LINK_REQUESTER: "The person who made the request, through a secure download link",
    LINK_CONTROLLER: "An organisation the person asked to receive their data, through a secure download link",
    "system": "An automatic process",
}
ACCESS_ACTIONS: dict[str, str] = {
    "view": "Looked at",
    "update": "Changed",
    "export": "Exported",
    "print": "Printed",
}
ACCESS_AREAS: dict[str, str] = {
    CANDIDATES_AREA: "Data protection request: the records found for the person asked about",
    ITEMS_AREA: "Data protection request: the data gathered from the records",
    REVIEW_AREA: "Data protection request: reviewing the data before it was sent",
    SCHEDULE_AREA: "Data protection request: the list of what was disclosed or withheld",
    PACK_AREA: "Data protection request: the response, with a copy of the data, downloaded",
}

# People named in a message, by the kind of record that names them.
PERSON_NOUNS: dict[str, str] = {
    PersonKind.PUPIL.value: "pupil",
    PersonKind.CONTACT.value: "parent or carer",
    PersonKind.EMPLOYEE.value: "member of staff",
}
# The store holding each kind of person's records, by source name.
_PERSON_SOURCES: dict[str, str] = {
    PersonKind.PUPIL.value: "pupils",
    PersonKind.CONTACT.value: "contacts",
    PersonKind.EMPLOYEE.value: "employees",
}

RECIPIENT_KINDS: dict[str, str] = {"to": "To", "cc": "Copy (cc)", "bcc": "Blind copy (bcc)"}
MESSAGE_ROLES: dict[str, str] = {
    "sender": "the sender",
    "recipient": "a recipient",
    "named": "named in the message",
}
CHANNELS: dict[str, str] = {
    "email": "Email",
    "letter": "Letter",
    "in-app": "Message in the school's app",
    "chat": "Online chat",
    "telephone": "Telephone",
}
TICKET_STATUSES: dict[str, str] = {
    "triage": "Being looked at",
    "escalated": "Passed to a specialist",
    "resolved": "Resolved",
}
TICKET_ENTRY_KINDS: dict[str, str] = {
    "chat": "Chat message",
    "email": "Email",
    "call_note": "Note of a telephone call",
    "internal_note": "Support team's note",
}
AUTHOR_ROLES: dict[str, str] = {"customer": "School staff", "agent": "Support team"}


def coded(table: Mapping[str, str]) -> Callable[[Any], Any]:
    """A DfE code as its meaning with the code: "Lithuanian (LIT)"."""

    def show(value: Any) -> Any:
        meaning = table.get(value) if isinstance(value, str) else None
        return f"{meaning} ({value})" if meaning else value

    return show


def named(table: Mapping[str, str], *, words: bool = False) -> Callable[[Any], Any]:
    """An enumeration in words; one not in ``table`` as it is, or (``words``)
    with its underscores as spaces."""

    def show(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if value in table:
            return table[value]
        if words and _PURPOSE.fullmatch(value):
            return value.replace("_", " ").capitalize()
        return value

    return show


def person_kind(value: Any) -> Any:
    """A kind of person as the title of the store holding their records."""
    name = _PERSON_SOURCES.get(value) if isinstance(value, str) else None
    if name is None:
        return value
    try:
        return get_source(name).title
    except LookupError:
        return value


def year_group(value: Any) -> Any:
    if isinstance(value, str) and value.isdigit():
        return f"Year {int(value)}"
    return YEAR_GROUPS.get(value, value) if isinstance(value, str) else value


# How each field reads, by its name, or by "list.field" inside a list of
# records (the "kind" of a message's recipients is not a ticket entry's).
FIELDS: dict[str, Callable[[Any], Any]] = {
    "ethnicity": coded(ETHNICITIES),
    "first_language": coded(LANGUAGES),
    "primary_need": coded(SEND_NEEDS),
    "provision": coded(SEND_PROVISIONS),
    "gender": coded(GENDERS),
    "year_group": year_group,
    "assessments.result": coded(ASSESSMENT_RESULTS),
    "purpose": named(CONSENT_PURPOSES, words=True),
    "method": named(CONSENT_METHODS),
    "decision": named(CONSENT_DECISIONS),
    "person_kind": person_kind,
    "entries.actor_kind": named(ACTOR_KINDS),
    "entries.action": named(ACCESS_ACTIONS),
    "entries.area": named(ACCESS_AREAS),
    "entries.kind": named(TICKET_ENTRY_KINDS),
    "entries.author_role": named(AUTHOR_ROLES),
    "recipients.kind": named(RECIPIENT_KINDS),
    "people_tagged.kind": named(PERSON_NOUNS),
    "subject_is": named(MESSAGE_ROLES),
    "channel": named(CHANNELS),
    "status": named(TICKET_STATUSES),
}


def is_internal_id(key: str, value: Any) -> bool:
    """A database id: a field named ``id`` or ``*_id``, or a UUID on its own."""
    if key == "id" or key.endswith("_id"):
        return True
    if isinstance(value, str):
        return UUID.fullmatch(value.strip()) is not None
    if isinstance(value, list) and value:
        return all(isinstance(v, str) and UUID.fullmatch(v.strip()) for v in value)
    return False


def readable_value(path: str, key: str, value: Any) -> Any:
    decode = FIELDS.get(path) or FIELDS.get(key)
    if decode is None:
        return value
    if isinstance(value, list):
        return [decode(v) for v in value]
    return decode(value)


def readable_data(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``data`` as the PDF shows it: internal ids left out, codes decoded.

    A redacted value no longer equals its code, so it is shown as it is,
    marker and all; nothing else is changed or dropped."""
    shown: dict[str, Any] = {}
    for key, value in data.items():
        key = str(key)
        if is_internal_id(key, value):
            continue
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            shown[key] = readable_data(value, f"{path}.")
        elif isinstance(value, list) and any(isinstance(v, Mapping) for v in value):
            shown[key] = [readable_data(v, f"{key}.") if isinstance(v, Mapping) else v for v in value]
        else:
            shown[key] = readable_value(path, key, value)
    return shown


def readable_title(category: str, title: str) -> str:
    """An item's title with a consent purpose code in words ("Consent
    given: photos_social_media" reads "Consent given: Photographs on the
    school's social media accounts")."""
    if category != "consent":
        return title
    head, colon, code = title.rpartition(": ")
    if not colon or not _PURPOSE.fullmatch(code):
        return title
    return f"{head}: {named(CONSENT_PURPOSES, words=True)(code)}"
