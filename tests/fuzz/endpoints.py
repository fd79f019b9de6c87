"""Every form and POST endpoint of every role, and how Hypothesis draws requests for it.

Each entry names an endpoint and a strategy for whole requests: who sends it (the usual role
first, then roles that should be turned away), the path (with hostile references and ids),
and the form, whose fields are valid by default and hostile in a few places (tests/fuzz/shapes.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from advisory.models import (
    CaseStatus,
    CloseOutcome,
    Field,
    Happened,
    Kind,
    Language,
    ReporterRole,
)
from advisory.services.case_actions import CallbackOutcome
from advisory.services.phone_intake import PhoneOutcome
from advisory.settings import SUPPORTED_LOCALES
from advisory.text_limits import MAX_MESSAGE_CHARS, MAX_NARRATIVE_CHARS, MAX_REPLY_CHARS
from tests.fuzz import shapes
from tests.fuzz.shapes import (
    CSRF,
    at,
    choice,
    forged_envelopes,
    gets,
    mostly,
    posts,
    text_field,
    valid_or,
)
from tests.fuzz.shapes import Field as FormField
from tests.fuzz.values import (
    Around,
    Body,
    FuzzRequest,
    OutcomeName,
    Ref,
    Repeat,
    Sealed,
    Value,
)

# --- values -------------------------------------------------------------------------------------

YES_NO = choice(["yes", "no"])
# Texts at and just past the forms' limits in characters are drawn often.
NARRATIVE = text_field(MAX_NARRATIVE_CHARS, "Kanarifugl", "Hei!\nEn linje til.")
MESSAGE_TEXT = text_field(MAX_MESSAGE_CHARS, "Takk for svaret.")
REPLY_TEXT = text_field(MAX_REPLY_CHARS, "Hei, vi har lest saken.")
QUESTIONNAIRE = {
    "kind": choice([kind.value for kind in Kind]),
    "reporter_role": choice([role.value for role in ReporterRole]),
    "immediate_danger": YES_NO,
    "ongoing": choice(["yes", "no", "unsure"]),
    "dismissal_or_warning": YES_NO,
    "happened": choice([when.value for when in Happened]),
    "field": choice(["", *(field.value for field in Field)]),
    "preferred_language": choice(["", *(language.value for language in Language)]),
}
SUBMISSION_TOKEN = valid_or(
    Ref("submission_token"),
    hostile=st.one_of(st.sampled_from(["x" * 19, "x" * 65]), shapes.hostile_text),
)
REPORT = {
    "csrf_token": CSRF,
    "submission_token": SUBMISSION_TOKEN,
    **QUESTIONNAIRE,
    "narrative": NARRATIVE,
    # A callback most often: it reaches the booking.
    "contact_preference": valid_or("callback", "callback", "inbox", hostile=shapes.hostile_text),
    "phone": valid_or("+47 912 34 567", "(+47) 22-33-44-55"),
    "voicemail_ok": YES_NO,
    "sms_ok": YES_NO,
    "slot": valid_or("any", Ref("free_slot"), hostile=shapes.hostile_time),
}
REPORT_IN_BROWSER = {
    **REPORT,
    "narrative": valid_or(""),
    "phone": valid_or(""),
    "encryption": valid_or("browser"),
    "narrative_envelope": FormField(
        st.just(Sealed("narrative", "line")), forged_envelopes("narrative")
    ),
    "contact_envelope": FormField(st.just(Sealed("contact", "line")), forged_envelopes("contact")),
    "lookup_token": valid_or(Ref("token_fresh"), hostile=shapes.hostile_token),
    "reporter_public_key": valid_or(Ref("key_fresh"), hostile=shapes.hostile_key),
}
# The inbox is opened with the typed code (no JavaScript) or the browser's lookup token.
CODE = valid_or(
    Ref("code_inbox"),
    Ref("code_callback"),
    "k7qx4m2p9trh3wdnb6vz",  # the inbox case's code, typed loosely
    hostile=st.one_of(
        st.sampled_from(["K7QX-4M2P-9TRH-3WDN-B6VU", "ILOU" * 5]), shapes.hostile_text
    ),
)
TOKEN = valid_or(Ref("token_inbox"), Ref("token_callback"), "", hostile=shapes.hostile_token)
FOLLOW_UP = {"csrf_token": CSRF, "code": CODE, "lookup_token": TOKEN}
MESSAGE = {
    **FOLLOW_UP,
    "message": MESSAGE_TEXT,
    "message_envelope": FormField(
        st.sampled_from([Sealed("message", "line"), ""]), forged_envelopes("message")
    ),
}
SLOT = valid_or(Ref("free_slot"), hostile=shapes.hostile_time)
CALLBACK_CODE = valid_or(Ref("code_callback"), hostile=CODE.hostile)
CALLBACK_TOKEN = valid_or(Ref("token_callback"), "", hostile=shapes.hostile_token)
GRANTS = valid_or(
    "",
    hostile=st.one_of(
        st.sampled_from(
            [
                "[]",
                '{"0123456789abcdef": "{}"}',
                '{"0123456789abcdef": "g1.0123456789abcdef.AAAA"}',
                '{"x": 1}',
                '{"a": "b", "a": "c"}',
                Repeat("[", 11_999),
                Repeat('{"a":', 2_000),
                "1" * 5000,
            ]
        ),
        shapes.hostile_text,
    ),
)
AUTH_KEY = st.one_of(st.sampled_from(["", "A" * 42, "A" * 44, "=" * 43]), shapes.hostile_text)
WRAPPED_KEY = st.one_of(
    st.sampled_from(["{}", '{"v":1}', Repeat("{", 500), '{"v":1,"alg":"A256GCM"}']),
    shapes.hostile_text,
)
# A password change as the acting lawyer's browser sends it: keys, never a password.
PASSWORDS = {
    "current_auth_key": valid_or(Ref("auth_key"), hostile=AUTH_KEY),
    "new_auth_key": valid_or(Ref("new_auth_key"), hostile=AUTH_KEY),
    "wrapped_private_key": valid_or(Ref("rewrapped"), "", hostile=WRAPPED_KEY),
    "grants": GRANTS,
}
ENROLMENT = {
    "new_auth_key": valid_or(Ref("new_auth_key"), hostile=AUTH_KEY),
    "public_key": valid_or(Ref("new_public_key"), "", hostile=shapes.hostile_text),
    "wrapped_private_key": valid_or(Ref("new_wrapped_key"), "", hostile=WRAPPED_KEY),
    "grants": GRANTS,
}
STAFF = ("lawyer", "coordinator", "admin")
CASE_WORKERS = ("lawyer", "lawyer", "lawyer", "coordinator", "visitor")
CASES = mostly(
    st.sampled_from([Ref("case_inbox"), Ref("case_callback"), Ref("case_closed")]),
    st.one_of(
        st.sampled_from(
            [Ref("case_other_line"), Around(" ", Ref("case_inbox"), " "), "AAAA-AAAA", "-"]
        ),
        shapes.hostile_text,
    ),
)
CALLBACK_IDS = mostly(st.sampled_from([Ref("callback_id")]), shapes.path_ids)
NOTICE_IDS = mostly(
    st.sampled_from([Ref("notice_mine"), Ref("notice_coordinators")]),
    st.one_of(st.just(Ref("notice_colleague")), shapes.path_ids),
)


def case_action(action: str, fields: dict[str, FormField]) -> st.SearchStrategy[FuzzRequest]:
    return posts(CASE_WORKERS, at("cases", CASES, action), {"csrf_token": CSRF, **fields})


@st.composite
def callback_outcomes(draw: st.DrawFn) -> FuzzRequest:
    """The outcome form names its field after the callback id in the path."""
    callback_id = draw(CALLBACK_IDS)
    path = at("cases", CASES, "callbacks", callback_id, "outcome")
    outcome = choice([outcome.value for outcome in CallbackOutcome])
    fields = {"csrf_token": CSRF}
    request = draw(posts(CASE_WORKERS, path, fields))
    names: list[Value] = [OutcomeName(callback_id), "outcome", OutcomeName("1")]
    name = draw(st.sampled_from(names))
    value = draw(mostly(outcome.valid, outcome.hostile))
    assert request.body is not None
    body = Body((*request.body.fields, (name, value)), request.body.multipart)
    return FuzzRequest(request.role, request.method, request.path, body=body)


# --- the endpoints ------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Endpoint:
    name: str
    requests: st.SearchStrategy[FuzzRequest]

    def __repr__(self) -> str:  # pytest and Hypothesis print it with a failure
        return self.name

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:  # Hypothesis's printer
        printer.text(self.name)


ENDPOINTS = [
    # The reporter.
    Endpoint("report", posts(["reporter"], at("report"), REPORT)),
    Endpoint("report-in-browser", posts(["reporter"], at("report"), REPORT_IN_BROWSER)),
    Endpoint(
        "language",
        posts(
            ["reporter", "lawyer"],
            at("language"),
            {
                "csrf_token": CSRF,
                "language": choice(SUPPORTED_LOCALES),
                "next": valid_or(
                    "/",
                    "/report",
                    "/follow-up",
                    hostile=st.one_of(
                        st.sampled_from(
                            ["//evil.example", "https://evil.example/", "/\\evil", "javascript:1"]
                        ),
                        shapes.hostile_text,
                    ),
                ),
            },
        ),
    ),
    Endpoint("follow-up", posts(["reporter"], at("follow-up"), FOLLOW_UP)),
    Endpoint("follow-up-message", posts(["reporter"], at("follow-up", "message"), MESSAGE)),
    Endpoint(
        "follow-up-cancel",
        posts(
            ["reporter"],
            at("follow-up", "callback", "cancel"),
            {"csrf_token": CSRF, "code": CALLBACK_CODE, "lookup_token": CALLBACK_TOKEN},
        ),
    ),
    Endpoint(
        "follow-up-rebook",
        posts(
            ["reporter"],
            at("follow-up", "callback", "rebook"),
            {
                "csrf_token": CSRF,
                "code": CALLBACK_CODE,
                "lookup_token": CALLBACK_TOKEN,
                "slot": SLOT,
            },
        ),
    ),
    Endpoint(
        "follow-up-erase",
        posts(["reporter"], at("follow-up", "erase"), {**FOLLOW_UP, "confirm": valid_or("yes")}),
    ),
    # Staff at the door.
    Endpoint(
        "staff-login",
        posts(
            ["visitor"],
            at("staff", "login"),
            {
                "csrf_token": CSRF,
                "username": valid_or(Ref("username"), "FUZZ-COLLEAGUE "),
                "auth_key": valid_or(Ref("colleague_auth_key"), hostile=AUTH_KEY),
                "legacy_proof": valid_or("", hostile=shapes.hostile_text),
                "code": valid_or(Ref("totp"), "000000"),
            },
        ),
    ),
    Endpoint(
        "staff-welcome",
        posts(
            ["enrolling"],
            at("staff", "welcome"),
            {**ENROLMENT, "csrf_token": CSRF, "code": valid_or(Ref("totp"))},
        ),
    ),
    Endpoint(
        "staff-password", posts(STAFF, at("staff", "password"), {**PASSWORDS, "csrf_token": CSRF})
    ),
    Endpoint(
        "staff-sign-out",
        posts((*STAFF, "enrolling", "visitor"), at("staff", "sign-out"), {"csrf_token": CSRF}),
    ),
    Endpoint(
        "staff-sign-out-everywhere",
        posts((*STAFF, "visitor"), at("staff", "sign-out-everywhere"), {"csrf_token": CSRF}),
    ),
    # The lawyer's case actions.
    Endpoint("case-take", case_action("take", {})),
    Endpoint(
        "case-assign",
        case_action(
            "assign",
            {
                "assignee": valid_or(
                    Ref("colleague_id"),
                    Ref("observer_id"),
                    Ref("lawyer_id"),
                    hostile=st.one_of(st.just(Ref("coordinator_id")), shapes.hostile_number),
                )
            },
        ),
    ),
    Endpoint("case-decline", case_action("decline", {"confirm": valid_or("y", "on", "yes")})),
    Endpoint(
        "case-status",
        case_action(
            "status",
            {"status": choice([status.value for status in CaseStatus if status != "closed"])},
        ),
    ),
    Endpoint(
        "case-close",
        case_action("close", {"outcome": choice([outcome.value for outcome in CloseOutcome])}),
    ),
    Endpoint(
        "case-reply",
        case_action(
            "reply",
            {
                "text": REPLY_TEXT,
                "envelope": FormField(
                    st.sampled_from(
                        [
                            Sealed("reply", "reporter_inbox"),
                            Sealed("reply", "reporter_callback"),
                            "",
                        ]
                    ),
                    forged_envelopes("reply"),
                ),
                "line_copy_envelope": FormField(
                    st.sampled_from([Sealed("reply", "line"), ""]),
                    forged_envelopes("reply"),
                ),
            },
        ),
    ),
    Endpoint(
        "case-reveal",
        posts(CASE_WORKERS, at("cases", CASES, "reveal", CALLBACK_IDS), {"csrf_token": CSRF}),
    ),
    Endpoint("case-callback-outcome", callback_outcomes()),
    Endpoint(
        "phone-intake",
        posts(
            CASE_WORKERS,
            at("queue", "phone"),
            {
                "csrf_token": CSRF,
                "submission_token": valid_or(Ref("phone_token"), hostile=SUBMISSION_TOKEN.hostile),
                **QUESTIONNAIRE,
                "note": NARRATIVE,
                "outcome": choice([outcome.value for outcome in PhoneOutcome]),
                "encryption": valid_or("", "browser"),
                "note_envelope": FormField(
                    st.sampled_from([Sealed("narrative", "line"), ""]),
                    forged_envelopes("narrative"),
                ),
            },
        ),
    ),
    # Notices, for every role.
    Endpoint(
        "notice-read",
        posts(STAFF, at("notices", NOTICE_IDS, "read"), {"csrf_token": CSRF}),
    ),
    Endpoint("notices-read", posts(STAFF, at("notices", "read"), {"csrf_token": CSRF})),
    # GET forms and pages with parameters.
    Endpoint(
        "queue-filters",
        gets(
            ["lawyer"],
            at("queue"),
            {
                "filter": choice(["mine", "unassigned", "all"]),
                "status": choice(["new", "in_progress", "awaiting_reporter"]),
                "priority": choice(["1", "2", "3", "4"]),
                "page": valid_or("1", "2", hostile=shapes.hostile_number),
            },
        ),
    ),
    Endpoint("case-page", gets(["lawyer"], at("cases", CASES), {})),
    Endpoint(
        "coordinator-period",
        gets(
            ["coordinator", "admin"],
            at("coordinator"),
            {
                "period": choice(["30", "90", "365", "range"]),
                "first_day": valid_or("2026-01-01", "2025-11-24", hostile=shapes.hostile_time),
                "last_day": valid_or("2026-11-01", "2026-11-23", hostile=shapes.hostile_time),
            },
        ),
    ),
    Endpoint(
        "coordinator-report",
        gets(
            ["coordinator", "admin"],
            at("coordinator", "report"),
            {"year": valid_or("2026", "2025", "2000", hostile=shapes.hostile_number)},
        ),
    ),
    Endpoint(
        "coordinator-report-csv",
        gets(
            ["coordinator", "admin"],
            at("coordinator", "report.csv"),
            {
                "year": valid_or("2026", "2025", hostile=shapes.hostile_number),
                "separator": valid_or("semicolon", "comma"),
            },
        ),
    ),
]
