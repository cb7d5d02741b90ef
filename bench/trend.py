"""Timing of the compliance trend (app.compliance.trend.monthly: 24 as-of dates) cold and warm, on a dataset built
as bench/compliance.py builds it.

    python -m bench.trend --database-url URL [--scale 1.0] [--runs 3] [--reuse] [--keep]

Cold: the cache emptied before each run (as after any write of report data, which changes the data version).
Warm: the same call again (one statement, the data version's). Prints the median and minimum of each.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from typing import Any

from sqlalchemy import make_url
from sqlalchemy.orm import Session

from app.auth import Principal
from app.compliance import selectors, trend
from app.compliance.selectors import Filters
from app.data_version import CACHE
from bench import compliance

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/lms_bench_trend"
AUDITOR = Principal(user_id=None, label="bench", role="auditor")


def time_trend(session: Session, *, as_of: date, runs: int, filters: Filters = Filters()) -> dict[str, Any]:
    """Milliseconds of `trend.monthly` cold (cache emptied) and warm, over `runs` runs each."""
    cold, warm = [], []
    for _ in range(runs):
        CACHE.clear()
        started = time.perf_counter()
        points = trend.monthly(session, as_of=as_of, filters=filters, actor=AUDITOR)
        cold.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        trend.monthly(session, as_of=as_of, filters=filters, actor=AUDITOR)
        warm.append((time.perf_counter() - started) * 1000)
        session.rollback()
    return {
        "points": len(points),
        "cold_ms": {"median": statistics.median(cold), "min": min(cold)},
        "warm_ms": {"median": statistics.median(warm), "min": min(warm)},
    }


def agrees_with_summary(session: Session, *, as_of: date) -> bool:
    """Whether each of the trend's points (computed afresh) equals the national summary as of its date."""
    CACHE.clear()
    points = trend.monthly(session, as_of=as_of, filters=Filters(), actor=AUDITOR)
    for p in points:
        (row,) = selectors.summary(session, as_of=p.as_of, group_by=[], filters=Filters(), actor=AUDITOR, names={})
        if (row.required, row.overdue, row.completed_on_time, row.exempt) != (
            p.required,
            p.overdue,
            p.completed_on_time,
            p.exempt,
        ):
            return False
    return True


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(prog="python -m bench.trend", description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default=DEFAULT_URL, help="a database whose name contains 'bench'")
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--seed", type=int, default=20261127)
    p.add_argument("--as-of", type=date.fromisoformat, default=None)
    p.add_argument("--reuse", action="store_true", help="use the database as it is when it holds a dataset")
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = p.parse_args(argv)
    from app.clock import today

    as_of = args.as_of or today()
    log = lambda m: print(m, file=sys.stderr)  # noqa: E731
    with (
        compliance.bench_database(
            make_url(args.database_url), scale=args.scale, seed=args.seed, as_of=as_of, reuse=args.reuse,
            keep=args.keep, log=log,
        ) as (engine, _),
        Session(engine) as session,
    ):  # fmt: skip
        result = {
            "country": time_trend(session, as_of=as_of, runs=args.runs),
            "district": time_trend(session, as_of=as_of, runs=args.runs, filters=Filters(district="Southern")),
        }
        result["agrees_with_summary"] = agrees_with_summary(session, as_of=as_of)
    print(f"each point equals the summary as of its date: {'yes' if result['agrees_with_summary'] else 'NO'}")
    for name in ("country", "district"):
        r = result[name]
        print(
            f"trend of the {name}, {r['points']} points, as of {as_of}: cold median {r['cold_ms']['median']:.0f} ms "
            f"(min {r['cold_ms']['min']:.0f}), warm median {r['warm_ms']['median']:.2f} ms "
            f"(min {r['warm_ms']['min']:.2f})"
        )
    return result


if __name__ == "__main__":
    main()
