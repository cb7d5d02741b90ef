"""The pure rules of certificates, as tables."""

from __future__ import annotations

import base64
import gzip

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


@pytest.mark.parametrize(
    ("base", "did"),
    [
        ("http://127.0.0.1:8000", "did:web:127.0.0.1%3A8000"),
        ("https://lms.example.gov.il/", "did:web:lms.example.gov.il"),
        ("https://example.gov.il/mekomot/lms", "did:web:example.gov.il:mekomot:lms"),
    ],
)
def test_the_issuer_is_a_did_web_of_the_public_address(base, did):
    assert rules.did_web(base) == did


@pytest.mark.parametrize(("serial_number", "position"), [(1, (1, 0)), (131_072, (1, 131_071)), (131_073, (2, 0))])
def test_each_serial_has_its_own_status_bit(serial_number, position):
    assert rules.status_position(serial_number) == position


def test_the_status_list_is_gzipped_bits_left_first_in_multibase_base64url():
    encoded = rules.encode_status_list({0, 9, 131_071})
    assert encoded.startswith("u") and "=" not in encoded
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(bits) == 16_384  # 2^17 entries, the specification's minimum
    assert bits[0] == 0b1000_0000 and bits[1] == 0b0100_0000 and bits[-1] == 0b0000_0001
    assert rules.decode_status_list(encoded) == {0, 9, 131_071}
    assert encoded == rules.encode_status_list({9, 131_071, 0})  # the same bits, the same text
    with pytest.raises(ValueError):
        rules.encode_status_list({131_072})


@pytest.mark.parametrize(
    ("base", "url"),
    [("https://lms.example.org", "https://lms.example.org/verify/X"), ("https://a.b/", "https://a.b/verify/X")],
)
def test_verification_url(base, url):
    assert rules.verification_url(base, "X") == url
