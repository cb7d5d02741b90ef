"""The real server, as `make run` starts it: separate processes and connections, no test overrides."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pyotp
import pytest

LMS = [sys.executable, "-m", "app.cli"]
# Where Debian's redis-server package puts it, when it is not on the PATH.
REDIS_SERVER = "/usr/bin/redis-server"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _serving(env: dict[str, str], *args: str) -> Iterator[str]:
    """`lms serve` on a free port with the environment, until the block ends; yields its base URL."""
    port = _free_port()
    proc = subprocess.Popen(
        [*LMS, "serve", "--port", str(port), *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def _redis(directory: Path) -> Iterator[str]:
    """A redis-server of the test's own, on a free port with its files in `directory`, until the block ends;
    yields its URL. Fails (never skips) when redis-server is not installed."""
    import redis

    binary = shutil.which("redis-server") or REDIS_SERVER
    if not os.access(binary, os.X_OK):
        pytest.fail(f"this test needs redis-server (not on the PATH, nor at {REDIS_SERVER}): install Redis")
    port = _free_port()
    options = ["--bind", "127.0.0.1", "--port", str(port), "--dir", str(directory), "--save", "", "--appendonly", "no"]
    log = directory / "redis.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([binary, *options], stdout=out, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        with redis.Redis.from_url(url) as client:
            for _ in range(100):
                if proc.poll() is not None:
                    pytest.fail(f"redis-server stopped at start (exit {proc.returncode}):\n{log.read_text()}")
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.05)
            else:
                pytest.fail(f"redis-server did not answer on port {port} within 5 s:\n{log.read_text()}")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _school(var: Path, *commands: list[str]) -> dict[str, str]:
    """An embedded SQLite school in `var`, migrated and loaded, with the commands run; its environment."""
    env = {**os.environ, "LMS_VAR_DIR": str(var), "LMS_DATABASE_URL": f"sqlite:///{var / 'lms.db'}"}
    for args in (["db", "upgrade"], ["load-reference"], *commands):
        subprocess.run([*LMS, *args], env=env, check=True, capture_output=True)
    return env


_CREATE = ["users", "create"]
_TOTP = ["--totp-secret", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A served embedded SQLite school with an admin and an auditor."""
    env = _school(
        tmp_path_factory.mktemp("server"),
        [*_CREATE, "--email", "admin@x.example", "--password", "admin-password", "--role", "admin", *_TOTP],
        [*_CREATE, "--email", "aud@x.example", "--password", "auditor-password", "--role", "auditor", *_TOTP],
    )
    with _serving(env) as base:
        yield base


def _token(base: str, email: str, password: str) -> dict[str, str]:
    # Admins and auditors have a second factor: the current code of the secret they were created with.
    form = {"username": email, "password": password, "totp": pyotp.TOTP(_TOTP[1]).now()}
    r = httpx.post(f"{base}/api/v1/auth/token", data=form, timeout=10)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_a_day_at_the_school_over_http(server: str) -> None:
    admin = _token(server, "admin@x.example", "admin-password")
    auditor = _token(server, "aud@x.example", "auditor-password")
    with httpx.Client(base_url=f"{server}/api/v1", timeout=20) as c:
        assert (
            c.post(
                "/programmes",
                headers=admin,
                json={
                    "code": "TREAS",
                    "kind": "mandatory",
                    "title_he": "הכשרת גזברים",
                    "title_en": "Treasurers",
                    "hours": 40,
                    "role_codes": ["treasurer"],
                },
            ).status_code
            == 201
        )
        o = c.post(
            "/officials", headers=admin, json={"national_id": "18", "first_name_he": "דנה", "last_name_he": "לוי"}
        ).json()
        assert (
            c.post(
                f"/officials/{o['id']}/appointments",
                headers=admin,
                json={"authority_code": "0031", "role_code": "treasurer", "start_date": "2024-02-29"},
            ).status_code
            == 201
        )
        [req] = c.get(f"/officials/{o['id']}/requirements", headers=auditor, params={"as_of": "2026-03-01"}).json()[
            "items"
        ]
        assert (req["due_date"], req["status"]) == ("2026-02-28", "overdue")
        # Downloads stream on a connection of their own while the request's own has finished.
        for path in ("/compliance/export.csv", "/compliance/export.xlsx", "/compliance/summary.xlsx"):
            r = c.get(path, headers=auditor, params={"as_of": "2026-03-01"})
            assert r.status_code == 200, (path, r.text[:200])
        assert "000000018" in c.get("/compliance/export.csv", headers=auditor).text


def test_worker_processes_share_one_verification_limit_through_redis(tmp_path: Path) -> None:
    """Two server processes, one limit of 3 look-ups a minute per address: the fourth is refused whichever
    process answers it (with a limit per process, up to six would pass). Counted in a Redis of the test's own."""
    (tmp_path / "redis").mkdir()
    with _redis(tmp_path / "redis") as redis_url:
        env = {**_school(tmp_path), "LMS_REDIS_URL": redis_url, "LMS_VERIFY_MAX_PER_MINUTE": "3"}
        with _serving(env, "--workers", "2") as base:
            if time.time() % 60 > 55:  # the limit counts per clock minute: start the look-ups inside one
                time.sleep(61 - time.time() % 60)
            codes = [httpx.get(f"{base}/api/v1/verify/unknown-{n}", timeout=10).status_code for n in range(8)]
    assert codes == [404] * 3 + [429] * 5


def _raw_request(base: str, head: str, chunks: tuple[bytes, ...] = (), *, timeout: float = 10) -> tuple[bytes, int]:
    """Send a request head, then the chunks of a body while the server reads them (stopping when it answers or
    closes); the answer's first bytes and how many body bytes were sent."""
    host, port = base.removeprefix("http://").split(":")
    sent = 0
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(head.encode("latin-1"))
        try:
            for chunk in chunks:
                s.sendall(chunk)
                sent += len(chunk)
        except OSError:  # the server answered and closed: the rest is never sent
            pass
        answer = b""
        try:
            while b"\r\n\r\n" not in answer:
                data = s.recv(65536)
                if not data:
                    break
                answer += data
        except OSError:
            pass
    return answer, sent


def test_a_body_too_large_is_refused_before_it_is_sent(server: str) -> None:
    """100 MB announced by Content-Length to a route that needs a login: 413 at once, with none of it sent."""
    head = (
        "POST /api/v1/officials HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {100 * 1024 * 1024}\r\n\r\n"
    )
    answer, _ = _raw_request(server, head, timeout=5)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"too_large"' in answer or b"content-length" in answer.lower()


def test_a_streamed_body_is_refused_past_the_limit_and_no_further_is_read(server: str) -> None:
    """A chunked body with no length: the server answers 413 once past LMS_MAX_BODY_BYTES (2 MiB by default)
    and stops reading; the client never gets to send its 100 MiB."""
    head = (
        "POST /api/v1/officials HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    piece = b"x" * 65536
    chunk = b"%x\r\n%s\r\n" % (len(piece), piece)
    answer, sent = _raw_request(server, head, (chunk,) * 1600, timeout=10)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 50 * 1024 * 1024  # the server stopped reading long before the end


def test_the_server_names_no_software_and_sends_the_security_headers(server: str) -> None:
    for path in ("/healthz", "/api/v1/officials", "/docs", "/verify/unknown"):
        r = httpx.get(f"{server}{path}", timeout=10)
        assert "server" not in r.headers, path
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert r.headers["x-content-type-options"] == "nosniff"
