"""A database of its own for a benchmark, migrated, and gone afterwards.

PostgreSQL: LOTSEN_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test) names a database to
connect to; the benchmark's own database is created beside it. SQLite: a file in a temporary directory.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from lotsen import migrate
from lotsen.db import normalize_url

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


@contextlib.contextmanager
def database(name: str, backend: str = "postgresql") -> Iterator[str]:
    """The URL of a fresh database at the newest schema, dropped when the block ends."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/{name}.db"
            migrate.upgrade(url)
            yield url
        return
    base = make_url(normalize_url(os.environ.get("LOTSEN_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)))
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    drop = text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    with admin.connect() as conn:
        conn.execute(drop)
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = base.set(database=name).render_as_string(hide_password=False)
        migrate.upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(drop)
        admin.dispose()
