"""Loading authorities from a CBS file, and the authority a request names."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import add_and_record, record_change, snapshot
from app.auth import Principal
from app.authorities.models import Authority
from app.authorities.rules import AuthorityType
from app.errors import Invalid
from app.text import clean_text, search_key

BUNDLED_FILE = Path(__file__).parent / "data" / "israel_local_authorities_2021.csv"


def require_authority(db: Session, *, code: str, field: str = "authority_code") -> Authority:
    """The authority a request names, or a 422 that names the field and the code."""
    authority = db.get(Authority, code)
    if authority is None:
        raise Invalid(f"{field}: there is no authority with CBS code {code!r}", field=field, code="unknown_authority")
    return authority


def _english_name(raw: str) -> str:
    """The CBS English names are upper case; people read them in title case (Be'er Sheva, Umm Al-Fahm)."""
    return re.sub(r"[a-z]+('[a-z]+)?", lambda m: m.group(0).capitalize(), clean_text(raw).lower())


def read_cbs_file(path: Path) -> list[dict[str, str]]:
    """The rows of a CBS authorities file (UTF-8, with or without BOM)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    required = {"cbs_code", "name_he", "name_en_cbs", "type", "type_he", "district_en", "district_he"}
    missing = required - set(rows[0].keys() if rows else ())
    if missing:
        raise Invalid(f"the authorities file lacks the columns {sorted(missing)}", field="file")
    return rows


def load_authorities(
    db: Session, *, rows: Iterable[dict[str, str]], source: str, actor: Principal, as_of: date
) -> dict[str, int]:
    """Create or refresh authorities from CBS rows; renames are audited, missing ones become inactive."""
    existing = {a.code: a for a in db.scalars(select(Authority))}
    seen: set[str] = set()
    counts = {"created": 0, "updated": 0, "unchanged": 0, "deactivated": 0}
    for row in rows:
        code = clean_text(row["cbs_code"])
        if row["type"] not in tuple(AuthorityType):
            raise Invalid(f"authority {code}: unknown type {row['type']!r}", field="type")
        seen.add(code)
        population = (row.get("population_end_2021") or "").strip()
        values: dict[str, Any] = {
            "name_he": clean_text(row["name_he"]),
            "name_en": _english_name(row["name_en_cbs"]),
            "type": row["type"],
            "type_he": clean_text(row["type_he"]),
            "district": clean_text(row["district_en"]),
            "district_he": clean_text(row["district_he"]),
            "population": int(population) if population.isdigit() else None,
            "active": True,
            "inactive_since": None,
        }
        values["search_text"] = search_key(str(values["name_he"])) + " | " + search_key(str(values["name_en"]))
        current = existing.get(code)
        if current is None:
            authority = Authority(code=code, source=source, **values)
            add_and_record(db, authority, actor=actor, entity_type="authority")
            counts["created"] += 1
            continue
        changed = {k: v for k, v in values.items() if getattr(current, k) != v}
        if not changed:
            counts["unchanged"] += 1
            continue
        before = snapshot(current)
        for key, value in changed.items():
            setattr(current, key, value)
        current.source = source
        record_change(db, current, before=before, actor=actor, entity_type="authority")
        counts["updated"] += 1
    for code, authority in existing.items():
        if code not in seen and authority.active:
            before = snapshot(authority)
            authority.active = False
            authority.inactive_since = as_of
            record_change(db, authority, before=before, actor=actor, entity_type="authority")
            counts["deactivated"] += 1
    return counts
