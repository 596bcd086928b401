"""Flask extensions, created once here and bound to the app in create_app."""
import time

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from limits.storage import MemoryStorage
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints, so migrations can alter them identically on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()


class SweptMemoryStorage(MemoryStorage):
    """limits' per-process memory storage (RATELIMIT_STORAGE_URI=swept-memory://), less the thread it
    starts on a hit that comes over 10 ms after the last (a Timer that drops expired counters): about one
    thread per API request at ordinary loads, whose start the request waits for. Counters expire when
    read either way; the hits themselves drop the expired ones here, at most once a second."""

    STORAGE_SCHEME = ["swept-memory"]
    SWEEP_SECONDS = 1.0

    def __init__(self, uri: str | None = None, **options) -> None:
        super().__init__(uri, **options)
        self.next_sweep = 0.0

    # limits calls its private self.__schedule_expiry() on every hit; this is that name, mangled.
    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now >= self.next_sweep:
            self.next_sweep = now + self.SWEEP_SECONDS
            self._MemoryStorage__expire_events()


# Storage from RATELIMIT_STORAGE_URI (swept-memory:// by default); the limits themselves are on the routes.
limiter = Limiter(key_func=get_remote_address)
