# Pizzabox API image: `docker build -t pizzabox . && docker run -p 8000:8000 pizzabox`.
# By default it keeps an embedded SQLite database in the /app/data volume; set
# PIZZABOX_DATABASE_URL=postgresql+asyncpg://… to run it (as many replicas as needed) on PostgreSQL,
# and PIZZABOX_REDIS_URL=redis://… for rate limits the replicas share.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 pizzabox \
    && useradd --system --uid 10001 --gid pizzabox --home-dir /app --shell /usr/sbin/nologin pizzabox

WORKDIR /app

COPY pyproject.toml README.md alembic.ini ./
COPY api/ api/
COPY migrations/ migrations/
RUN pip install --no-cache-dir . \
    && mkdir -p /app/data \
    && chown pizzabox:pizzabox /app/data

# `pizzabox serve` finds migrations/ in the working directory and applies them at start-up.
ENV PIZZABOX_DATABASE_URL=sqlite+aiosqlite:////app/data/pizzabox.db
# One worker process per CPU the container may use (its --cpus quota included); -e
# PIZZABOX_WORKERS=N chooses. Each worker has its own database pool (PIZZABOX_DATABASE_POOL_SIZE).
ENV PIZZABOX_WORKERS=auto
VOLUME ["/app/data"]

USER pizzabox
EXPOSE 8000

# The slim image has no curl; Python's standard library makes the request instead.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

# As many workers as PIZZABOX_WORKERS says (above): one per CPU unless the container is told otherwise.
CMD ["pizzabox", "serve", "--host", "0.0.0.0", "--port", "8000"]
