"""Certificate rendering benchmark: one worker process, one file per certificate, and a cohort as one PDF.

    python -m bench.certificates --renders 1000 --runs 5

Targets (issue: certificates): a median of at most 40 ms and at least 25 a second per file, memory flat over
1,000 renders (one FontConfiguration reused), a cohort of 40 as one PDF in under 2 s.
"""

from __future__ import annotations

import argparse
import json
import resource
import secrets
import statistics
import time
from datetime import UTC, date, datetime
from typing import Any

from app.certificates.documents import render, render_certificate, warm_up
from app.certificates.models import Certificate

NAMES = [
    ("דנה", "לוי", "Dana", "Levi"),
    ("ג'מאל", "ח'ורי", "Jamal", "Khoury"),
    ("אביטל", "בן דוד", "Avital", "Ben David"),
]


def _rss_mib() -> float:
    """Resident memory of this process now, from /proc (Linux)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def certificate(n: int) -> Certificate:
    """A certificate as issued, not stored: what a render needs."""
    first_he, last_he, first_en, last_en = NAMES[n % len(NAMES)]
    moment = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    return Certificate(
        serial=f"MKM-2026-{n:06d}",
        verification_code=secrets.token_urlsafe(16),
        status="valid",
        issued_on=date(2026, 7, 1),
        issued_at=moment,
        holder_name_he=f"{first_he} {last_he}",
        holder_name_en=f"{first_en} {last_en}",
        programme_code="TREAS-ENTRY",
        programme_title_he="הכשרת גזברים ברשויות המקומיות",
        programme_title_en="Entry training for treasurers",
        cohort_code="TREAS-2026-1",
        hours=240.0,
        completed_on=date(2026, 6, 28),
        credential_jws="eyJhbGciOiJFZERTQSJ9." + "a" * 400 + ".sig",
        credential_json='{"proof": {"proofValue": "z' + "a" * 86 + '"}}',
        signing_kid="bench",
    )


def measure(renders: int, runs: int) -> dict[str, Any]:
    """Render `renders` files one by one (recording time and memory), then a cohort of 40 `runs` times."""
    warm_up()  # as `lms worker` does at start: fonts loaded, design compiled, then gc.freeze()
    times: list[float] = []
    rss: list[float] = []
    started = time.perf_counter()
    for n in range(1, renders + 1):
        t = time.perf_counter()
        render_certificate(certificate(n))
        times.append((time.perf_counter() - t) * 1000)
        if n % max(1, renders // 10) == 0:
            rss.append(round(_rss_mib(), 1))
    wall = time.perf_counter() - started
    cohort = [certificate(n) for n in range(40)]
    cohort_s = []
    for _ in range(runs):
        t = time.perf_counter()
        render(cohort)
        cohort_s.append(time.perf_counter() - t)
    return {
        "renders": renders,
        "median_ms": round(statistics.median(times), 1),
        "p90_ms": round(statistics.quantiles(times, n=10)[-1], 1) if len(times) >= 10 else None,
        "per_second": round(renders / wall, 1),
        "rss_mib_every_tenth": rss,
        "rss_growth_mib": round(rss[-1] - rss[0], 1) if rss else None,
        "cohort_of_40_median_s": round(statistics.median(cohort_s), 2),
    }


def main() -> None:
    """Run and print the figures (and write them as JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--renders", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json")
    args = parser.parse_args()
    result = measure(args.renders, args.runs)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)


if __name__ == "__main__":
    main()
