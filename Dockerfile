# Production image for the web server, the Celery worker and Celery beat (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=alize.settings.production \
    PORT=8000

# WeasyPrint renders the PDF reports with Pango and HarfBuzz.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# pg_dump and pg_restore for `manage.py backup` / `restore`, of the major version of compose's
# PostgreSQL (tests/test_backup.py holds the two together), from PostgreSQL's apt repository.
ARG PG_MAJOR=16
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-common \
    && /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y \
    && apt-get install -y --no-install-recommends postgresql-client-${PG_MAJOR} \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

COPY requirements.lock .
RUN pip install -r requirements.lock

COPY . .

# Translations and static files are built into the image; nothing here touches a database.
RUN DJANGO_SECRET_KEY=build-only-not-secret \
    DATABASE_URL=postgres://build@localhost/build \
    REDIS_URL=redis://localhost:6379/0 \
    sh -c "python manage.py compile_translations && python manage.py collectstatic --noinput"

RUN useradd --system --create-home --uid 1000 alize \
    && mkdir -p /app/media /app/documents /app/backups \
    && chown alize:alize /app/media /app/documents /app/backups
USER alize

EXPOSE 8000
CMD ["gunicorn", "-c", "alize/gunicorn.conf.py", "alize.wsgi:application"]
