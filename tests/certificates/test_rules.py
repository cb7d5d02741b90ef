"""The pure rules of certificates, as tables."""

from __future__ import annotations

import hashlib

import pytest

from app.certificates import rules


@pytest.mark.parametrize(
    ("year", "number", "serial"),
    [(2026, 1, "MKM-2026-000001"), (2026, 123, "MKM-2026-000123"), (2027, 1_234_567, "MKM-2027-1234567")],
)
def test_serials(year, number, serial):
    assert rules.format_serial(year, number) == serial


def test_codes_are_long_random_and_url_safe():
    codes = {rules.new_verification_code() for _ in range(1000)}
    assert len(codes) == 1000
    assert all(len(c) >= 22 and c.replace("-", "").replace("_", "").isalnum() for c in codes)  # >= 128 bits


def test_identity_hash_is_the_open_badges_form():
    assert rules.identity_hash("000000018", "abc") == "sha256$" + hashlib.sha256(b"000000018abc").hexdigest()
    assert rules.identity_hash("000000018", "abc") != rules.identity_hash("000000018", "abd")


@pytest.mark.parametrize(
    ("base", "url"),
    [("https://lms.example.org", "https://lms.example.org/verify/X"), ("https://a.b/", "https://a.b/verify/X")],
)
def test_verification_url(base, url):
    assert rules.verification_url(base, "X") == url
