"""No way back from an anonymous answer to its respondent: the schema refuses a respondent, the link keeps only that
it was used, and no audit record or log line names the person. And a link answers once."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit.models import AccessRecord, AuditEvent
from app.clock import today
from app.errors import Conflict, Invalid, NotFound
from app.surveys.models import Survey, SurveyInvitation, SurveyItem, SurveyResponse
from app.surveys.schemas import InvitationCreate
from app.surveys.service import answer_by_link, invite
from tests.factories import ACTOR, make_official
from tests.surveys.factories import make_survey


def _link(db: Session, survey_id: int, official_id: int) -> str:
    links = invite(db, survey_id=survey_id, data=InvitationCreate(official_ids=[official_id]), actor=ACTOR)
    return links[0].path.removeprefix("/s/")


def test_the_schema_refuses_a_respondent_on_an_anonymous_response(db: Session) -> None:
    survey = make_survey(db, anonymous=True)
    official = make_official(db)
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(
            SurveyResponse(
                survey_id=survey.id,
                anonymous=True,
                respondent_official_id=official.id,
                source="link",
                submitted_on=today(),
            )
        )
        db.flush()
    # Nor can a response claim its survey is not anonymous: the flag is bound to the survey's by a foreign key.
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(
            SurveyResponse(
                survey_id=survey.id,
                anonymous=False,
                respondent_official_id=official.id,
                source="link",
                submitted_on=today(),
            )
        )
        db.flush()
    # Nor can a people item (whom the respondent consults) be in it.
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(SurveyItem(survey_id=survey.id, anonymous=True, position=9, code="who", kind="people", text_he="מי"))
        db.flush()


def test_a_survey_with_responses_cannot_stop_being_anonymous(db: Session) -> None:
    survey = make_survey(db, anonymous=True)
    answer_by_link(db, token=_link(db, survey.id, make_official(db).id), given={"trust1": "4"})
    with pytest.raises(IntegrityError), db.begin_nested():
        db.execute(update(Survey).where(Survey.id == survey.id).values(anonymous=False))


def test_an_invitation_keeps_only_that_it_was_used(db: Session) -> None:
    columns = {c["name"] for c in inspect(db.connection()).get_columns("survey_invitations")}
    assert columns == {"id", "survey_id", "official_id", "token_hash", "used", "created_at"}
    references = {fk["referred_table"] for fk in inspect(db.connection()).get_foreign_keys("survey_invitations")}
    assert "survey_responses" not in references


def test_no_audit_record_or_log_line_names_an_anonymous_respondent(
    db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    survey = make_survey(db, anonymous=True)
    official = make_official(db, first_name_he="ורד", last_name_he="אלמוני", first_name_en="Vered", last_name_en="Anon")
    token = _link(db, survey.id, official.id)
    before = db.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) or 0
    access_before = db.scalar(select(AccessRecord.id).order_by(AccessRecord.id.desc()).limit(1)) or 0
    caplog.set_level(logging.DEBUG)
    response = answer_by_link(db, token=token, given={"trust1": "5", "note": "תודה"})
    db.flush()
    assert response.respondent_official_id is None
    invitation = db.scalar(select(SurveyInvitation).where(SurveyInvitation.official_id == official.id))
    assert invitation is not None and invitation.used is True
    events = list(db.scalars(select(AuditEvent).where(AuditEvent.id > before)))
    assert [e.entity_type for e in events] == ["survey_response"]
    names = {official.national_id, "ורד", "אלמוני", "Vered", "Anon", token}
    for e in events:
        # The response's own record: its id, its survey, no respondent, no user, no address.
        assert e.actor_user_id is None and e.address is None and e.actor_label == "survey respondent"
        assert e.entity_id == str(response.id)
        assert e.after == {
            "id": response.id,
            "survey_id": survey.id,
            "anonymous": True,
            "respondent_official_id": None,
            "source": "link",
            "submitted_on": today().isoformat(),
            "items_answered": ["note", "trust1"],
        }
        text = json.dumps([e.actor_label, e.entity_id, e.before, e.after], ensure_ascii=False)
        assert not [n for n in names if n in text], text
    assert not list(db.scalars(select(AccessRecord).where(AccessRecord.id > access_before)))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not [n for n in names if n in logged], logged


def test_a_named_survey_keeps_its_respondent(db: Session) -> None:
    survey = make_survey(db, anonymous=False, series="named")
    official = make_official(db)
    response = answer_by_link(db, token=_link(db, survey.id, official.id), given={"trust1": "3"})
    assert response.respondent_official_id == official.id


def test_a_link_answers_once(db: Session) -> None:
    survey = make_survey(db)
    token = _link(db, survey.id, make_official(db).id)
    with pytest.raises(Invalid) as refused:
        answer_by_link(db, token=token, given={"trust1": "7"})
    assert refused.value.field == "trust1"
    answer_by_link(db, token=token, given={"trust1": "4"})  # a refused answer did not use the link
    with pytest.raises(Conflict) as used:
        answer_by_link(db, token=token, given={"trust1": "5"})
    assert used.value.code == "link_used"
    with pytest.raises(NotFound):
        answer_by_link(db, token="no-such-link", given={"trust1": "5"})
    assert len(list(db.scalars(select(SurveyResponse).where(SurveyResponse.survey_id == survey.id)))) == 1


def test_the_access_log_never_names_a_one_time_link() -> None:
    from app.main import create_app

    create_app()
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "POST", "/s/Zx9-secret_token?lang=en", "1.1", 200), None,
    )  # fmt: skip
    for f in logging.getLogger("uvicorn.access").filters:
        assert not isinstance(f, logging.Filter) or f.filter(record)
    assert "secret" not in record.getMessage()
    assert '"POST /s/…?lang=en HTTP/1.1" 200' in record.getMessage()
    other = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/surveys/3", "1.1", 200), None,
    )  # fmt: skip
    for f in logging.getLogger("uvicorn.access").filters:
        assert not isinstance(f, logging.Filter) or f.filter(other)
    assert "/surveys/3" in other.getMessage()
