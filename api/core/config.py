"""Settings, read from `PIZZABOX_` environment variables."""

import ipaddress
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# Not a Pizzabox setting: where prometheus-client keeps the metrics of several worker processes.
PROMETHEUS_MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"


class Settings(BaseSettings):
    """Every knob Pizzabox has; each one is documented in docs/reference/configuration.md."""

    model_config = SettingsConfigDict(env_prefix="PIZZABOX_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./pizzabox.db"
    # Echo SQL to the log; for debugging only.
    database_echo: bool = False
    # Connections per instance in the PostgreSQL pool.
    database_pool_size: int = Field(default=10, ge=1, le=200)
    # How long a SQLite writer waits for the lock before giving up, in milliseconds.
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)
    # Requests with a larger body are refused with 413.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    graphql_max_depth: int = Field(default=10, ge=2)
    graphql_max_aliases: int = Field(default=15, ge=1)
    graphql_max_tokens: int = Field(default=2000, ge=100)
    graphql_introspection: bool = True
    # Requests per token (or per client address, without one) per minute; 0: off.
    rate_limit_per_minute: int = Field(default=600, ge=0)
    # Failed authentications (no, bad, expired or revoked token) per client address per minute;
    # past it, that address gets 429 until the minute is over. 0: off.
    auth_failures_per_minute: int = Field(default=30, ge=0)
    # Where every instance counts both limits against one budget; unset, each instance counts
    # in its own memory.
    redis_url: SecretStr | None = None
    # Prepended to every Redis key Pizzabox writes, so several deployments can share one Redis.
    redis_prefix: str = Field(default="pizzabox", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
    # Prometheus metrics at /metrics.
    metrics: bool = False
    # When set, /metrics answers only requests that send it as `Authorization: Bearer …`.
    metrics_token: SecretStr | None = None
    # Comma-separated addresses or networks (CIDR) of the proxies in front of Pizzabox, whose
    # `X-Forwarded-For` names the client. Empty: the header is ignored, from anyone.
    trusted_proxies: str = ""
    # Comma-separated origins allowed by CORS; empty means CORS is off.
    cors_origins: str = ""
    debug: bool = False
    log_level: str = "INFO"
    # One log line per request from the server; off by default, like gunicorn's: at hundreds of
    # requests a second it costs more than the request's own logging.
    access_log: bool = False
    # Signs the audit trail's hash chains; unset, a public key is used (see the docs).
    audit_key: SecretStr | None = None
    # The docs site as `mkdocs build` writes it, served at /docs/ when it holds an index.html.
    docs_dir: Path = Path("site")

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        # Pizzabox talks to its database through async drivers only; name them, rather than
        # fail later on a missing synchronous one.
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return url

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, level: str) -> str:
        if level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level.upper()

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for item in value.split(","):
            if item.strip():
                try:
                    ipaddress.ip_network(item.strip(), strict=False)
                except ValueError:
                    raise ValueError(f"{item.strip()!r} is not an IP address or network") from None
        return value

    @property
    def trusted_proxy_networks(self) -> tuple[IPNetwork, ...]:
        """The trusted proxies as networks; empty when no proxy is trusted."""
        return tuple(
            ipaddress.ip_network(item.strip(), strict=False)
            for item in self.trusted_proxies.split(",")
            if item.strip()
        )

    @field_validator("redis_url", "metrics_token", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `PIZZABOX_REDIS_URL=` in a compose file or a unit means "not set", not a bad URL.
        return None if value == "" else value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, url: SecretStr | None) -> SecretStr | None:
        if url is not None and not url.get_secret_value().startswith(
            ("redis://", "rediss://", "unix://")
        ):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return url

    @field_validator("audit_key", "metrics_token")
    @classmethod
    def _long_secret(cls, secret: SecretStr | None) -> SecretStr | None:
        # A short key could be guessed offline from any event and its digest; a short scrape
        # token, by asking.
        if secret is not None and len(secret.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters, e.g. from `openssl rand -hex 32`")
        return secret

    @property
    def cors_origin_list(self) -> list[str]:
        """The CORS origins as a list; empty when CORS is off."""
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is the embedded SQLite one."""
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
