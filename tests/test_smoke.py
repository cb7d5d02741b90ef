from tests.factories import headers, make_user


def test_admin_creates_official_and_appointment(client, db):
    admin = make_user(db, "admin")
    h = headers(admin)
    r = client.post(
        "/api/v1/officials", json={"national_id": "18", "first_name_he": "דנה", "last_name_he": "לוי"}, headers=h
    )
    assert r.status_code == 201, r.text
    assert r.json()["national_id"] == "000000018"
    oid = r.json()["id"]
    r = client.post(
        f"/api/v1/officials/{oid}/appointments",
        json={"authority_code": "0031", "role_code": "treasurer", "start_date": "2024-02-29"},
        headers=h,
    )
    assert r.status_code == 201, r.text
