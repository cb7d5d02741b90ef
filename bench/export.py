"""The national XLSX export in a process of its own, so that its peak memory can be read alone.

    python -m bench.export DATABASE_URL AS_OF OUT.xlsx

It writes every requirement row as of the date, as GET /api/v1/compliance/export.xlsx does (a read-only session,
rows streamed from the drill-down query, the XLSX written in constant-memory mode), and prints one JSON line:
the seconds the export took, the rows written, the resident memory before it began and the peak (MiB).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any


def _status_mib(field: str) -> float:
    """A memory figure of this process from /proc/self/status (Linux), in MiB."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def _rss_mib() -> float:
    return _status_mib("VmRSS")


def _peak_rss_mib() -> float:
    """The peak resident memory of this program. VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over
    from the parent's memory at fork through exec, so a child of a large process would report the parent's."""
    return _status_mib("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(url: str, as_of: date, out: str) -> dict[str, Any]:
    """Export every requirement as of the date to `out`; the figures of the run."""
    from sqlalchemy.orm import Session

    from app.auth import operator
    from app.compliance import selectors
    from app.compliance.exports import EXPORT_COLUMNS
    from app.db import make_engine
    from app.web.exports import write_xlsx

    engine = make_engine(url)
    with engine.connect():
        pass  # connect (and import the driver) before measuring
    base = _rss_mib()
    rows = 0

    def counted(it: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        nonlocal rows
        for row in it:
            rows += 1
            yield row

    started = time.perf_counter()
    with Session(bind=engine.execution_options(read_only=True)) as db:
        stream = selectors.stream_drill_down(
            db, as_of=as_of, filters=selectors.Filters(), actor=operator("bench"), sort="authority"
        )
        title = f'דו"ח עמידה בחובת הכשרה נכון ל-{as_of.isoformat()}'
        write_xlsx(out, EXPORT_COLUMNS, counted(stream), lang="he", sheet="compliance", title=title)
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"seconds": seconds, "rows": rows, "base_rss_mib": base, "peak_rss_mib": _peak_rss_mib()}


def main() -> None:
    url, as_of, out = sys.argv[1:4]
    print(json.dumps(run(url, date.fromisoformat(as_of), out)))


if __name__ == "__main__":
    main()
