"""Serve one of the bare apps with the uvicorn settings `pizzabox serve` uses.

    python -m benchmarks.serve hello --port 8101
    python -m benchmarks.serve bare --port 8102   # reads PIZZABOX_DATABASE_URL

Pizzabox itself is started with `pizzabox serve`, so the benchmark measures what users run; this
launcher gives the bare apps the same server: one process, uvicorn's default loop and HTTP
implementations (uvloop and httptools where installed), no proxy headers, logs at the level
`PIZZABOX_LOG_LEVEL` says, and an access line per request exactly when Pizzabox writes one
(`PIZZABOX_ACCESS_LOG`).
"""

import argparse
import logging
import sys

import uvicorn

# The bare apps, by the names the benchmark starts them with.
APPS = {"hello": "hello_app", "hello_headers": "hello_headers_app", "bare": "app"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("app", choices=sorted(APPS))
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()

    from api.core.config import get_settings
    from benchmarks import bare

    app = getattr(bare, APPS[args.app])
    # The settings `pizzabox serve` reads from the same environment, for the same server.
    settings = get_settings()
    # Like Pizzabox: one handler on the root logger, uvicorn's loggers writing through it.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(settings.log_level)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        log_level=settings.log_level.lower(),
        log_config=None,
        access_log=settings.access_log,
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()
