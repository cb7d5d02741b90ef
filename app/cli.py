"""The operators' command line: lms db upgrade, load-reference, demo, users create|deactivate|reactivate|set-role|
reset-password, import, certificates reissue-credentials|rotate-key, outbox send, reminders run, surveys
after-meetings, serve, worker."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.config import PROJECT_ROOT, get_settings

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.orm import Session

cli = typer.Typer(
    help="Mekomot LMS operators' commands.", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False
)
db_cli = typer.Typer(help="The database schema.", no_args_is_help=True)
users_cli = typer.Typer(help="User accounts.", no_args_is_help=True)
import_cli = typer.Typer(help="Bulk imports from CSV or XLSX.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(users_cli, name="users")
certificates_cli = typer.Typer(help="Certificates' signed credentials and signing keys.", no_args_is_help=True)
cli.add_typer(import_cli, name="import")
cli.add_typer(certificates_cli, name="certificates")
outbox_cli = typer.Typer(help="The outbox: the mail the school sends.", no_args_is_help=True)
cli.add_typer(outbox_cli, name="outbox")
reminders_cli = typer.Typer(help="Reminders and digests: what the daily job queues.", no_args_is_help=True)
cli.add_typer(reminders_cli, name="reminders")
surveys_cli = typer.Typer(help="Surveys: the short survey after each meeting.", no_args_is_help=True)
cli.add_typer(surveys_cli, name="surveys")


def alembic_config() -> Config:
    """The Alembic configuration of the project, pointed at LMS_DATABASE_URL."""
    from alembic.config import Config

    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return cfg


@db_cli.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default head)."""
    from alembic import command

    command.upgrade(alembic_config(), revision)
    typer.echo(f"database at {revision}")


@db_cli.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (e.g. base)."""
    from alembic import command

    command.downgrade(alembic_config(), revision)
    typer.echo(f"database at {revision}")


def _in_transaction() -> AbstractContextManager[Session]:
    import app.models  # noqa: F401  (every table registered before the first query)
    from app.db import get_sessionmaker

    return get_sessionmaker().begin()


@cli.command("load-reference")
def load_reference(
    authorities: Annotated[Path | None, typer.Option(help="A newer CBS authorities file (CSV).")] = None,
) -> None:
    """Load or refresh the authorities and roles; running it again changes nothing."""
    from app.auth import operator
    from app.authorities import service as authorities_service
    from app.clock import today
    from app.roles import service as roles_service

    path = authorities or authorities_service.BUNDLED_FILE
    with _in_transaction() as db:
        rows = authorities_service.read_cbs_file(path)
        a = authorities_service.load_authorities(db, rows=rows, source=path.name, actor=operator(), as_of=today())
        r = roles_service.load_roles(db, path=roles_service.BUNDLED_FILE, actor=operator())
    typer.echo(f"authorities: {a}")
    typer.echo(f"roles: {r}")


@cli.command("demo")
def demo() -> None:
    """Fill a believable school (idempotent) and print the demo logins."""
    from app.demo import COMMUNITY_LOGINS, DEMO_LOGINS, DEMO_TOTP_SECRETS, load_demo

    with _in_transaction() as db:
        created = load_demo(db)
    typer.echo("demo data " + ("loaded" if created else "already present"))
    typer.echo("Demo logins:")
    for role, email, password in DEMO_LOGINS + COMMUNITY_LOGINS:
        typer.echo(f"  {role:<9} {email:<32} {password}")
    typer.echo("The admin and the auditor sign in with a second factor too (the form field `totp`): their demo")
    typer.echo(
        "TOTP secrets, for an authenticator app or `python -c \"import pyotp; print(pyotp.TOTP('SECRET').now())\"`:"
    )
    for email, secret in DEMO_TOTP_SECRETS.items():
        typer.echo(f"  {email:<42} {secret}")


@users_cli.command("create")
def users_create(
    email: Annotated[str, typer.Option()],
    password: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option(help="admin | auditor | liaison | official")],
    authority: Annotated[str | None, typer.Option(help="CBS code, for a liaison")] = None,
    official: Annotated[str | None, typer.Option(help="National ID, for an official")] = None,
    totp_secret: Annotated[
        str | None, typer.Option(help="Base32 TOTP secret: enrols the second factor with it at creation")
    ] = None,
) -> None:
    """Create a login (with --totp-secret, its second factor too; the recovery codes are printed once)."""
    from pydantic import ValidationError

    from app.accounts.schemas import UserCreate
    from app.accounts.service import create_user, enrol_totp_with_secret
    from app.auth import operator
    from app.errors import DomainError

    try:
        data = UserCreate(
            email=email,
            password=password,
            role=role,
            authority_code=authority,
            official_national_id=official,
        )
        codes: list[str] = []
        with _in_transaction() as db:
            user = create_user(db, data=data, actor=operator())
            if totp_secret is not None:
                codes = enrol_totp_with_secret(db, user=user, secret=totp_secret, actor=operator())
    except ValidationError as exc:
        for err in exc.errors():
            msg = str(err["msg"]).removeprefix("Value error, ")
            where = ".".join(map(str, err["loc"]))
            typer.echo(f"error: {where}: {msg}" if where else f"error: {msg}", err=True)
        raise typer.Exit(2) from exc
    except DomainError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"created user {user.id} <{user.email}> as {user.role}")
    if codes:
        typer.echo("second factor enrolled; recovery codes (each usable once, shown only now):")
        for code in codes:
            typer.echo(f"  {code}")


@users_cli.command("reset-totp")
def users_reset_totp(email: Annotated[str, typer.Option()]) -> None:
    """Remove a user's second factor (a lost phone, a changed LMS_SECRET_KEY): every token and session of the user
    ends, and an admin or auditor must enrol anew at the next sign-in. Audited."""
    from sqlalchemy import select

    from app.accounts.models import User
    from app.accounts.service import reset_totp
    from app.auth import operator

    with _in_transaction() as db:
        user_id = db.scalar(select(User.id).where(User.email == email.strip().lower()))
        if user_id is None:
            typer.echo(f"error: no user has the email {email}", err=True)
            raise typer.Exit(1)
        reset_totp(db, user_id=user_id, actor=operator())
    typer.echo(f"second factor of <{email.strip().lower()}> reset; it enrols anew at its next sign-in")


def _manage_user(email: str, act: str) -> None:
    """Run one change of an account as an operator (who may manage any account), with the command line's errors."""
    from app.accounts import service
    from app.accounts.schemas import RoleChange
    from app.auth import operator
    from app.errors import DomainError

    try:
        with _in_transaction() as db:
            user_id = service.find_user_id(db, email=email)
            actor = operator()
            if act == "deactivate":
                user = service.deactivate_user(db, user_id=user_id, actor=actor)
                typer.echo(f"user {user.id} <{user.email}> is deactivated; every token and session of it has ended")
            elif act == "reactivate":
                user = service.reactivate_user(db, user_id=user_id, actor=actor)
                typer.echo(f"user {user.id} <{user.email}> is active")
            elif act.startswith("role:"):
                _, role, authority = act.split(":", 2)
                data = RoleChange(role=role, authority_code=authority or None)
                user = service.change_role(db, user_id=user_id, data=data, actor=actor)
                where = f" of {user.authority_code}" if user.authority_code else ""
                typer.echo(f"user {user.id} <{user.email}> is {user.role}{where}")
            else:
                method = act.removeprefix("reset:")
                out = service.reset_password(db, user_id=user_id, method=method, actor=actor)
                if out.temporary_password:
                    typer.echo(f"temporary password (to be changed at the first sign-in): {out.temporary_password}")
                else:
                    assert out.expires_at is not None
                    until = out.expires_at.isoformat(timespec="minutes")
                    typer.echo(f"one-time password link (open it in a browser), until {until}:")
                    typer.echo(f"  {out.reset_url}")
                    typer.echo(f"or its token, for POST /api/v1/auth/password-reset: {out.reset_token}")
    except ValueError as exc:  # a RoleChange refused (pydantic's ValidationError is a ValueError)
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except DomainError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from exc


@users_cli.command("deactivate")
def users_deactivate(email: Annotated[str, typer.Argument(help="The account's email.")]) -> None:
    """Deactivate an account: no more logins, and every token and session of it ends at once."""
    _manage_user(email, "deactivate")


@users_cli.command("reactivate")
def users_reactivate(email: Annotated[str, typer.Argument(help="The account's email.")]) -> None:
    """Let a deactivated account log in again with its password."""
    _manage_user(email, "reactivate")


@users_cli.command("set-role")
def users_set_role(
    email: Annotated[str, typer.Argument(help="The account's email.")],
    role: Annotated[str, typer.Option(help="admin | auditor | liaison")],
    authority: Annotated[str | None, typer.Option(help="CBS code, for a liaison")] = None,
) -> None:
    """Change an account's role or a liaison's authority (an official's account keeps its person and its role);
    every token and session of it ends."""
    _manage_user(email, f"role:{role}:{authority or ''}")


@users_cli.command("reset-password")
def users_reset_password(
    email: Annotated[str, typer.Argument(help="The account's email.")],
    temporary: Annotated[
        bool, typer.Option("--temporary", help="A temporary password, changed at first sign-in, instead of a link.")
    ] = False,
) -> None:
    """Reset a password: print a one-time reset link (the default) or a temporary password; hand it over out of
    band."""
    _manage_user(email, "reset:temporary" if temporary else "reset:link")


@import_cli.command("officials")
def import_officials(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="A CSV or XLSX file.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would happen; write nothing.")] = False,
) -> None:
    """Import officials and appointments; all or nothing, exit 1 if any row is refused."""
    from app.auth import operator
    from app.errors import DomainError
    from app.imports.schemas import ImportReport
    from app.imports.service import ImportRefused, import_officials, read_limited

    report: ImportReport
    try:
        with file.open("rb") as fh:
            content = read_limited(fh, limit=get_settings().upload_max_bytes)
        with _in_transaction() as db:
            report = import_officials(db, content=content, filename=file.name, dry_run=dry_run, actor=operator("cli"))
    except ImportRefused as exc:
        report = exc.report
    except DomainError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
    refused = [r for r in report.rows if r.errors]
    if refused:
        typer.echo(f"{'row':>5}  {'national_id':<11}  {'official':<9}  {'appointment':<11}  problem")
        for r in refused:
            lead = f"{r.row:>5}  {r.national_id or '':<11}  {r.official:<9}  {r.appointment:<11}"
            for e in r.errors:
                typer.echo(f"{lead}  {e.field}: {e.detail}")
    s = report.summary
    typer.echo(
        f"rows: {s.rows}, officials created: {s.officials_created}, updated: {s.officials_updated}; "
        f"appointments created: {s.appointments_created}, updated: {s.appointments_updated}; "
        f"unchanged: {s.unchanged}; refused: {s.refused}"
    )
    if report.applied:
        typer.echo("imported")
    else:
        typer.echo("dry run: nothing was written" if dry_run else "refused rows: nothing was written")
    if refused:
        raise typer.Exit(1)


@cli.command("certificate-preview")
def certificate_preview(
    out: Annotated[Path, typer.Option(help="Where to write the PDF.")] = Path("certificate-preview.pdf"),
) -> None:
    """Render a sample certificate with the current design (certificates/certificate.html and .css), to check
    a change to the design before any certificate is issued with it."""
    from app.certificates import documents

    out.write_bytes(documents.render_certificate(documents.sample_certificate()))
    typer.echo(f"sample certificate written to {out}")


@certificates_cli.command("reissue-credentials")
def certificates_reissue_credentials() -> None:
    """Reissue every valid certificate whose signed credential is of the old form (the holder's national ID hashed
    in it, no Data Integrity proof, no revocation status): new serial and credential, the PDF rendered; the old one
    superseded. Every old-form credential is then withdrawn (its signed text and its PDF deleted). Idempotent."""
    from sqlalchemy import select

    import app.models  # noqa: F401
    from app.auth import operator
    from app.certificates import documents, service
    from app.certificates.models import Certificate
    from app.db import get_sessionmaker

    with _in_transaction() as db:
        outcome = service.reissue_legacy_credentials(db, actor=operator("reissue-credentials"))
    for old, new in outcome.reissued.items():
        with get_sessionmaker().begin() as db:
            cert = db.scalar(select(Certificate).where(Certificate.serial == new))
            if cert is not None:
                documents.ensure_pdf(db, cert)
        typer.echo(f"{old} -> {new}")
    typer.echo(f"{len(outcome.reissued)} reissued, {len(outcome.withdrawn)} old credentials withdrawn")


@certificates_cli.command("rotate-key")
def certificates_rotate_key() -> None:
    """Add a new Ed25519 signing key that signs from now on; the old ones stay published (DID document, JWKS)."""
    from app.certificates import keys

    key = keys.rotate_signing_key()
    typer.echo(f"signing with key {key.number:04d} ({key.kid})")


@outbox_cli.command("send")
def outbox_send(
    limit: Annotated[int | None, typer.Option(min=1, help="Send at most this many messages.")] = None,
) -> None:
    """Send the messages of the outbox that are due now through LMS_SMTP_HOST, and print how many were sent, are
    to be tried again, and were given up. Exit 1 when no SMTP server is configured (nothing is sent)."""
    import app.models  # noqa: F401
    from app.notifications.sender import send_all_due

    report = send_all_due(limit=limit)
    if not report.configured:
        typer.echo("no SMTP server is configured (LMS_SMTP_HOST): nothing was sent; the messages stay queued", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"sent: {report.sent}, to be tried again: {report.retrying}, given up: {report.failed}, "
        f"left to the next run: {report.left}"
    )


@reminders_cli.command("run")
def reminders_run(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The day to decide for, YYYY-MM-DD (default: today in Israel).")
    ] = None,
) -> None:
    """Decide and queue the reminders (and, on a Sunday, the digests) the daily job would on that day; a second run
    queues nothing new. Prints the messages due and those queued now, by kind."""
    from datetime import date

    from app.clock import today
    from app.reminders.service import current_schedule, run_reminders

    try:
        day = date.fromisoformat(as_of) if as_of else today()
    except ValueError as exc:
        raise typer.BadParameter(f"{as_of!r} is not a date (YYYY-MM-DD)", param_hint="--as-of") from exc
    try:
        current_schedule()
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    with _in_transaction() as db:
        report = run_reminders(db, as_of=day)
    typer.echo(f"reminders as of {day.isoformat()}")
    for kind in sorted(report.due):
        typer.echo(f"  {kind:<18} due {report.due[kind]:>7}  queued {report.queued[kind]:>7}")
    typer.echo(f"  queued {sum(report.queued.values())} new message(s) of {sum(report.due.values())} due")
    typer.echo(f"  officials owed a reminder without an email address: {report.without_email}")


@cli.command("serve")
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the web application with uvicorn."""
    import uvicorn

    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        server_header=False,  # no banner naming the server
    )


@cli.command("worker")
def worker(
    workers: Annotated[int, typer.Option(help="Worker threads.")] = 2,
    periodic: Annotated[
        bool, typer.Option(help="Queue the periodic jobs of app/schedule.py (keep it on one worker only).")
    ] = True,
) -> None:
    """Run the background worker: every domain's jobs (issuing and rendering certificates, sending the outbox) and
    the periodic schedule, from the queue of LMS_QUEUE_URL."""
    import app.models  # noqa: F401  (every table registered before the first job)
    from app import jobs
    from app.certificates import documents

    queue = jobs.get_queue()
    documents.warm_up()
    typer.echo(f"worker: {len(jobs.declared())} jobs ({len(jobs.periodic())} periodic), {workers} threads")
    queue.create_consumer(workers=workers, worker_type="thread", periodic=periodic).run()


def main() -> None:
    """Entry point of the `lms` command."""
    cli()


if __name__ == "__main__":
    main()


@surveys_cli.command("after-meetings")
def surveys_after_meetings(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The day to decide for, YYYY-MM-DD (default: today in Israel).")
    ] = None,
) -> None:
    """Make and send the short surveys of the meetings that ended, as the daily job would on that day; a second run
    makes nothing new. Prints how many surveys were made."""
    from datetime import date

    from app.clock import today
    from app.surveys.service import send_after_meeting_surveys

    try:
        day = date.fromisoformat(as_of) if as_of else today()
    except ValueError as exc:
        raise typer.BadParameter(f"{as_of!r} is not a date (YYYY-MM-DD)", param_hint="--as-of") from exc
    with _in_transaction() as db:
        made = send_after_meeting_surveys(db, as_of=day)
    typer.echo(f"after-meeting surveys as of {day.isoformat()}: {made} made")
