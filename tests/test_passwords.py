"""Staff passwords are argon2id at RFC 9106's recommended cost."""

import pytest
from argon2 import extract_parameters

from advisory import passwords
from tests.conftest import PRODUCTION_ARGON2


@pytest.fixture
def production_cost(monkeypatch):
    time_cost, memory_cost, parallelism = PRODUCTION_ARGON2
    monkeypatch.setattr(passwords, "TIME_COST", time_cost)
    monkeypatch.setattr(passwords, "MEMORY_COST_KIB", memory_cost)
    monkeypatch.setattr(passwords, "PARALLELISM", parallelism)


def test_production_hashes_are_argon2id_at_the_recommended_cost(production_cost):
    hashed = passwords.hash_password("correct horse battery staple")
    parameters = extract_parameters(hashed)
    assert hashed.startswith("$argon2id$")
    assert (parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (3, 65536, 4)


@pytest.mark.parametrize(
    ("typed", "accepted"),
    [("correct horse battery staple", True), ("correct horse battery stapl", False), ("", False)],
)
def test_only_the_exact_password_verifies(typed, accepted):
    hashed = passwords.hash_password("correct horse battery staple")
    assert passwords.verify_password(hashed, typed) is accepted


def test_a_damaged_hash_never_verifies():
    assert passwords.verify_password("not-a-hash", "anything") is False


def test_one_time_passwords_are_long_and_different():
    generated = {passwords.generate_one_time_password() for _ in range(50)}
    assert len(generated) == 50
    assert all(len(password) >= 16 for password in generated)
