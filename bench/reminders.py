"""Timing of the nightly reminder run (`lms reminders run`: decide and queue) over the national dataset (ten times
today's size at --scale 1.0: about 40,000 requirements), built as bench/compliance.py builds it.

    python -m bench.reminders --database-url URL [--scale 1.0] [--dates 5] [--reuse] [--keep]

Every official of the dataset has an email address; one liaison account is added for each authority, so the
overdue ones are copied. The run is timed as of --dates dates a week apart from --as-of (each decides afresh and
queues what falls due that day, in one transaction, as the command does), then once more as of the first date
(a rerun: it decides the same and queues nothing). Prints each run's messages by kind and seconds, and the median
against the issue's target (under 60 s on PostgreSQL).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, make_url, select, text
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.auth import LIAISON
from app.clock import now_utc
from app.reminders.service import RunReport, run_reminders
from bench import compliance

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/lms_bench_reminders"
TARGET_SECONDS = 60.0


def add_liaisons(engine: Engine) -> int:
    """One active liaison account for each authority that has appointments (none is added twice)."""
    with Session(engine) as db, db.begin():
        codes = db.scalars(text("SELECT DISTINCT authority_code FROM appointments ORDER BY authority_code")).all()
        have = set(db.scalars(select(User.authority_code).where(User.role == LIAISON)))
        stamp = now_utc()
        new = [
            User(
                email=f"liaison-{code}@example.gov.il",
                password_hash="!",
                role=LIAISON,
                authority_code=code,
                active=True,
                created_at=stamp,
            )
            for code in codes
            if code not in have
        ]
        db.add_all(new)
    return len(new)


def timed_run(engine: Engine, as_of: date) -> tuple[float, RunReport]:
    """Seconds of one run as of the date, committed as the command commits it."""
    with Session(engine) as db:
        started = time.perf_counter()
        with db.begin():
            report = run_reminders(db, as_of=as_of)
        return time.perf_counter() - started, report


def open_requirements(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text("SELECT count(*) FROM requirements")) or 0)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(prog="python -m bench.reminders", description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default=DEFAULT_URL, help="a database whose name contains 'bench'")
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--dates", type=int, default=5, help="runs, as of dates a week apart")
    p.add_argument("--seed", type=int, default=20261127)
    p.add_argument("--as-of", type=date.fromisoformat, default=None, help="the first date (default: today)")
    p.add_argument("--reuse", action="store_true", help="use the database as it is when it holds a dataset")
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = p.parse_args(argv)
    from app.clock import today

    first = args.as_of or today()
    url = make_url(args.database_url)
    log = lambda m: print(m, file=sys.stderr)  # noqa: E731
    runs: list[dict[str, Any]] = []
    with compliance.bench_database(
        url, scale=args.scale, seed=args.seed, as_of=first, reuse=args.reuse, keep=args.keep, log=log
    ) as (engine, reused):
        if reused:
            with engine.begin() as conn:  # a rerun of the benchmark starts from an empty outbox
                conn.execute(text("DELETE FROM outbox_messages"))
        liaisons = add_liaisons(engine)
        requirements = open_requirements(engine)
        for i in range(args.dates):
            as_of = first + timedelta(days=7 * i)
            seconds, report = timed_run(engine, as_of)
            runs.append({"as_of": as_of, "seconds": seconds, "due": report.due, "queued": report.queued})
        seconds, report = timed_run(engine, first)
        rerun = {"as_of": first, "seconds": seconds, "due": report.due, "queued": report.queued}
    median = statistics.median(r["seconds"] for r in runs)
    print(f"{requirements:,} requirements, {liaisons} liaison accounts added, backend {url.get_backend_name()}")
    for r in runs:
        queued: Counter[str] = r["queued"]
        kinds = ", ".join(f"{k} {n:,}" for k, n in sorted(queued.items()) if n) or "nothing"
        print(f"  as of {r['as_of']}: {r['seconds']:.1f} s, queued {sum(queued.values()):,} ({kinds})")
    print(
        f"  rerun as of {rerun['as_of']}: {rerun['seconds']:.1f} s, queued {sum(rerun['queued'].values()):,} "
        f"of {sum(rerun['due'].values()):,} due"
    )
    verdict = "met" if median < TARGET_SECONDS else "MISSED"
    print(f"median run: {median:.1f} s (target < {TARGET_SECONDS:.0f} s on PostgreSQL: {verdict})")
    return {"requirements": requirements, "runs": runs, "rerun": rerun, "median_seconds": median}


if __name__ == "__main__":
    main()
