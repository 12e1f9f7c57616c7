"""Settings: one pydantic-settings class, prefix ``SHEKARA_``, validated at startup.

Every field is documented in ``docs/settings.md``; a test keeps the two in step.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "development-only-secret-change-me"


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    """Deployment settings. Read from the environment (``SHEKARA_*``) or a ``.env`` file."""

    model_config = SettingsConfigDict(env_prefix="SHEKARA_", env_file=".env", extra="ignore")

    env: Environment = Field(Environment.development, description="development, test or production")
    data_dir: Path = Field(
        Path("var"), description="Folder for the SQLite file and other local data"
    )
    database_url: str = Field(
        "", description="SQLAlchemy URL; empty means a SQLite file in data_dir (WAL mode)"
    )
    secret_key: str = Field(DEFAULT_SECRET, description="Signs sessions and CSRF tokens")
    host: str = Field("127.0.0.1", description="Address the HTTP server binds")
    port: int = Field(8000, description="Port the HTTP server binds")
    token_ttl_hours: int = Field(12, ge=1, description="Lifetime of API tokens issued at login")
    session_idle_minutes: int = Field(30, ge=1, description="Web session idle timeout")
    login_max_failures: int = Field(
        5, ge=0, description="Failed logins for one username within the window; 0: no limit"
    )
    login_max_failures_per_ip: int = Field(
        20, ge=0, description="Failed logins from one client address within the window; 0: no limit"
    )
    login_window_minutes: int = Field(
        15, ge=1, description="Window over which failed logins are counted"
    )
    log_json: bool = Field(False, description="Write logs as JSON lines (use in production)")
    log_level: str = Field("INFO", description="Minimum log level")
    member_countries: list[str] = Field(
        default_factory=list,
        description="ISO alpha-2 codes of member countries; empty means those of the agencies",
    )
    page_size_max: int = Field(500, ge=1, description="Largest page a list may request")
    tile_url: str = Field(
        "", description="Raster tile URL template; empty uses the offline basemap"
    )
    bus_url: str = Field("", description="NATS URL for the telemetry bus; empty means in-process")
    mqtt_url: str = Field("", description="MQTT broker URL to subscribe to for tracker messages")
    tracking_raw_days: int = Field(
        30, ge=0, description="Keep every tracker fix this many days, then thin; 0 never thins"
    )
    tracking_thin_seconds: int = Field(
        60, ge=0, description="Thinned tracks keep one fix per device per this many seconds"
    )
    tracking_keep_days: int = Field(
        0, ge=0, description="Delete tracker fixes older than this many days; 0 keeps them"
    )
    audit_seal_seconds: float = Field(
        1.0, ge=0, description="How often a server chains new audit entries; 0 turns it off"
    )
    db_pool_size: int = Field(10, ge=1, description="PostgreSQL connection pool size")
    workers: int = Field(1, ge=1, description="HTTP server processes started by `shekara serve`")
    db_pool_pre_ping: bool = Field(
        False, description="Test each pooled PostgreSQL connection with a round trip before use"
    )

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.env == Environment.production and (
            not self.secret_key or self.secret_key == DEFAULT_SECRET or len(self.secret_key) < 32
        ):
            raise ValueError(
                "SHEKARA_SECRET_KEY must be set to a random value of at least 32 characters "
                "when SHEKARA_ENV=production"
            )
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'shekara.db').as_posix()}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings (tests build their own and inject them)."""
    return Settings()
