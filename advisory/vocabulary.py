"""The product's vocabulary: roles, channels, kinds of matter, statuses (pure, no Flask).

Plain enums, so that pure modules (triage, figures) can name them without importing the
database models; advisory/models.py stores them as portable VARCHAR enums.
"""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    LAWYER = "lawyer"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class Channel(enum.StrEnum):
    WEB = "web"
    PHONE = "phone"
    VOICEMAIL = "voicemail"


class Kind(enum.StrEnum):
    SEXUAL_HARASSMENT = "sexual_harassment"
    DISCRIMINATION = "discrimination"
    ABUSE_OF_POWER = "abuse_of_power"
    OTHER = "other"
    GENERAL_QUESTION = "general_question"


class ReporterRole(enum.StrEnum):
    EXPERIENCED = "experienced"
    WITNESSED = "witnessed"
    ASKING_FOR_SOMEONE = "asking_for_someone"
    EMPLOYER_OR_REPRESENTATIVE = "employer_or_representative"


class Happened(enum.StrEnum):
    LAST_30_DAYS = "last_30_days"
    LAST_YEAR = "last_year"
    EARLIER = "earlier"


class Field(enum.StrEnum):
    MUSIC = "music"
    STAGE = "stage"
    FILM_TV = "film_tv"
    VISUAL_ARTS = "visual_arts"
    LITERATURE = "literature"
    OTHER = "other"


class Language(enum.StrEnum):
    BOKMAL = "nb"
    NYNORSK = "nn"
    ENGLISH = "en"
    SAMI = "se"
    SWEDISH = "sv"
    DANISH = "da"
    OTHER = "other"


class ContactPreference(enum.StrEnum):
    CALLBACK = "callback"
    INBOX = "inbox"


class CaseStatus(enum.StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    AWAITING_REPORTER = "awaiting_reporter"
    CLOSED = "closed"


class CloseOutcome(enum.StrEnum):
    ADVICE_GIVEN = "advice_given"
    REFERRED = "referred"
    NO_CONTACT = "no_contact"
    WITHDRAWN = "withdrawn"
    OTHER = "other"


class Direction(enum.StrEnum):
    FROM_REPORTER = "from_reporter"  # sealed to the line key, purpose "message"
    TO_REPORTER = "to_reporter"  # sealed to the reporter's key, purpose "reply"


class CallbackStatus(enum.StrEnum):
    BOOKED = "booked"
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    WRONG_NUMBER = "wrong_number"
    CANCELLED = "cancelled"
    MISSED = "missed"


class WrapKind(enum.StrEnum):
    # Before lawyers had key pairs: the line key under a lawyer's password (PBKDF2). Their
    # browser turns it into a GRANT at their next sign-in; nothing new is wrapped this way.
    STAFF = "staff"
    RECOVERY = "recovery"
    # The line key sealed with HPKE to one lawyer's own public key (crypto.grants).
    GRANT = "grant"
    # The line key sealed to the recovery public key (crypto.grants): what a lawyer's browser
    # makes when it rotates the line key, since it never sees the recovery passphrase.
    RECOVERY_GRANT = "recovery-grant"


class CredentialScheme(enum.StrEnum):
    # Before the credential split: argon2id of the password itself. Upgraded at next sign-in.
    PASSWORD = "password"  # noqa: S105  (a scheme's name, not a password)
    # argon2id of the authentication key the browser derives; the password never arrives.
    SPLIT_V1 = "split-v1"
