"""The compliance pages of the Ministry's auditors and the authorities' liaisons, under `/compliance`:

- `dashboard`: `/compliance`, the country (or a liaison's authority) as of a date;
- `authorities`: `/compliance/authorities/{cbs_code}`, one authority; officials at risk and the seats programmes need;
- `requests`: `/compliance/requests`, extension and exemption requests and their decisions, and an official's
  requirement history.

Each module has its router; `router` holds them all."""

from __future__ import annotations

from app.compliance.pages import authorities, dashboard, requests
from app.web.routing import Router

router = Router(include_in_schema=False)
for _part in (dashboard, authorities, requests):
    router.include_router(_part.router)
