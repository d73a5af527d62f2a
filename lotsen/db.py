"""Database engine, sessions and the declarative base.

One session per request (kept on ``flask.g``); ``lotsen.web`` commits it once when the
request succeeded and rolls it back otherwise. Services only ever flush.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app, g, has_request_context, request
from sqlalchemy import DateTime, MetaData, create_engine, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


WRITES = "lotsen_writes"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime stored in UTC on every backend.

    SQLite keeps no offset, so values are normalised to UTC on the way in and
    marked as UTC on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Lotsen stores timezone-aware datetimes only")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


def normalize_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` addresses."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        in_memory = url in ("sqlite://", "sqlite:///:memory:")
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            # An in-memory database lives in one connection; share it.
            poolclass=StaticPool if in_memory else None,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # pysqlite's own transaction handling would defer BEGIN; emit it ourselves.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # A writing transaction takes the write lock at once: SQLite cannot upgrade a reader whose
            # snapshot went stale, so concurrent writers queue here (busy_timeout) instead of failing.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITES) else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def init_app(app) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["lotsen.engine"] = engine
    app.extensions["lotsen.sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def engine() -> Engine:
    return current_app.extensions["lotsen.engine"]


def session() -> Session:
    """The session of the current request or app context.

    A request that may write (anything but GET, HEAD, OPTIONS, or a view marked ``web.writes``) begins as a
    writer.
    """
    if "db_session" not in g:
        g.db_session = current_app.extensions["lotsen.sessionmaker"]()
        if has_request_context() and (request.method not in ("GET", "HEAD", "OPTIONS") or getattr(
                current_app.view_functions.get(request.endpoint or ""), "lotsen_writes", False)):
            begin_writing(g.db_session)
    return g.db_session


def begin_writing(db_session: Session) -> Session:
    """Begin ``db_session``'s transaction as a writer (SQLite: BEGIN IMMEDIATE; elsewhere a no-op)."""
    db_session.connection(execution_options={WRITES: True})
    db_session.info[WRITES] = True
    return db_session


def is_writing(db_session: Session) -> bool:
    """Whether the session began as a writer (``begin_writing``)."""
    return bool(db_session.info.get(WRITES))


def locked(db_session: Session, model, ident):
    """Load a row and lock it against concurrent writers until commit (PostgreSQL: FOR UPDATE).

    SQLite has no row locks; there a writing transaction already holds the database's write lock.
    """
    return db_session.scalars(
        select(model).where(model.id == ident).with_for_update().execution_options(populate_existing=True)
    ).one_or_none()


def _close_session(exc) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        if exc is not None:
            db_session.rollback()
        db_session.close()
