"""The knowledge centre's pages: the search for anyone (public items to anonymous visitors) in both languages,
filing a document, a link and a note by the form with errors at their fields, one item with its change and removal,
the download, and the items on a community's and a meeting's pages, with a meeting's minutes filed when saved."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.knowledge import service
from app.knowledge.models import KnowledgeItem
from tests.factories import ACTOR, counting_statements, sign_in
from tests.knowledge.factories import PDF, make_library, note

ORIGIN = {"Origin": "http://testserver"}


def test_anyone_searches_the_public_items(db: Session, client: TestClient) -> None:
    lib = make_library(db)
    r = client.get("/knowledge")
    assert r.status_code == 200
    assert f'data-knowledge-item="{lib.public.id}"' in r.text and f'data-knowledge-item="{lib.school.id}"' in r.text
    assert f'data-knowledge-item="{lib.core.id}"' not in r.text
    found = client.get("/knowledge", params={"q": "תכנ"})
    assert found.text.count("data-knowledge-item=") == 1
    english = client.get("/knowledge?lang=en")
    assert '<html lang="en" dir="ltr">' in english.text and "Knowledge centre" in english.text
    assert client.get(f"/knowledge/{lib.public.id}").status_code == 200
    assert client.get(f"/knowledge/{lib.core.id}").status_code == 404
    assert client.get(f"/knowledge/{lib.document.id}/file").status_code == 404


def test_a_core_member_sees_and_downloads_the_community_documents(db: Session, client: TestClient) -> None:
    lib = make_library(db)
    sign_in(db, client, lib.users["core"])
    r = client.get("/knowledge", params={"community_id": lib.seeded.community.id})
    assert r.text.count("data-knowledge-item=") == 4
    assert "/knowledge/new" not in r.text  # a member files nothing
    download = client.get(f"/knowledge/{lib.document.id}/file")
    assert download.status_code == 200 and download.content == PDF
    assert "filename*=UTF-8''" in download.headers["content-disposition"]
    community = client.get(f"/communities/{lib.seeded.community.id}")
    assert 'id="knowledge"' in community.text and f'data-knowledge-item="{lib.document.id}"' in community.text


def test_a_coordinator_files_a_document_by_the_form(db: Session, client: TestClient) -> None:
    lib = make_library(db)
    csrf = sign_in(db, client, lib.users["coordinator"]).csrf_token
    cid = str(lib.seeded.community.id)
    form = client.get("/knowledge/new")
    assert form.status_code == 200 and f'<option value="{cid}"' in form.text
    fields = {"csrf_token": csrf, "kind": "document", "title_he": "מצגת הפתיחה", "community_id": cid}
    fields["visibility"] = "wider"
    fake = client.post(
        "/knowledge/new", data=fields, files={"file": ("slides.pdf", b"not a pdf", "application/pdf")}, headers=ORIGIN
    )
    assert fake.status_code == 422 and 'href="#file"' in fake.text and 'value="מצגת הפתיחה"' in fake.text
    missing = client.post("/knowledge/new", data={**fields, "title_he": ""}, headers=ORIGIN)
    assert missing.status_code == 422 and 'href="#title_he"' in missing.text
    ok = client.post(
        "/knowledge/new",
        data=fields,
        files={"file": ("מצגת.pdf", PDF, "application/pdf")},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert ok.status_code == 303, ok.text
    page = client.get(ok.headers["location"])
    assert "מצגת הפתיחה" in page.text and "data-download" in page.text and 'data-visibility="wider"' in page.text


def test_links_and_notes_by_the_form_then_changed_and_removed(db: Session, client: TestClient) -> None:
    lib = make_library(db)
    csrf = sign_in(db, client, lib.users["admin"]).csrf_token
    bad = client.post(
        "/knowledge/new",
        data={"csrf_token": csrf, "kind": "link", "title_he": "קישור", "url": "ftp://x", "visibility": "core"},
        headers=ORIGIN,
    )
    assert bad.status_code == 422 and 'href="#url"' in bad.text
    ok = client.post(
        "/knowledge/new",
        data={"csrf_token": csrf, "kind": "note", "title_he": "הערה", "body": "שורה\nשורה", "visibility": "public"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert ok.status_code == 303, ok.text
    item_id = int(ok.headers["location"].split("/")[2].split("?")[0])
    saved = client.post(
        f"/knowledge/{item_id}",
        data={"csrf_token": csrf, "title_he": "הערה מתוקנת", "body": "טקסט", "language": "he", "visibility": "public"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert "הערה מתוקנת" in client.get(f"/knowledge/{item_id}").text
    unsure = client.post(f"/knowledge/{item_id}/remove", data={"csrf_token": csrf}, headers=ORIGIN)
    assert unsure.status_code == 422 and 'href="#confirm"' in unsure.text
    gone = client.post(
        f"/knowledge/{item_id}/remove",
        data={"csrf_token": csrf, "confirm": "yes"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert gone.status_code == 303 and db.get(KnowledgeItem, item_id) is None


def test_a_meeting_page_files_products_and_minutes(db: Session, client: TestClient) -> None:
    lib = make_library(db)
    meeting = lib.seeded.meeting
    csrf = sign_in(db, client, lib.users["coordinator"]).csrf_token
    page = client.get(f"/communities/meetings/{meeting.id}")
    assert f"/knowledge/new?meeting_id={meeting.id}" in page.text
    form = client.get(f"/knowledge/new?meeting_id={meeting.id}")
    assert f'name="meeting_id" value="{meeting.id}"' in form.text
    filed = client.post(
        "/knowledge/new",
        data={
            "csrf_token": csrf,
            "kind": "document",
            "title_he": "תוצר המפגש",
            "meeting_id": str(meeting.id),
            "community_id": str(meeting.community_id),
            "visibility": "core",
        },
        files={"file": ("table.csv", b"a,b\n1,2\n", "text/csv")},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert filed.status_code == 303, filed.text
    values = {
        "csrf_token": csrf,
        "title": meeting.title,
        "kind": meeting.kind,
        "date": meeting.date.isoformat(),
        "minutes": "סיכמנו את תוכנית השנה",
    }
    saved = client.post(f"/communities/meetings/{meeting.id}", data=values, headers=ORIGIN, follow_redirects=False)
    assert saved.status_code == 303
    after = client.get(f"/communities/meetings/{meeting.id}")
    assert "תוצר המפגש" in after.text and "סיכום המפגש: " in after.text
    notes = db.scalars(select(KnowledgeItem).where(KnowledgeItem.meeting_id == meeting.id)).all()
    assert sorted((n.kind, n.is_minutes) for n in notes) == [("document", False), ("note", True)]


def test_the_search_runs_as_many_statements_for_many_items_as_for_few(
    db: Session, client: TestClient, callers_read_each_time
) -> None:
    lib = make_library(db)
    sign_in(db, client, lib.users["core"])
    counts = []
    for extra in (0, 10):
        for n in range(extra):
            service.file_item(db, data=note(lib.seeded.community.id, "wider", f"פריט {n}"), actor=ACTOR)
        db.commit()
        with counting_statements(db) as statements:
            assert client.get("/knowledge").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]
