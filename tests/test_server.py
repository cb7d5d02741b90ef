"""The real server, as `make run` starts it: separate processes and connections, no test overrides."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A served embedded SQLite school with an admin and an auditor."""
    var = tmp_path_factory.mktemp("server")
    env = {**os.environ, "LMS_VAR_DIR": str(var), "LMS_DATABASE_URL": f"sqlite:///{var / 'lms.db'}"}
    lms = [sys.executable, "-m", "app.cli"]
    for args in (
        ["db", "upgrade"],
        ["load-reference"],
        ["users", "create", "--email", "admin@x.example", "--password", "admin-password", "--role", "admin"],
        ["users", "create", "--email", "aud@x.example", "--password", "auditor-password", "--role", "auditor"],
    ):
        subprocess.run([*lms, *args], env=env, check=True, capture_output=True)
    port = _free_port()
    proc = subprocess.Popen(
        [*lms, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
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


def _token(base: str, email: str, password: str) -> dict[str, str]:
    r = httpx.post(f"{base}/api/v1/auth/token", data={"username": email, "password": password}, timeout=10)
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
