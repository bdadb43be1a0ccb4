FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 channelhub
WORKDIR /app
COPY pyproject.toml README.md ./
RUN pip install --upgrade pip && pip install .
COPY . .
RUN DEBUG=1 SECRET_KEY=build python manage.py collectstatic --no-input \
    && chown -R channelhub /app
USER channelhub
EXPOSE 8000
CMD ["gunicorn", "channelhub.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120", "--no-control-socket", "--access-logfile", "-", "--access-logformat", "%(h)s %(t)s \"%(m)s %(U)s %(H)s\" %(s)s %(b)s %(L)s"]
