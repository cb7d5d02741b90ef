"""Loading roles from the reference file, and the role a request names."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy.orm import Session

from app.audit.service import add_and_record, record_change, snapshot
from app.auth import Principal
from app.errors import Invalid
from app.roles.models import Role
from app.text import clean_text

BUNDLED_FILE = Path(__file__).parent / "data" / "roles.csv"


def require_role(db: Session, *, code: str, field: str = "role_code") -> Role:
    """The role a request names, or a 422 that names the field and the code."""
    role = db.get(Role, code)
    if role is None:
        raise Invalid(f"{field}: there is no role with code {code!r}", field=field, code="unknown_role")
    return role


def load_roles(db: Session, *, path: Path, actor: Principal) -> dict[str, int]:
    """Create or refresh roles from the roles file; idempotent, changes audited."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            values = {
                "name_he": clean_text(row["name_he"]),
                "name_en": clean_text(row["name_en"]),
                "mandatory_entry_training": row.get("mandatory_entry_training", "").strip().lower() == "yes",
            }
            code = clean_text(row["code"])
            current = db.get(Role, code)
            if current is None:
                role = Role(code=code, **values)
                add_and_record(db, role, actor=actor, entity_type="role")
                counts["created"] += 1
            elif any(getattr(current, k) != v for k, v in values.items()):
                before = snapshot(current)
                for k, v in values.items():
                    setattr(current, k, v)
                record_change(db, current, before=before, actor=actor, entity_type="role")
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
    return counts
