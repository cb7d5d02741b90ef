"""The knowledge centre's API: each caller sees the items of their standing (anonymous, an official outside the
community, a wider member, a core member, its coordinator, an auditor, an admin), filing and its refusals (upload
size, type by content), the download's headers, and changing and removing."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.config import get_settings
from tests.factories import headers
from tests.knowledge.factories import PDF, Library, make_library

# Which items of the library each standing sees (school: the public item of no community).
SEES = {
    "anonymous": {"public", "school"},
    "liaison": {"public", "school"},
    "outsider": {"public", "school"},
    "wider": {"public", "school", "wider"},
    "core": {"public", "school", "wider", "core", "document"},
    "coordinator": {"public", "school", "wider", "core", "document"},
    "auditor": {"public", "school", "wider", "core", "document"},
    "admin": {"public", "school", "wider", "core", "document"},
}


def _auth(lib: Library, who: str) -> dict[str, str]:
    return {} if who == "anonymous" else headers(lib.users[who])


@pytest.mark.parametrize("who", list(SEES))
def test_each_caller_sees_the_items_of_their_standing(db: Session, client: TestClient, who: str) -> None:
    lib = make_library(db)
    ids = {"public": lib.public.id, "wider": lib.wider.id, "core": lib.core.id, "school": lib.school.id}
    ids["document"] = lib.document.id
    r = client.get("/api/v1/knowledge", headers=_auth(lib, who))
    assert r.status_code == 200, r.text
    listed = {i["id"] for i in r.json()["items"]}
    assert {name for name, i in ids.items() if i in listed} == SEES[who]
    for name, item_id in ids.items():
        one = client.get(f"/api/v1/knowledge/{item_id}", headers=_auth(lib, who))
        assert one.status_code == (200 if name in SEES[who] else 404), (name, one.text)
    download = client.get(f"/api/v1/knowledge/{lib.document.id}/file", headers=_auth(lib, who))
    assert download.status_code == (200 if "document" in SEES[who] else 404)


def test_search_by_words_in_the_api(db: Session, client: TestClient) -> None:
    lib = make_library(db)
    admin = headers(lib.users["admin"])
    found = client.get("/api/v1/knowledge", params={"q": "תכנ עירונ"}, headers=admin).json()
    assert found["total"] == 3
    assert client.get("/api/v1/knowledge", params={"q": 'מנכ"ל'}).json()["items"][0]["id"] == lib.school.id
    assert client.get("/api/v1/knowledge", params={"kind": "document"}, headers=admin).json()["total"] == 1
    bad = client.get("/api/v1/knowledge", params={"kind": "video"})
    assert bad.status_code == 422


def test_a_coordinator_files_a_link_and_a_note(db: Session, client: TestClient) -> None:
    lib = make_library(db)
    cid = lib.seeded.community.id
    coordinator = headers(lib.users["coordinator"])
    link = {
        "kind": "link",
        "title_he": "אתר משרד הפנים",
        "url": "https://www.gov.il/he/departments/ministry_of_interior",
    }
    r = client.post("/api/v1/knowledge", json={**link, "community_id": cid, "visibility": "wider"}, headers=coordinator)
    assert r.status_code == 201, r.text
    assert (r.json()["kind"], r.json()["visibility"], r.json()["may_edit"]) == ("link", "wider", True)
    for body, field in (
        ({**link, "visibility": "core"}, "visibility"),  # a circle with no community
        ({**link, "url": "javascript:alert(1)", "community_id": cid}, "url"),
        ({"kind": "note", "title_he": "ריק", "community_id": cid}, "body"),
        ({**link, "community_id": cid, "role_code": "astronaut"}, "role_code"),
        ({**link, "community_id": 999999}, "community_id"),
    ):
        refused = client.post("/api/v1/knowledge", json=body, headers=coordinator)
        assert refused.status_code == 422 and refused.json()["field"] == field, (body, refused.text)
    # Not theirs: no community (admins only), and not their community.
    assert client.post("/api/v1/knowledge", json=link, headers=coordinator).status_code == 403
    for who in ("core", "wider", "outsider"):
        as_them = client.post("/api/v1/knowledge", json={**link, "community_id": cid}, headers=headers(lib.users[who]))
        assert as_them.status_code == 403, who
    for who in ("auditor", "liaison"):
        assert client.post("/api/v1/knowledge", json=link, headers=headers(lib.users[who])).status_code == 403
    assert client.post("/api/v1/knowledge", json=link).status_code == 401


def _upload(client: TestClient, lib: Library, content: bytes, name: str, **fields: str) -> object:
    data = {"title_he": "תוכנית עבודה", "community_id": str(lib.seeded.community.id), "visibility": "core", **fields}
    return client.post(
        "/api/v1/knowledge/documents",
        data=data,
        files={"file": (name, content, "application/octet-stream")},
        headers=headers(lib.users["coordinator"]),
    )


def test_documents_are_checked_by_content_and_size(
    db: Session, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = make_library(db)
    ok = _upload(client, lib, PDF, "תוכנית 2026.pdf")
    assert ok.status_code == 201, ok.text  # type: ignore[attr-defined]
    body = ok.json()  # type: ignore[attr-defined]
    assert (body["file_type"], body["file_size"], body["file_name"]) == ("application/pdf", len(PDF), "תוכנית 2026.pdf")
    fake = _upload(client, lib, b"plain words, no PDF", "report.pdf")
    assert fake.status_code == 422 and fake.json()["field"] == "file"  # type: ignore[attr-defined]
    assert "PDF" in fake.json()["detail"] or "TXT" in fake.json()["detail"]  # type: ignore[attr-defined]
    exe = _upload(client, lib, b"MZ\x90\x00" + b"\0" * 100, "tool.exe")
    assert exe.status_code == 422 and exe.json()["error"] == "file_type"  # type: ignore[attr-defined]
    no_title = _upload(client, lib, PDF, "a.pdf", title_he="  ")
    assert no_title.status_code == 422 and no_title.json()["field"] == "title_he"  # type: ignore[attr-defined]
    monkeypatch.setattr(get_settings(), "knowledge_max_bytes", 20)
    big = _upload(client, lib, PDF, "big.pdf")
    assert big.status_code == 413 and big.json()["error"] == "too_large"  # type: ignore[attr-defined]


def test_the_download_names_the_file_and_its_type(db: Session, client: TestClient) -> None:
    lib = make_library(db)
    r = client.get(f"/api/v1/knowledge/{lib.document.id}/file", headers=headers(lib.users["core"]))
    assert r.status_code == 200 and r.content == PDF
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["x-content-type-options"] == "nosniff"
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=")
    assert f"filename*=UTF-8''{quote('תוכנית עבודה.pdf', safe='')}" in disposition
    note = client.get(f"/api/v1/knowledge/{lib.public.id}/file")
    assert note.status_code == 404


def test_changing_and_removing(db: Session, client: TestClient) -> None:
    lib = make_library(db)
    coordinator, member = headers(lib.users["coordinator"]), headers(lib.users["core"])
    r = client.patch(
        f"/api/v1/knowledge/{lib.core.id}", json={"visibility": "public", "title_en": "Plan"}, headers=coordinator
    )
    assert r.status_code == 200 and r.json()["visibility"] == "public"
    assert client.get(f"/api/v1/knowledge/{lib.core.id}").status_code == 200  # now public
    assert client.patch(f"/api/v1/knowledge/{lib.core.id}", json={"title_he": "x"}, headers=member).status_code == 403
    school = client.patch(f"/api/v1/knowledge/{lib.school.id}", json={"title_he": "x"}, headers=coordinator)
    assert school.status_code == 403
    assert client.delete(f"/api/v1/knowledge/{lib.document.id}", headers=member).status_code == 403
    assert client.delete(f"/api/v1/knowledge/{lib.document.id}", headers=coordinator).status_code == 204
    assert client.get(f"/api/v1/knowledge/{lib.document.id}", headers=coordinator).status_code == 404


def test_minutes_saved_by_the_api_are_filed(db: Session, client: TestClient) -> None:
    lib = make_library(db)
    meeting = lib.seeded.meeting.id
    coordinator = headers(lib.users["coordinator"])
    r = client.patch(
        f"/api/v1/communities/meetings/{meeting}", json={"minutes": "סוכם לקדם תכנית"}, headers=coordinator
    )
    assert r.status_code == 200, r.text
    core = client.get("/api/v1/knowledge", params={"q": "תכנית"}, headers=headers(lib.users["core"])).json()
    assert [(i["kind"], i["meeting_id"], i["is_minutes"]) for i in core["items"]] == [("note", meeting, True)]
    wider = client.get("/api/v1/knowledge", params={"q": "תכנית"}, headers=headers(lib.users["wider"])).json()
    assert wider["total"] == 0
