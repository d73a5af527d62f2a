"""The ``lotsen`` command: Flask's commands plus database, admin and demo commands."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from lotsen import db, migrate


@click.group("db")
def db_group():
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str):
    """Apply migrations up to REVISION (default: head)."""
    migrate.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"Database at {revision}.")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str):
    """Revert migrations down to REVISION."""
    migrate.downgrade(current_app.config["DATABASE_URL"], revision)


@db_group.command("revision")
@click.option("-m", "--message", required=True, help="What the migration changes.")
@with_appcontext
def db_revision(message: str):
    """Generate a migration for model changes (review the file before committing it)."""
    migrate.revision(current_app.config["DATABASE_URL"], message)


@click.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.password_option("--password", envvar="LOTSEN_ADMIN_PASSWORD")
@with_appcontext
def create_admin(email: str, name: str, password: str):
    """Create an administrator account (or fail if the address is taken)."""
    from lotsen.auth.services import AccountError
    from lotsen.auth.services import create_admin as create

    session = db.session()
    try:
        user = create(session, email=email, name=name, password=password)
    except AccountError as error:
        session.rollback()
        raise click.ClickException(error.message) from None
    session.commit()
    click.echo(f"Administrator {user.email} created.")


@click.command("seed-demo")
@with_appcontext
def seed_demo():
    """Load the demo offices, agencies and users (does nothing if they exist)."""
    from lotsen.demo import DEMO_PASSWORD, demo_logins, seed

    session = db.session()
    created = seed(session)
    session.commit()
    click.echo("Demo data created." if created else "Demo data already present.")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for role, email in demo_logins(session):
        click.echo(f"  {role:<12} {email}")


@click.command("worker")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between ticks.")
@click.option("--once", is_flag=True, help="Run one tick and exit (for cron or a health check).")
@with_appcontext
def worker(interval: float, once: bool):
    """Run the worker: expire offers, ask the next waves, mark unfilled requests (one process only)."""
    from lotsen.reminders import worker as worker_process

    app = current_app._get_current_object()
    if once:
        click.echo(" ".join(f"{name}={count}" for name, count in worker_process.tick(app).items()))
        return
    worker_process.run(app, interval)


def init_app(app) -> None:
    for command in (db_group, create_admin, seed_demo, worker):
        app.cli.add_command(command)


def _create_app():
    from lotsen import create_app

    return create_app()


main = FlaskGroup(create_app=_create_app, help="Lotsen command line.")
