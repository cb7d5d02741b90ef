"""Use cases of the graduates network: a graduate joins the directory, changes what it shows of them, or leaves it;
their membership of the graduates community follows (joining it in the wider circle, leaving it with the
directory), through the communities' own services."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.audit.service import add_and_record, record_change, snapshot
from app.auth import OFFICIAL, Principal
from app.clock import now_utc, today
from app.communities import service as communities
from app.errors import Forbidden, Invalid
from app.graduates.models import GraduateProfile
from app.graduates.rules import contact_problem, leaves_with_the_directory
from app.graduates.schemas import GraduateProfileUpdate
from app.graduates.selectors import graduates_community, is_graduate, profile_of
from app.officials.models import Official


def save_profile(db: Session, *, data: GraduateProfileUpdate, actor: Principal) -> GraduateProfile:
    """The caller's profile as sent: joining the directory (dated today), changing what it shows, or leaving it (dated
    today; what was entered is kept for a return, and shown to no one). Graduates only, for themselves."""
    if actor.role != OFFICIAL or actor.official_id is None:
        raise Forbidden("only a graduate has a place in the graduates directory", code="not_a_graduate")
    if not is_graduate(db, official_id=actor.official_id):
        raise Forbidden("the graduates directory is for officials who completed a programme", code="not_a_graduate")
    official = db.get(Official, actor.official_id)
    assert official is not None
    problem = contact_problem(
        show_email=data.show_email,
        email=data.email,
        email_on_record=official.email,
        show_phone=data.show_phone,
        phone=data.phone,
    )
    if problem is not None:
        raise Invalid(f"{problem[0]}: {problem[1]}", field=problem[0])
    now, day = now_utc(), today()
    fields = data.model_dump()
    profile = profile_of(db, official_id=official.id)
    if profile is None:
        profile = GraduateProfile(
            official_id=official.id,
            **fields,
            opted_in_on=day if data.opted_in else None,
            opted_out_on=None,
            created_at=now,
            updated_at=now,
        )
        add_and_record(db, profile, actor=actor, entity_type="graduate_profile")
    else:
        before = snapshot(profile)
        if data.opted_in and not profile.opted_in:
            profile.opted_in_on, profile.opted_out_on = day, None
        elif profile.opted_in and not data.opted_in:
            profile.opted_out_on = day
        for name, value in fields.items():
            setattr(profile, name, value)
        if snapshot(profile) != before:
            profile.updated_at = now
            record_change(
                db, profile, before=before, actor=actor, entity_type="graduate_profile", exclude=("updated_at",)
            )
    _follow_the_directory(db, official_id=official.id, opted_in=data.opted_in, actor=actor)
    return profile


def _follow_the_directory(db: Session, *, official_id: int, opted_in: bool, actor: Principal) -> None:
    """A graduate in the directory is a member of the graduates community (joined in its wider circle when not one
    already, also when the community was made after they joined the directory); one who leaves the directory leaves
    it too, unless they run it (rules.leaves_with_the_directory). Nothing when the school has no graduates network."""
    community = graduates_community(db)
    if community is None:
        return
    member = communities.current_membership(db, community_id=community.id, official_id=official_id)
    if opted_in and member is None:
        communities.join_by_right(db, community_id=community.id, official_id=official_id, actor=actor)
    elif not opted_in and member is not None and leaves_with_the_directory(member.role):
        communities.end_membership(db, community_id=community.id, member_id=member.id, actor=actor)
