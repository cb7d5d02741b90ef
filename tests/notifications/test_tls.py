"""Mail sent over an encrypted connection, as a real mail server asks for it: STARTTLS on the submission port, or TLS
from the first byte, each with a login; the server's certificate checked against the trusted ones (here a
certificate of the test's own, trusted through SSL_CERT_FILE as an operator would trust a private authority); a
wrong password, or a certificate no one trusts, sends nothing and the message waits for its next try, the error
kept."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.notifications.sender import send_due
from tests.notifications.conftest import Outbox, ids_of
from tests.notifications.sink import Sink, free_port, settings_for

USER, PASSWORD = "school", "s3cret-submission"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate of `localhost` and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


def _login(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok)


def _serve(certificate: tuple[Path, Path], *, implicit: bool) -> tuple[Controller, Sink, int]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    sink, port = Sink(), free_port()
    # Encrypted from the first byte, aiosmtpd offers AUTH only when not told to wait for STARTTLS first.
    tls: dict[str, Any] = (
        {"ssl_context": context, "auth_require_tls": False}
        if implicit
        else {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
    )
    controller = Controller(
        sink,
        hostname="127.0.0.1",
        port=port,
        server_hostname="localhost",
        authenticator=_login,
        auth_required=True,
        **tls,
    )
    controller.start()
    return controller, sink, port


@pytest.fixture
def trusted(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The test's certificate is the one the machine trusts (the default verify paths read SSL_CERT_FILE)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    yield


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_mail_goes_encrypted_with_a_login_and_a_checked_certificate(
    outbox: Outbox, certificate: tuple[Path, Path], trusted: None, security: str
) -> None:
    controller, sink, port = _serve(certificate, implicit=security == "tls")
    try:
        keys = outbox.queue(2)
        settings = settings_for(
            port, smtp_host="localhost", smtp_security=security, smtp_user=USER, smtp_password=PASSWORD
        )
        report = send_due(settings=settings)
        assert report.sent == 2, [r.last_error for r in outbox.rows()]
        assert set(sink.ids()) == ids_of(keys)
        assert [r.state for r in outbox.rows()] == ["sent", "sent"]
    finally:
        controller.stop()


def test_a_wrong_password_waits_for_the_next_try_with_the_servers_answer(
    outbox: Outbox, certificate: tuple[Path, Path], trusted: None
) -> None:
    controller, sink, port = _serve(certificate, implicit=False)
    try:
        outbox.queue(1)
        settings = settings_for(
            port,
            smtp_host="localhost",
            smtp_security="starttls",
            smtp_user=USER,
            smtp_password="wrong",
            smtp_timeout_seconds=3,
        )
        report = send_due(settings=settings)
        assert report.sent == 0 and report.retrying == 1 and sink.messages == []
        row = outbox.rows()[0]
        assert row.state == "queued" and row.attempts == 1 and row.last_error
    finally:
        controller.stop()


def test_a_certificate_no_one_trusts_is_refused(outbox: Outbox, certificate: tuple[Path, Path]) -> None:
    controller, sink, port = _serve(certificate, implicit=True)
    try:
        outbox.queue(1)
        settings = settings_for(
            port, smtp_host="localhost", smtp_security="tls", smtp_user=USER, smtp_password=PASSWORD
        )
        report = send_due(settings=settings)
        assert report.sent == 0 and sink.messages == []
        assert "CERTIFICATE_VERIFY_FAILED" in (outbox.rows()[0].last_error or "")
    finally:
        controller.stop()
