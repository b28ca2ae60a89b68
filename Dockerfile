# Pizzabox API image: `docker build -t pizzabox . && docker run -p 8000:8000 pizzabox`.
# By default it keeps an embedded SQLite database in the /app/data volume; set
# PIZZABOX_DATABASE_URL=postgresql+asyncpg://… to run it (as many replicas as needed) on PostgreSQL,
# and PIZZABOX_REDIS_URL=redis://… for rate limits the replicas share.
# tests/core/test_install.py runs these steps without a container engine: the locked install into
# a fresh virtualenv, the package on top, `pizzabox serve` as a user who is not root.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 pizzabox \
    && useradd --system --uid 10001 --gid pizzabox --home-dir /app --shell /usr/sbin/nologin pizzabox

WORKDIR /app

# The dependencies first, exactly as locked (each file checked by its hash), in a layer of their
# own: a change to the code alone rebuilds only the layer below. Regenerate the lock with
# `pip-compile --generate-hashes` (its header has the whole command; run it on the oldest Python
# 3.11 in use, so that a dependency only older patch releases need is pinned too) when
# pyproject.toml changes.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock

# Then the code, not editable and with no dependency the lock does not pin. The migrations, page
# templates and console assets are package data: `pizzabox` needs nothing from this directory.
COPY pyproject.toml README.md ./
COPY api/ api/
RUN pip install --no-cache-dir --no-deps . \
    && rm -rf api build \
    && mkdir -p /app/data \
    && chown pizzabox:pizzabox /app/data

# The one place the service writes: its SQLite database, when it uses one. Mount a volume here
# (`-v pizzabox-data:/app/data`) to keep it across containers; it must be writable by uid 10001.
ENV PIZZABOX_DATABASE_URL=sqlite+aiosqlite:////app/data/pizzabox.db
VOLUME ["/app/data"]
# One worker process per CPU the container may use (its --cpus quota included); -e
# PIZZABOX_WORKERS=N chooses. Each worker has its own database pool (PIZZABOX_DATABASE_POOL_SIZE).
ENV PIZZABOX_WORKERS=auto

USER pizzabox
EXPOSE 8000

# Ready, not merely up: /readyz answers 503 while the database cannot be reached. The slim image
# has no curl; Python's standard library makes the request instead.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status == 200 else 1)"]

# As many workers as PIZZABOX_WORKERS says (above): one per CPU unless the container is told otherwise.
CMD ["pizzabox", "serve", "--host", "0.0.0.0", "--port", "8000"]
