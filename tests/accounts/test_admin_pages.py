"""The school's pages of accounts: the list in both languages; a new account made with a one-time link to set its
password; a refused form kept as typed with its errors at their fields (422) and nothing written; deactivating and
reactivating after their check pages; a password reset showing the link; a change of role; what the rules refuse
(one's own account, an auditor's, an official's role); the list in the same number of statements for 1 or 10."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.service import reset_link_user
from tests.factories import counting_statements, make_official, make_user, sign_in

ORIGIN = {"Origin": "http://testserver"}


def _admin(db: Session, client: TestClient) -> tuple[User, str]:
    admin = make_user(db, "admin")
    return admin, sign_in(db, client, admin).csrf_token


def _users(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(User)) or 0


def test_the_accounts_list_shows_role_authority_state_and_second_factor(db: Session, client: TestClient) -> None:
    _admin(db, client)
    liaison = make_user(db, "liaison", email="liaison@ofakim.example")
    liaison.active = False
    page = client.get("/admin/accounts")
    assert page.status_code == 200, page.text
    row = page.text.split('data-account="liaison@ofakim.example"')[1].split("</tr>")[0]
    assert "רכז/ת הדרכה ברשות" in row and "0031" in row and 'data-active="false"' in row and "לא מופעל" in row
    english = client.get("/admin/accounts?lang=en").text
    row = english.split('data-account="liaison@ofakim.example"')[1].split("</tr>")[0]
    assert "Authority training coordinator" in row and "Deactivated" in row


def test_a_new_account_gets_a_one_time_link_to_choose_its_password(db: Session, client: TestClient) -> None:
    _, csrf = _admin(db, client)
    form = {"csrf_token": csrf, "email": "New.Liaison@Ofakim.example", "role": "liaison", "authority_code": "0031"}
    r = client.post("/admin/accounts/new", data=form, headers=ORIGIN)
    assert r.status_code == 200, r.text
    user = db.scalars(select(User).where(User.email == "new.liaison@ofakim.example")).one()
    assert user.role == "liaison" and user.authority_code == "0031" and user.active
    url = r.text.split('id="reset_url" type="text" readonly value="')[1].split('"')[0]
    assert "/password-reset/" in url
    held = reset_link_user(db, token=url.rsplit("/", 1)[1])
    assert held is not None and held.id == user.id


def test_a_refused_new_account_keeps_what_was_typed_and_writes_nothing(db: Session, client: TestClient) -> None:
    _, csrf = _admin(db, client)
    before = _users(db)
    r = client.post(
        "/admin/accounts/new", data={"csrf_token": csrf, "email": "coord@x.example", "role": "liaison"}, headers=ORIGIN
    )
    assert r.status_code == 422 and 'href="#authority_code"' in r.text and 'value="coord@x.example"' in r.text
    r = client.post("/admin/accounts/new", data={"csrf_token": csrf, "email": "not an email"}, headers=ORIGIN)
    assert r.status_code == 422 and 'href="#email"' in r.text
    form = {"csrf_token": csrf, "email": "o@x.example", "role": "official", "official_national_id": "000000018"}
    r = client.post("/admin/accounts/new", data=form, headers=ORIGIN)
    assert r.status_code == 422 and 'href="#official_national_id"' in r.text
    taken = make_user(db, "admin")
    r = client.post(
        "/admin/accounts/new?lang=en", data={"csrf_token": csrf, "email": taken.email, "role": "admin"}, headers=ORIGIN
    )
    assert r.status_code == 422 and "already an account with this email" in r.text
    assert _users(db) == before + 1
    # An admin is not offered the auditor's role, and cannot make one.
    assert 'value="auditor"' not in client.get("/admin/accounts/new").text
    r = client.post(
        "/admin/accounts/new", data={"csrf_token": csrf, "email": "a@x.example", "role": "auditor"}, headers=ORIGIN
    )
    assert r.status_code == 422 and _users(db) == before + 1


def test_an_official_account_names_the_person(db: Session, client: TestClient) -> None:
    _, csrf = _admin(db, client)
    official = make_official(db)
    form = {
        "csrf_token": csrf,
        "email": "dana@x.example",
        "role": "official",
        "official_national_id": official.national_id,
    }
    assert client.post("/admin/accounts/new", data=form, headers=ORIGIN).status_code == 200
    assert db.scalars(select(User.official_id).where(User.email == "dana@x.example")).one() == official.id


def test_deactivate_reactivate_and_reset_an_account_after_their_check_pages(db: Session, client: TestClient) -> None:
    _, csrf = _admin(db, client)
    user = make_user(db, "liaison")
    page = client.get(f"/admin/accounts/{user.id}")
    assert page.status_code == 200 and f"/admin/accounts/{user.id}/deactivate" in page.text
    check = client.get(f"/admin/accounts/{user.id}/deactivate")
    assert check.status_code == 200 and "כל החיבורים הפתוחים שלו יסתיימו מיד." in check.text
    r = client.post(
        f"/admin/accounts/{user.id}/deactivate", data={"csrf_token": csrf}, headers=ORIGIN, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"].endswith("notice=account_deactivated")
    db.refresh(user)
    assert not user.active
    assert "החשבון הושבת." in client.get(r.headers["location"]).text
    # A deactivated account's password is not reset (409), it is reactivated first.
    r = client.post(f"/admin/accounts/{user.id}/password-reset", data={"csrf_token": csrf}, headers=ORIGIN)
    assert r.status_code == 409 and "החשבון מושבת" in r.text
    r = client.post(
        f"/admin/accounts/{user.id}/reactivate", data={"csrf_token": csrf}, headers=ORIGIN, follow_redirects=False
    )
    assert r.status_code == 303
    db.refresh(user)
    assert user.active
    r = client.post(f"/admin/accounts/{user.id}/password-reset", data={"csrf_token": csrf}, headers=ORIGIN)
    assert r.status_code == 200 and "/password-reset/" in r.text and "הסיסמה של" in r.text


def test_changing_a_role_and_what_the_rules_refuse(db: Session, client: TestClient) -> None:
    admin, csrf = _admin(db, client)
    user = make_user(db, "liaison")
    r = client.post(
        f"/admin/accounts/{user.id}/role",
        data={"csrf_token": csrf, "role": "admin"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert r.status_code == 303
    db.refresh(user)
    assert user.role == "admin" and user.authority_code is None
    # A liaison needs an authority: the error at the field, nothing changed.
    r = client.post(f"/admin/accounts/{user.id}/role", data={"csrf_token": csrf, "role": "liaison"}, headers=ORIGIN)
    assert r.status_code == 422 and 'href="#authority_code"' in r.text
    # An official's account stays that person's.
    official = make_user(db, "official")
    r = client.post(f"/admin/accounts/{official.id}/role", data={"csrf_token": csrf, "role": "admin"}, headers=ORIGIN)
    assert r.status_code == 422 and "שייך לאותו אדם" in r.text
    # Not one's own account; never an auditor's.
    r = client.post(f"/admin/accounts/{admin.id}/deactivate", data={"csrf_token": csrf}, headers=ORIGIN)
    assert r.status_code == 403 and "על החשבון שלך" in r.text
    auditor = make_user(db, "auditor")
    r = client.post(f"/admin/accounts/{auditor.id}/two-factor-reset", data={"csrf_token": csrf}, headers=ORIGIN)
    assert r.status_code == 403 and "מבקרי משרד הפנים" in r.text
    db.refresh(auditor)
    assert auditor.totp_enrolled_at is not None
    assert client.get("/admin/accounts/99999999").status_code == 404


def test_the_accounts_list_answers_in_the_same_number_of_statements_for_1_or_10(
    db: Session,
    client: TestClient,
    callers_read_each_time,
) -> None:
    _admin(db, client)
    with counting_statements(db) as one:
        assert client.get("/admin/accounts").status_code == 200
    for _ in range(9):
        make_user(db, "liaison")
    with counting_statements(db) as ten:
        assert client.get("/admin/accounts").status_code == 200
    assert len(ten) == len(one)
