# Mekomot LMS: the production image.
#
#   docker build -t mekomot-lms .
#   docker run -p 8000:8000 \
#     -e LMS_DATABASE_URL=postgresql+psycopg://lms:PASSWORD@db.internal:5432/lms \
#     -e LMS_SECRET_KEY="$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')" \
#     mekomot-lms
#
# With no arguments the container applies the migrations and serves on port 8000 with
# LMS_WEB_WORKERS uvicorn workers (default 4). Given arguments, it runs them instead, e.g.
#   docker run --rm -e LMS_DATABASE_URL=... -e LMS_SECRET_KEY=... mekomot-lms lms load-reference
# See README.md and docs/operations.md.

FROM python:3.11-slim-bookworm

# WeasyPrint (PDF) needs Pango and HarfBuzz from the system, and fonts that cover Hebrew;
# tzdata because days end at midnight Asia/Jerusalem.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz0b \
        libharfbuzz-subset0 \
        fontconfig \
        fonts-noto-core \
        tzdata \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LMS_VAR_DIR=/srv/lms/var \
    LMS_WEB_WORKERS=4

RUN groupadd --system --gid 10001 lms \
    && useradd --system --uid 10001 --gid lms --home-dir /srv/lms --no-create-home --shell /usr/sbin/nologin lms

WORKDIR /srv/lms

# The dependencies first, in a layer of their own, so that a change of code does not reinstall them.
COPY pyproject.toml ./
RUN mkdir app && touch app/__init__.py \
    && pip install --no-cache-dir -e . \
    && rm -rf app mekomot_lms.egg-info

# Then the project itself, installed editable in place: the application finds its templates,
# certificate designs and migrations relative to /srv/lms.
COPY . .
RUN pip install --no-cache-dir --no-deps -e . \
    && mkdir -p /srv/lms/var \
    && chown -R lms:lms /srv/lms/var

# The entry point: run the arguments if there are any; otherwise migrate and serve.
# It refuses to start without LMS_SECRET_KEY: each container would otherwise sign tokens with a key
# of its own, and a token issued by one would be refused by the next.
RUN printf '%s\n' \
        '#!/bin/sh' \
        'set -e' \
        'if [ "$#" -gt 0 ]; then exec "$@"; fi' \
        'if [ -z "${LMS_SECRET_KEY:-}" ]; then' \
        '  echo "LMS_SECRET_KEY is not set: give every container the same long random secret" >&2' \
        '  exit 64' \
        'fi' \
        'if [ -z "${LMS_DATABASE_URL:-}" ]; then' \
        '  echo "warning: LMS_DATABASE_URL is not set; using SQLite under $LMS_VAR_DIR (mount a volume there)" >&2' \
        'fi' \
        'lms db upgrade' \
        'exec lms serve --host 0.0.0.0 --port 8000 --workers "${LMS_WEB_WORKERS:-4}"' \
        > /usr/local/bin/lms-entrypoint \
    && chmod 0755 /usr/local/bin/lms-entrypoint

USER lms
EXPOSE 8000

# No curl in the slim image: Python asks /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

ENTRYPOINT ["/usr/local/bin/lms-entrypoint"]
