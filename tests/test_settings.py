"""Settings: defaults from config/defaults.toml, overrides from the environment, loud failures.

`load_settings` takes a plain dict, so none of these tests touches the process environment or a
database. Each test gets its own instance folder, so a developer's `instance/secrets.json` can
never leak in.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from advisory.settings import PROJECT_ROOT, Secrets, Settings, SettingsError, load_settings

OSLO = ZoneInfo("Europe/Oslo")
SECRET_VARS = ("ADVISORY_SECRET_KEY", "ADVISORY_PEPPER", "ADVISORY_DATA_KEY")
HEX_SECRETS = {
    "ADVISORY_SECRET_KEY": "aa" * 32,
    "ADVISORY_PEPPER": "bb" * 32,
    "ADVISORY_DATA_KEY": "cc" * 32,
}
NINE_TO_FOUR = ((time(9), time(16)),)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The smallest environment: only an empty instance folder of this test's own."""
    return {"ADVISORY_INSTANCE_PATH": str(tmp_path)}


# --- defaults ---------------------------------------------------------------------------------


def test_defaults_describe_the_line_of_the_design(env):
    settings = load_settings(env)

    calendar = settings.calendar
    assert calendar.timezone == "Europe/Oslo"
    assert dict(calendar.weekly_hours) == {day: NINE_TO_FOUR for day in range(5)}
    assert calendar.holiday_country == "NO"
    assert calendar.closed_days == ()  # Christmas and New Year's Eve are Norway's closing days
    assert calendar.holiday_name(date(2026, 12, 24)) == "Julaften"
    assert calendar.closed_dates == ()
    assert settings.p1_target_opening_hours == 2
    assert settings.slot_minutes == 30
    assert settings.roster.default_capacity == 2
    assert settings.callback_max_attempts == 3
    assert settings.reminder_minutes == 5
    assert settings.missed_grace_minutes == 15
    assert settings.at_risk_opening_hours == 2
    assert settings.smtp is None
    assert settings.callback_max_attempts == 3
    assert settings.retention_days == 60
    assert settings.default_locale == "nb"
    assert settings.line_phone is None  # web only until a number is configured
    assert settings.secure_cookies is True


@pytest.mark.parametrize(
    ("local_time", "is_open"),
    [
        ("2026-11-23T10:00", True),  # a Monday
        ("2026-11-23T16:00", False),  # closing time is already closed
        ("2026-11-28T10:00", False),  # a Saturday
        ("2027-05-17T10:00", False),  # Constitution Day, a Monday: Norwegian holidays apply
        ("2025-12-24T10:00", False),  # Christmas Eve, a Wednesday: closed every year
        ("2026-12-31T10:00", False),  # New Year's Eve, a Thursday: closed every year
    ],
)
def test_default_calendar_opens_on_norwegian_working_days(env, local_time, is_open):
    calendar = load_settings(env).calendar
    assert calendar.is_open(datetime.fromisoformat(local_time).replace(tzinfo=OSLO)) is is_open


def test_database_defaults_to_sqlite_inside_the_instance_folder(env, tmp_path):
    settings = load_settings(env)
    assert settings.instance_path == tmp_path
    assert settings.database_url == f"sqlite:///{tmp_path / 'advisory.db'}"


def test_instance_folder_defaults_to_instance_in_the_project():
    settings = load_settings({**HEX_SECRETS})
    assert settings.instance_path == PROJECT_ROOT / "instance"
    assert settings.database_url == f"sqlite:///{PROJECT_ROOT / 'instance' / 'advisory.db'}"


def test_settings_are_frozen(env):
    settings = load_settings(env)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.retention_days = 1  # type: ignore[misc]


# --- overrides --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value", "read", "expected"),
    [
        ("DATABASE_URL", "postgresql+psycopg://u@db/advisory", "database_url",
         "postgresql+psycopg://u@db/advisory"),
        ("ADVISORY_TIMEZONE", "Europe/Copenhagen", "calendar.timezone", "Europe/Copenhagen"),
        ("ADVISORY_HOLIDAY_COUNTRY", "SE", "calendar.holiday_country", "SE"),
        ("ADVISORY_HOLIDAY_COUNTRY", "dk", "calendar.holiday_country", "DK"),
        ("ADVISORY_HOLIDAY_COUNTRY", "", "calendar.holiday_country", None),
        ("ADVISORY_CLOSED_DAYS", "05-02, 12-27", "calendar.closed_days", ((5, 2), (12, 27))),
        ("ADVISORY_CLOSED_DAYS", "", "calendar.closed_days", ()),
        ("ADVISORY_CLOSED_DATES", "2026-06-19,2026-11-27", "calendar.closed_dates",
         (date(2026, 6, 19), date(2026, 11, 27))),
        ("ADVISORY_P1_TARGET_HOURS", "3", "p1_target_opening_hours", 3),
        ("ADVISORY_SLOT_MINUTES", "15", "slot_minutes", 15),
        ("ADVISORY_SLOT_CAPACITY", "4", "roster.default_capacity", 4),
        ("ADVISORY_REMINDER_MINUTES", "10", "reminder_minutes", 10),
        ("ADVISORY_MISSED_GRACE_MINUTES", "20", "missed_grace_minutes", 20),
        ("ADVISORY_SCHEDULER_TICK_SECONDS", "30", "scheduler_tick_seconds", 30),
        ("ADVISORY_AT_RISK_HOURS", "3", "at_risk_opening_hours", 3),
        ("ADVISORY_EMBEDDED_SCHEDULER", "false", "embedded_scheduler", False),
        ("ADVISORY_CALLBACK_MAX_ATTEMPTS", "5", "callback_max_attempts", 5),
        ("ADVISORY_RETENTION_DAYS", "30", "retention_days", 30),
        ("ADVISORY_DEFAULT_LOCALE", "en", "default_locale", "en"),
        ("ADVISORY_SECURE_COOKIES", "false", "secure_cookies", False),
        ("ADVISORY_SECURE_COOKIES", "0", "secure_cookies", False),
        ("ADVISORY_SECURE_COOKIES", "No", "secure_cookies", False),
        ("ADVISORY_SECURE_COOKIES", "off", "secure_cookies", False),
        ("ADVISORY_SECURE_COOKIES", "TRUE", "secure_cookies", True),
        ("ADVISORY_SECURE_COOKIES", "1", "secure_cookies", True),
        ("ADVISORY_SECURE_COOKIES", " yes ", "secure_cookies", True),
        ("ADVISORY_SECURE_COOKIES", "on", "secure_cookies", True),
        ("ADVISORY_LINE_PHONE", "+47 22 00 00 00", "line_phone", "+47 22 00 00 00"),
        ("ADVISORY_LINE_PHONE", " 22  00\t00 00 ", "line_phone", "22 00 00 00"),
        ("ADVISORY_LINE_PHONE", "116 006", "line_phone", "116 006"),
        ("ADVISORY_LINE_PHONE", "", "line_phone", None),
    ],
)  # fmt: skip
def test_each_variable_overrides_its_default(env, variable, value, read, expected):
    settings = load_settings({**env, variable: value})
    assert _attribute(settings, read) == expected


def test_weekly_hours_override_only_the_days_named(env):
    settings = load_settings({**env, "ADVISORY_WEEKLY_HOURS": "fri=closed; sat=10:00-14:00"})
    assert dict(settings.calendar.weekly_hours) == {
        0: NINE_TO_FOUR,
        1: NINE_TO_FOUR,
        2: NINE_TO_FOUR,
        3: NINE_TO_FOUR,
        5: ((time(10), time(14)),),
    }


@pytest.mark.parametrize("variable", ["ADVISORY_TIMEZONE", "ADVISORY_DEFAULT_LOCALE"])
def test_an_empty_variable_keeps_the_default(env, variable):
    assert load_settings({**env, variable: ""}) == load_settings(env)


# --- bad values stop start-up, naming the variable ---------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ADVISORY_TIMEZONE", "Mars/Base"),
        ("ADVISORY_TIMEZONE", "../../etc/passwd"),
        ("ADVISORY_HOLIDAY_COUNTRY", "XX"),
        ("ADVISORY_HOLIDAY_COUNTRY", "US"),  # known to `holidays`, but not a supported line
        ("ADVISORY_RETENTION_DAYS", "abc"),
        ("ADVISORY_RETENTION_DAYS", "0"),
        ("ADVISORY_RETENTION_DAYS", "-60"),
        ("ADVISORY_RETENTION_DAYS", "6.5"),
        ("ADVISORY_SLOT_MINUTES", "1"),
        ("ADVISORY_SLOT_MINUTES", "thirty"),
        ("ADVISORY_SLOT_CAPACITY", "0"),
        ("ADVISORY_CALLBACK_MAX_ATTEMPTS", "0"),
        ("ADVISORY_P1_TARGET_HOURS", "0"),
        ("ADVISORY_SECURE_COOKIES", "maybe"),
        ("ADVISORY_SECURE_COOKIES", "2"),
        ("ADVISORY_DEFAULT_LOCALE", "fr"),
        ("ADVISORY_DEFAULT_LOCALE", "NB"),
        ("ADVISORY_WEEKLY_HOURS", "mon=9-25"),
        ("ADVISORY_WEEKLY_HOURS", "mon=09:00-25:00"),
        ("ADVISORY_WEEKLY_HOURS", "mon=16:00-09:00"),
        ("ADVISORY_WEEKLY_HOURS", "mon=09:00-12:00,11:00-16:00"),
        ("ADVISORY_WEEKLY_HOURS", "monday=09:00-16:00"),
        ("ADVISORY_WEEKLY_HOURS", "mon 09:00-16:00"),
        ("ADVISORY_WEEKLY_HOURS", "mon=closed;tue=closed;wed=closed;thu=closed;fri=closed"),
        ("ADVISORY_CLOSED_DAYS", "13-45"),
        ("ADVISORY_CLOSED_DAYS", "02-30"),
        ("ADVISORY_CLOSED_DAYS", "24.12"),
        ("ADVISORY_CLOSED_DATES", "2026-02-30"),
        ("ADVISORY_CLOSED_DATES", "tomorrow"),
        ("ADVISORY_REPORT_LIMIT", "lots"),
        ("ADVISORY_REPORT_LIMIT", "5 per fortnight"),
        ("ADVISORY_LOOKUP_LIMIT", "0 per hour"),
        ("ADVISORY_RATELIMIT_STORAGE", "mongodb://db/limits"),
        ("ADVISORY_RATELIMIT_STORAGE", "127.0.0.1:6379"),
        ("ADVISORY_LINE_PHONE", "22-00-00-00"),
        ("ADVISORY_LINE_PHONE", "tel:+4722000000"),
        ("ADVISORY_LINE_PHONE", "47+22000000"),
        ("ADVISORY_LINE_PHONE", "+"),
        ("ADVISORY_LINE_PHONE", "12"),
        ("ADVISORY_LINE_PHONE", "+47 2200 0000 0000 0000"),
        ("ADVISORY_LINE_PHONE", '22 00 00 00"><script>'),
        ("ADVISORY_LINE_PHONE", "٢٢ ٠٠ ٠٠ ٠٠"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(env, variable, value):
    with pytest.raises(SettingsError, match=variable):
        load_settings({**env, variable: value})


def test_settings_error_is_a_value_error():
    assert issubclass(SettingsError, ValueError)


# --- secrets ----------------------------------------------------------------------------------


def test_without_secrets_the_installation_is_not_initialised(env):
    settings = load_settings(env)
    assert settings.secrets is None
    assert settings.initialised is False


def test_secrets_come_from_the_three_hex_variables(env):
    settings = load_settings({**env, **HEX_SECRETS})
    assert settings.initialised is True
    assert settings.secrets == Secrets(
        secret_key=b"\xaa" * 32, pepper=b"\xbb" * 32, data_key=b"\xcc" * 32
    )


def test_environment_secrets_win_over_the_secrets_file(env, tmp_path):
    _write_secrets_file(
        tmp_path, {"secret_key": "11" * 32, "pepper": "22" * 32, "data_key": "33" * 32}
    )
    settings = load_settings({**env, **HEX_SECRETS})
    assert settings.secrets is not None
    assert settings.secrets.secret_key == b"\xaa" * 32


@pytest.mark.parametrize(
    "given",
    [
        ("ADVISORY_SECRET_KEY",),
        ("ADVISORY_PEPPER",),
        ("ADVISORY_SECRET_KEY", "ADVISORY_DATA_KEY"),
        ("ADVISORY_PEPPER", "ADVISORY_DATA_KEY"),
    ],
)
def test_some_secrets_without_the_others_name_the_missing_ones(env, given):
    partial = {var: HEX_SECRETS[var] for var in given}
    with pytest.raises(SettingsError) as raised:
        load_settings({**env, **partial})
    message = str(raised.value)
    for var in SECRET_VARS:
        assert (var in message) is (var not in given), message


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("ab" * 31, "at least 32 bytes"),  # 31 bytes
        ("abc", "hex"),  # odd length
        ("zz" * 32, "hex"),
        ("0x" + "ab" * 32, "hex"),
    ],
)
@pytest.mark.parametrize("variable", SECRET_VARS)
def test_a_short_or_non_hex_secret_is_refused_naming_the_variable(env, variable, value, complaint):
    with pytest.raises(SettingsError, match=complaint) as raised:
        load_settings({**env, **HEX_SECRETS, variable: value})
    assert variable in str(raised.value)
    # The message must not echo the bad value back: it might be a real secret, slightly wrong.
    assert value not in str(raised.value)


def test_secrets_come_from_the_instance_secrets_file(env, tmp_path):
    _write_secrets_file(
        tmp_path, {"secret_key": "01" * 32, "pepper": "02" * 32, "data_key": "03" * 32}
    )
    settings = load_settings(env)
    assert settings.initialised is True
    assert settings.secrets == Secrets(
        secret_key=b"\x01" * 32, pepper=b"\x02" * 32, data_key=b"\x03" * 32
    )


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"{not json", id="truncated"),
        pytest.param(b"[]", id="a list"),
        pytest.param(b"null", id="null"),
        pytest.param(b'{"secret_key": "' + b"01" * 32 + b'"}', id="keys missing"),
        pytest.param(
            json.dumps({"secret_key": 1, "pepper": 2, "data_key": 3}).encode(), id="not strings"
        ),
        pytest.param(
            json.dumps({"secret_key": "01" * 32, "pepper": "02" * 32, "data_key": "3"}).encode(),
            id="too short",
        ),
        pytest.param(b"\xff\xfe\x00garbage", id="not utf-8"),
    ],
)
def test_a_damaged_secrets_file_stops_start_up_naming_the_file(env, tmp_path, content):
    path = tmp_path / "secrets.json"
    path.write_bytes(content)
    with pytest.raises(SettingsError, match=str(path)):
        load_settings(env)


def test_repr_of_secrets_hides_the_values(env):
    settings = load_settings({**env, **HEX_SECRETS})
    for text in (repr(settings.secrets), repr(settings), str(settings)):
        assert "aaaa" not in text
        assert "xaa" not in text
        assert "bbbb" not in text
        assert "cccc" not in text
    assert repr(settings.secrets) == "Secrets(<hidden>)"


def _write_secrets_file(instance_path: Path, values: dict[str, str]) -> None:
    (instance_path / "secrets.json").write_text(json.dumps(values), encoding="utf-8")


def _attribute(settings: Settings, dotted: str) -> object:
    value: object = settings
    for name in dotted.split("."):
        value = getattr(value, name)
    return value


def test_a_day_with_a_break_can_be_set_from_the_environment(env):
    settings = load_settings({**env, "ADVISORY_WEEKLY_HOURS": "mon=09:00-11:30,12:00-16:00; sat="})
    assert settings.calendar.weekly_hours[0] == (
        (time(9, 0), time(11, 30)),
        (time(12, 0), time(16, 0)),
    )
    assert 5 not in settings.calendar.weekly_hours or not settings.calendar.weekly_hours[5]


def test_duty_roster_from_the_environment_sets_capacity_per_weekday_and_time(env):
    settings = load_settings(
        {**env, "ADVISORY_DUTY_ROSTER": "mon=09:00-12:00*3; fri=13:00-16:00*0"}
    )
    oslo = ZoneInfo("Europe/Oslo")
    roster = settings.roster
    assert roster.capacity_at(datetime(2026, 11, 23, 9, 0, tzinfo=oslo)) == 3  # Monday morning
    assert roster.capacity_at(datetime(2026, 11, 23, 12, 0, tzinfo=oslo)) == 2  # default again
    assert roster.capacity_at(datetime(2026, 11, 27, 13, 30, tzinfo=oslo)) == 0  # Friday off
    assert roster.capacity_at(datetime(2026, 11, 24, 9, 0, tzinfo=oslo)) == 2  # Tuesday default


@pytest.mark.parametrize(
    "roster", ["mon=9-12*3", "mon=12:00-09:00*2", "monday=09:00-12:00*2", "mon=09:00-12:00"]
)
def test_a_bad_duty_roster_stops_start_up_naming_the_variable(env, roster):
    with pytest.raises(SettingsError, match="ADVISORY_DUTY_ROSTER"):
        load_settings({**env, "ADVISORY_DUTY_ROSTER": roster})


def test_smtp_is_configured_only_with_a_host_and_hides_its_password(env):
    assert load_settings(env).smtp is None
    smtp = load_settings(
        {
            **env,
            "ADVISORY_SMTP_HOST": "mail.example.org",
            "ADVISORY_SMTP_PORT": "2525",
            "ADVISORY_SMTP_STARTTLS": "false",
            "ADVISORY_SMTP_USERNAME": "line",
            "ADVISORY_SMTP_PASSWORD": "hunter2-secret",
        }
    ).smtp
    assert smtp is not None
    assert (smtp.host, smtp.port, smtp.starttls, smtp.username) == (
        "mail.example.org",
        2525,
        False,
        "line",
    )
    assert "hunter2-secret" not in repr(smtp)
