"""The pages of mail. People's own: `/me/mail`, the language of their mail and whether they receive optional mail;
`/unsubscribe/{token}`, the link in an optional message, which works without signing in. The school's:
`/admin/outbox`, every message with where it stands, filtered and paged; `/admin/outbox/{id}`, one message as it
is sent, with a resend; `/admin/outbox/previews`, every kind of message, shown from its example in either language.

A message's HTML is shown as it is sent, in a sandboxed frame served apart (`.../body.html`): its own inline styles
are allowed there, and nowhere else."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth import Principal
from app.clock import now_utc
from app.config import get_settings
from app.errors import NotFound
from app.notifications import selectors, service
from app.notifications.api import addresses_of
from app.notifications.rules import KINDS, MessageState, address_of_token, example_of
from app.notifications.service import Recipient, render_message
from app.templating import LANGUAGES
from app.web.deps import FormText, PageAdmin, PageUser, SessionDep
from app.web.pages import page_language, templates
from app.web.pagination import Offset, RecordId
from app.web.routing import Router

router = Router(include_in_schema=False)
PAGE_SIZE = 50
# A message's HTML in its frame: its inline styles and images written into it, nothing else; no script, no form,
# no link followed (sandbox), framed by our own pages only.
FRAME_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; form-action 'none'; sandbox"
)
Kind = Annotated[str, Path(max_length=40)]
Language = Annotated[str, Query(max_length=2, description="he or en")]


# --- people's own choices --------------------------------------------------------------------------------------


def _mail_page(request: Request, db: SessionDep, principal: Principal, *, errors: list[tuple[str, str]]) -> Response:
    emails = addresses_of(db, principal)
    choice = selectors.mail_preference(db, email=emails[0])
    context = {"emails": emails, "choice": choice, "errors": errors}
    return templates.TemplateResponse(request, "notifications/mail.html", context, status_code=422 if errors else 200)


@router.get("/me/mail", response_class=HTMLResponse)
def my_mail(request: Request, db: SessionDep, principal: PageUser) -> Response:
    """The caller's choices about their mail: its language, and whether they receive optional mail."""
    return _mail_page(request, db, principal, errors=[])


@router.post("/me/mail")
def save_my_mail(
    request: Request, db: SessionDep, principal: PageUser, language: FormText = "", optional_mail: FormText = ""
) -> Response:
    """Save the caller's choices (audited); a missing choice is named at its field (422)."""
    errors = []
    if language not in LANGUAGES:
        errors.append(("language", "language_missing"))
    if optional_mail not in ("true", "false"):
        errors.append(("optional_mail", "optional_mail_missing"))
    if errors:
        return _mail_page(request, db, principal, errors=errors)
    service.set_mail_preference(
        db, emails=addresses_of(db, principal), language=language, optional_mail=optional_mail == "true",
        actor=principal,
    )  # fmt: skip
    return RedirectResponse("/me/mail?notice=mail_saved", status_code=303)


def _token_address(token: str) -> str:
    """The address an unsubscribe link was made for; 404 for a link that is not one of ours."""
    address = address_of_token(token[:600], secret=get_settings().resolved_secret_key())
    if address is None:
        raise NotFound("this unsubscribe link is not valid", code="unsubscribe_link_invalid")
    return address


def _unsubscribe_page(request: Request, token: str, *, done: bool) -> Response:
    try:
        address = _token_address(token)
    except NotFound:
        return templates.TemplateResponse(request, "notifications/unsubscribe_invalid.html", {}, status_code=404)
    context = {"address": address, "token": token, "done": done}
    return templates.TemplateResponse(request, "notifications/unsubscribe.html", context)


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_form(request: Request, token: Annotated[str, Path(max_length=600)]) -> Response:
    """The link in an optional message: asks to confirm (a page opened by a link scanner changes nothing)."""
    return _unsubscribe_page(request, token, done=False)


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe(request: Request, db: SessionDep, token: Annotated[str, Path(max_length=600)]) -> Response:
    """Stop optional mail to the link's address: the confirm button, or a mail program's one-click request
    (RFC 8058: `List-Unsubscribe=One-Click`, no sign-in, no form token). Audited."""
    try:
        address = _token_address(token)
    except NotFound:
        return templates.TemplateResponse(request, "notifications/unsubscribe_invalid.html", {}, status_code=404)
    actor = Principal(user_id=None, label=f"unsubscribe link <{address}>", role="public", address=_client(request))
    service.unsubscribe(db, email=address, actor=actor)
    return _unsubscribe_page(request, token, done=True)


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


# --- the school's outbox ----------------------------------------------------------------------------------------


@router.get("/admin/outbox", response_class=HTMLResponse)
def outbox(
    request: Request,
    db: SessionDep,
    principal: PageAdmin,
    state: Annotated[str, Query(max_length=12)] = "",
    kind: Annotated[str, Query(max_length=40)] = "",
    recipient: Annotated[str, Query(max_length=254)] = "",
    offset: Offset = 0,
) -> Response:
    """The outbox, newest first, filtered by state, kind and recipient; an unknown state is named at its field."""
    values = {"state": state, "kind": kind, "recipient": recipient.strip()}
    errors = [("state", "state_unknown")] if state and state not in MessageState.__members__.values() else []
    context: dict[str, Any] = {
        "values": values,
        "errors": errors,
        "states": list(MessageState),
        "kinds": sorted(set(selectors.message_kinds(db)) | set(KINDS)),
        "configured": bool(get_settings().smtp_host),
        "size": PAGE_SIZE,
        "offset": offset,
    }
    if errors:
        context.update(rows=[], total=0, base="/admin/outbox")
        return templates.TemplateResponse(request, "notifications/outbox.html", context, status_code=422)
    page = selectors.list_messages(
        db, state=state or None, kind=kind or None, recipient=values["recipient"] or None, limit=PAGE_SIZE,
        offset=offset,
    )  # fmt: skip
    query = urlencode([(k, v) for k, v in values.items() if v])
    context.update(rows=page.items, total=page.total, base="/admin/outbox" + (f"?{query}" if query else ""))
    return templates.TemplateResponse(request, "notifications/outbox.html", context)


@router.get("/admin/outbox/previews", response_class=HTMLResponse)
def previews(request: Request, principal: PageAdmin) -> Response:
    """Every kind of message the school sends, each with its previews in Hebrew and in English."""
    kinds = [(name, kind.optional) for name, kind in sorted(KINDS.items())]
    return templates.TemplateResponse(request, "notifications/previews.html", {"kinds": kinds})


def _example(kind: str, lang: str) -> tuple[str, str, str]:
    """A kind of message written from its example in a language; 404 for a kind there is not."""
    if kind not in KINDS:
        raise NotFound(f"no kind of message is named {kind}")
    example = example_of(kind)
    lang = lang if lang in LANGUAGES else "he"
    to = Recipient(email="dana.cohen@example.org", name=str(example.get("name", "דנה כהן")), name_en="Dana Cohen")
    return render_message(kind, {**example, "recipient": to}, lang=lang)


@router.get("/admin/outbox/previews/{kind}", response_class=HTMLResponse)
def preview(request: Request, principal: PageAdmin, kind: Kind) -> Response:
    """One kind of message as it is sent, from its example, in the page's language (`?lang=he|en`)."""
    lang = page_language(request)
    subject, text, _html = _example(kind, lang)
    context = {"kind": kind, "optional": KINDS[kind].optional, "subject": subject, "text": text, "language": lang}
    return templates.TemplateResponse(request, "notifications/preview.html", context)


def _frame(html: str) -> HTMLResponse:
    return HTMLResponse(html, headers={"Content-Security-Policy": FRAME_POLICY, "X-Frame-Options": "SAMEORIGIN"})


@router.get("/admin/outbox/previews/{kind}/body.html", response_class=HTMLResponse)
def preview_body(principal: PageAdmin, kind: Kind, language: Language = "he") -> Response:
    """The HTML of a preview, for its frame."""
    return _frame(_example(kind, language)[2])


@router.get("/admin/outbox/{message_id}", response_class=HTMLResponse)
def message(request: Request, db: SessionDep, principal: PageAdmin, message_id: RecordId) -> Response:
    """One message as it is sent (HTML and text), where it stands, its tries and the last error; a resend."""
    found = selectors.get_message(db, message_id=message_id)
    context = {"message": found, "configured": bool(get_settings().smtp_host), "now": now_utc()}
    return templates.TemplateResponse(request, "notifications/message.html", context)


@router.get("/admin/outbox/{message_id}/body.html", response_class=HTMLResponse)
def message_body(db: SessionDep, principal: PageAdmin, message_id: RecordId) -> Response:
    """The HTML of a message as it is sent, for its frame."""
    return _frame(selectors.get_message(db, message_id=message_id).body_html)


@router.post("/admin/outbox/{message_id}/resend")
def resend(db: SessionDep, principal: PageAdmin, message_id: RecordId) -> Response:
    """Send a message again (a failed one queued again; a sent one as a new message), then show what is queued."""
    queued = service.resend_message(db, message_id=message_id, actor=principal)
    return RedirectResponse(f"/admin/outbox/{queued.id}?notice=message_resent", status_code=303)
