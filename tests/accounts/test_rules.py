"""What makes a password acceptable: long enough, not a common or breached one, not the account's email."""

from __future__ import annotations

import pytest

from app.accounts.rules import password_problem


@pytest.mark.parametrize(
    ("password", "email", "refused_because"),
    [
        ("eleven-char", None, "at least 12"),
        ("password1234", None, "commonly used or breached"),
        ("qwertyuiopas", None, "commonly used or breached"),
        ("123456789012", None, "commonly used or breached"),
        ("iloveyou12345", None, "commonly used or breached"),
        ("Dana.Levi@Ofakim.example", "dana.levi@ofakim.example", "email"),
        ("dana.levi.ofakim", "dana.levi.ofakim@school.example", "email"),
        ("x" * 201, None, "at most 200"),
        ("twelve-chars", None, None),
        ("a long passphrase of words", "dana@ofakim.example", None),
        ("דנה-לוי-אופקים-2026", None, None),
    ],
)
def test_password_rule(password: str, email: str | None, refused_because: str | None) -> None:
    problem = password_problem(password, email=email)
    if refused_because is None:
        assert problem is None
    else:
        assert problem is not None and refused_because in problem


@pytest.mark.parametrize(
    ("password", "sentence"),
    [
        ("short-pass1", "at least 12 characters"),
        ("password1234", "commonly used or breached"),
        ("jane.doe@school.example", "email"),
    ],
)
def test_a_weak_password_is_refused_naming_the_field(client, db, password, sentence):
    from tests.factories import headers, make_user

    body = {"email": "jane.doe@school.example", "role": "auditor", "password": password}
    r = client.post("/api/v1/users", json=body, headers=headers(make_user(db, "admin")))
    assert r.status_code == 422
    assert r.json()["field"] == "password" and sentence in r.json()["detail"]
    assert password not in r.text


def test_the_command_line_refuses_a_weak_password_in_plain_words(database):
    import os
    import subprocess
    import sys
    from pathlib import Path

    lms = Path(sys.executable).with_name("lms")
    result = subprocess.run(
        [
            str(lms),
            "users",
            "create",
            "--email",
            "weak@school.example",
            "--password",
            "password1234",
            "--role",
            "admin",
        ],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=60,
    )
    assert result.returncode == 2
    assert "error: password: is one of the commonly used or breached passwords" in result.stderr


@pytest.mark.parametrize(
    ("creator", "new_role", "status"),
    [
        ("admin", "auditor", 403),
        ("admin", "admin", 201),
        ("auditor", "auditor", 201),
        ("auditor", "admin", 403),
        ("liaison", "auditor", 403),
        ("official", "auditor", 403),
    ],
)
def test_only_an_operator_or_an_auditor_makes_an_auditor(client, db, creator, new_role, status):
    from tests.factories import headers, make_user

    body = {"email": f"new-{creator}-{new_role}@school.example", "role": new_role, "password": "a fine long passphrase"}
    r = client.post("/api/v1/users", json=body, headers=headers(make_user(db, creator)))
    assert r.status_code == status, r.text
    if status == 403 and creator in ("admin", "auditor"):
        assert r.json()["error"] == "separation_of_duties"
