# All Hands server image: `docker build -t allhands .`; compose.yaml runs it with PostgreSQL.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md alembic.ini app.py ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
COPY migrations ./migrations
RUN pip install . \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin allhands

USER allhands
ENV ALLHANDS_HOST=0.0.0.0 \
    ALLHANDS_PORT=3000 \
    ALLHANDS_LOG_FORMAT=json
EXPOSE 3000

HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['ALLHANDS_PORT'] + '/healthz', timeout=2)"]

CMD ["allhands", "serve"]
