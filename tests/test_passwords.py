"""Staff passwords are argon2id at RFC 9106's recommended cost."""

import base64

import pytest
from argon2 import PasswordHasher, Type, extract_parameters
from argon2.low_level import hash_secret, hash_secret_raw
from hypothesis import given, settings
from hypothesis import strategies as st

from advisory import passwords
from tests.conftest import PRODUCTION_ARGON2
from tests.support.legacy_proofs import legacy_password_hash, legacy_tag


@pytest.fixture
def production_cost(monkeypatch):
    time_cost, memory_cost, parallelism = PRODUCTION_ARGON2
    monkeypatch.setattr(passwords, "TIME_COST", time_cost)
    monkeypatch.setattr(passwords, "MEMORY_COST_KIB", memory_cost)
    monkeypatch.setattr(passwords, "PARALLELISM", parallelism)


def test_production_hashes_are_argon2id_at_the_recommended_cost(production_cost):
    hashed = legacy_password_hash("correct horse battery staple")
    parameters = extract_parameters(hashed)
    assert hashed.startswith("$argon2id$")
    assert (parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (3, 65536, 4)


@pytest.mark.parametrize(
    ("typed", "accepted"),
    [("correct horse battery staple", True), ("correct horse battery stapl", False), ("", False)],
)
def test_only_the_exact_password_verifies(typed, accepted):
    hashed = legacy_password_hash("correct horse battery staple")
    assert passwords.verify_auth_key(hashed, typed.encode()) is accepted


def test_a_damaged_hash_never_verifies():
    assert passwords.verify_auth_key("not-a-hash", b"anything") is False


def test_one_time_passwords_are_long_and_different():
    generated = {passwords.generate_one_time_password() for _ in range(50)}
    assert len(generated) == 50
    assert all(len(password) >= 16 for password in generated)


# --- Old hashes proved without the password (the browser recomputes the tag) --------------


def _stored_tag(encoded_hash):
    tag_text = encoded_hash.rsplit("$", 1)[1]
    return base64.b64decode(tag_text + "=" * (-len(tag_text) % 4))


def test_legacy_parameters_of_a_production_hash_are_its_salt_and_costs(production_cost):
    hashed = legacy_password_hash("correct horse battery staple")
    salt_text = hashed.split("$")[4]

    parameters = passwords.legacy_parameters(hashed)

    assert parameters == passwords.LegacyParameters(
        salt=base64.b64decode(salt_text + "=" * (-len(salt_text) % 4)),
        time_cost=3,
        memory_kib=65536,
        parallelism=4,
        hash_len=32,
    )
    assert len(parameters.salt) == 16


@settings(max_examples=20, deadline=None)
@given(
    password=st.text(max_size=40),
    time_cost=st.integers(1, 3),
    parallelism=st.integers(1, 3),
    extra_memory=st.integers(0, 40),
    hash_len=st.sampled_from([4, 16, 32, 64, 65]),
)
def test_a_tag_recomputed_from_the_legacy_parameters_is_accepted(
    password, time_cost, parallelism, extra_memory, hash_len
):
    hasher = PasswordHasher(
        time_cost=time_cost,
        memory_cost=8 * parallelism + extra_memory,
        parallelism=parallelism,
        hash_len=hash_len,
        type=Type.ID,
    )
    hashed = hasher.hash(password)

    parameters = passwords.legacy_parameters(hashed)

    assert parameters is not None
    proof = legacy_tag(parameters, password)
    assert proof == _stored_tag(hashed)
    assert passwords.legacy_proof_matches(hashed, proof) is True


def test_a_proof_from_another_password_is_refused():
    hashed = legacy_password_hash("correct horse battery staple")
    parameters = passwords.legacy_parameters(hashed)
    assert parameters is not None

    wrong = legacy_tag(parameters, "correct horse battery stapler")

    assert passwords.legacy_proof_matches(hashed, wrong) is False


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda tag: tag[:-1], id="one byte short"),
        pytest.param(lambda tag: tag + b"\x00", id="one byte long"),
        pytest.param(lambda tag: bytes([tag[0] ^ 1]) + tag[1:], id="one bit flipped"),
        pytest.param(lambda tag: b"", id="empty"),
        pytest.param(lambda tag: base64.b64encode(tag), id="base64 text of the tag"),
        pytest.param(lambda tag: tag.hex(), id="a str, not bytes"),
    ],
)
def test_only_the_exact_tag_is_a_proof(damage):
    hashed = legacy_password_hash("correct horse battery staple")
    tag = _stored_tag(hashed)
    assert passwords.legacy_proof_matches(hashed, tag) is True

    assert passwords.legacy_proof_matches(hashed, damage(tag)) is False


@pytest.mark.parametrize(
    ("hash_type", "version"),
    [(Type.I, 19), (Type.D, 19), (Type.ID, 16)],
    ids=["argon2i", "argon2d", "argon2id version 16"],
)
def test_other_argon2_types_and_versions_have_no_legacy_parameters(hash_type, version):
    salt = b"sixteen bytes!!!"
    hashed = hash_secret(b"a password", salt, 1, 8, 1, 32, hash_type, version).decode()
    real_tag = hash_secret_raw(b"a password", salt, 1, 8, 1, 32, hash_type, version)

    assert passwords.legacy_parameters(hashed) is None
    assert passwords.legacy_proof_matches(hashed, real_tag) is False


def _garbled(encoded_hash):
    """Ways a stored hash can be damaged or foreign, each from a good one."""
    _, name, version, costs, salt, tag = encoded_hash.split("$")
    assert (name, version, costs) == ("argon2id", "v=19", "m=8,t=1,p=1")
    return {
        "empty": "",
        "not a hash": "not-a-hash",
        "bcrypt": "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
        "no tag": f"$argon2id$v=19$m=8,t=1,p=1${salt}$",
        "no salt": f"$argon2id$v=19$m=8,t=1,p=1$${tag}",
        "no version": f"$argon2id$m=8,t=1,p=1${salt}${tag}",
        "costs in another order": f"$argon2id$v=19$t=1,m=8,p=1${salt}${tag}",
        "a cost with a leading zero": f"$argon2id$v=19$m=08,t=1,p=1${salt}${tag}",
        "a cost with a sign": f"$argon2id$v=19$m=8,t=+1,p=1${salt}${tag}",
        "zero lanes": f"$argon2id$v=19$m=8,t=1,p=0${salt}${tag}",
        "zero passes": f"$argon2id$v=19$m=8,t=0,p=1${salt}${tag}",
        "too little memory for its lanes": f"$argon2id$v=19$m=8,t=1,p=2${salt}${tag}",
        "a 4-byte salt": f"$argon2id$v=19$m=8,t=1,p=1$c2FsdA${tag}",
        "a 3-byte tag": f"$argon2id$v=19$m=8,t=1,p=1${salt}$dGFn",
        "padded base64": f"{encoded_hash}=",
        "url-safe base64": f"$argon2id$v=19$m=8,t=1,p=1$-{salt[1:]}${tag}",
        "a character outside base64": f"$argon2id$v=19$m=8,t=1,p=1${salt}${tag[:-1]}*",
        "non-zero padding bits": f"$argon2id$v=19$m=8,t=1,p=1${salt}${tag[:-1]}"
        + _with_low_bits_set(tag[-1]),
        "an extra field": f"{encoded_hash}$AAAA",
        "surrounding space": f" {encoded_hash}",
        "a non-ASCII digit": f"$argon2id$v=19$m=\N{ARABIC-INDIC DIGIT EIGHT},t=1,p=1${salt}${tag}",
    }


def _with_low_bits_set(last_char):
    # 32 bytes are 43 characters; the last carries 4 bits of data and 2 bits that must be 0.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    return alphabet[alphabet.index(last_char) | 0b11]


def test_garbled_hashes_have_no_legacy_parameters_and_accept_no_proof():
    hashed = legacy_password_hash("correct horse battery staple")
    tag = _stored_tag(hashed)
    assert passwords.legacy_parameters(hashed) is not None

    for name, garbled in _garbled(hashed).items():
        assert garbled != hashed, name
        assert passwords.legacy_parameters(garbled) is None, name
        assert passwords.legacy_proof_matches(garbled, tag) is False, name


def test_a_missing_hash_has_no_legacy_parameters():
    assert passwords.legacy_parameters(None) is None
    assert passwords.legacy_proof_matches(None, b"\x00" * 32) is False
