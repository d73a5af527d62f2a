"""Alembic, driven from Python: the only way the schema is created or changed."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from lotsen import ROOT


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def revision(database_url: str, message: str) -> None:
    """Write a new migration from the difference between the models and an up-to-date database."""
    versions = ROOT / "migrations" / "versions"
    numbers = [int(p.name[:4]) for p in versions.glob("[0-9][0-9][0-9][0-9]_*.py")]
    rev_id = f"{max(numbers, default=0) + 1:04d}"
    slug = "_".join(message.lower().split())[:40]
    command.revision(alembic_config(database_url), message=message, autogenerate=True, rev_id=rev_id)
    # Alembic names the file after rev_id and message; keep only the number and a short slug.
    for path in versions.glob(f"{rev_id}_*.py"):
        path.rename(versions / f"{rev_id}_{slug}.py")
