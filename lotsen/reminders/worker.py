"""The worker process: APScheduler ticks, and every tick runs the due jobs, each in its own transaction.

Jobs are plain functions ``job(session, now=..., zone=...)`` over rows (offers past expiry, waves
due, requests past their start); they hold no state between ticks, so a restart loses nothing and
two workers at once do no harm (each job locks the rows it changes).
The scheduler runs only here: never inside ``create_app`` and never once per web worker.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from lotsen import db
from lotsen.notifications import outbox

log = logging.getLogger(__name__)


def jobs() -> list[tuple[str, Callable]]:
    from lotsen.assignments import services as assignments
    from lotsen.requests import services as requests

    return [
        ("expire_offers", lambda session, now, zone: assignments.expire_offers(session, now=now)),
        ("advance_waves", lambda session, now, zone: assignments.advance_waves(session, now=now, zone=zone)),
        ("mark_unfilled", lambda session, now, zone: requests.mark_unfilled(session, now=now)),
        ("count_candidates", lambda session, now, zone: assignments.count_candidates(session, now=now, zone=zone)),
    ]


def tick(app, now: dt.datetime | None = None) -> dict[str, int]:
    """Run every job once, then deliver the outbox; a failing job is logged and rolled back alone."""
    done = {}
    with app.app_context():
        now = now or dt.datetime.now(dt.timezone.utc)
        zone = app.config["TIMEZONE"]
        for name, job in jobs():
            session = db.begin_writing(app.extensions["lotsen.sessionmaker"]())
            try:
                done[name] = job(session, now, zone) or 0
                session.commit()
            except Exception:
                session.rollback()
                log.exception("Job %s failed; it runs again at the next tick.", name)
                done[name] = -1
            finally:
                session.close()
        # Then what is due in the outbox, including what the jobs just queued.
        done.update(outbox.deliver_due(app, now=now))
    return done


def run(app, interval_seconds: float) -> None:
    """Tick every ``interval_seconds`` until stopped; missed ticks coalesce, never two at once."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(timezone=dt.timezone.utc)
    scheduler.add_job(tick, "interval", args=[app], seconds=interval_seconds, id="tick", coalesce=True,
                      max_instances=1, next_run_time=dt.datetime.now(dt.timezone.utc))
    log.info("Lotsen worker ticking every %s seconds.", interval_seconds)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
