"""The worker process: APScheduler ticks, and every tick runs the due jobs, each in its own transaction.

Jobs are plain functions ``job(session, acting)`` over rows (offers past expiry, waves
due, requests past their start); they hold no state between ticks, so a restart loses nothing and
two workers at once do no harm (each job locks the rows it changes).
The scheduler runs only here: never inside ``create_app`` and never once per web worker.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from lotsen import clock, db
from lotsen.acting import Acting
from lotsen.notifications import outbox

log = logging.getLogger(__name__)


def jobs(*, fast: bool, slow: bool) -> list[tuple[str, Callable]]:
    """The jobs of a tick: ``fast`` ones run every few seconds; ``slow`` ones look at the whole pool (hourly).

    Each is ``job(session, acting)``: Lotsen itself acts, at the tick's ``now``.
    """
    from lotsen import retention
    from lotsen.api import tokens
    from lotsen.assignments import offering
    from lotsen.matching import counts
    from lotsen.reminders import services as reminders
    from lotsen.requests import services as requests

    every_tick = [
        ("expire_offers", offering.expire_offers),
        ("advance_waves", offering.advance_waves),
        ("mark_unfilled", lambda session, acting: requests.mark_unfilled(session, now=acting.now)),
        ("unfilled_alerts", lambda session, acting: reminders.unfilled_alerts(session, now=acting.now)),
        ("refresh_candidate_counts", lambda session, acting: counts.refresh_stale(session, now=acting.now,
                                                                                  zone=acting.zone)),
    ]
    hourly = [
        ("availability_checks", lambda session, acting: reminders.availability_checks(session, now=acting.now,
                                                                                      zone=acting.zone)),
        ("certificate_warnings", lambda session, acting: reminders.certificate_warnings(session, now=acting.now,
                                                                                        zone=acting.zone)),
        ("purge_expired_data", retention.purge),
        ("forget_idempotent_answers", tokens.forget_answers),
    ]
    return (every_tick if fast else []) + (hourly if slow else [])


def tick(app, now: dt.datetime | None = None, *, fast: bool = True, slow: bool = True) -> dict[str, int]:
    """Run the jobs once, then (on fast ticks) deliver the outbox; a failing job is rolled back alone."""
    done = {}
    with app.app_context():
        now = now or clock.now()
        acting = Acting(None, now, app.config["TIMEZONE"], "worker")
        for name, job in jobs(fast=fast, slow=slow):
            session = db.begin_writing(app.extensions["lotsen.sessionmaker"]())
            try:
                done[name] = job(session, acting) or 0
                session.commit()
            except Exception:
                session.rollback()
                log.exception("Job %s failed; it runs again at the next tick.", name)
                done[name] = -1
            finally:
                session.close()
        if fast:  # long jobs (imports), then what is due in the outbox, including what the jobs just queued
            from lotsen.billing import statements  # noqa: F401  (registers the month's closing)
            from lotsen.jobs import services as long_jobs
            from lotsen.volunteers import import_job  # noqa: F401  (registers its kind)

            done.update(long_jobs.run_due(app, now=now, zone=acting.zone))
            done.update(outbox.deliver_due(app, now=now))
    return done


def run(app, interval_seconds: float) -> None:
    """Tick every ``interval_seconds`` until stopped; missed ticks coalesce, never two at once."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(timezone=dt.timezone.utc)
    # Two schedules, disjoint work: delivery runs only in the fast tick, so one process never has two
    # batches in flight.
    scheduler.add_job(tick, "interval", args=[app], kwargs={"fast": True, "slow": False}, seconds=interval_seconds,
                      id="tick", coalesce=True, max_instances=1, next_run_time=clock.now())
    scheduler.add_job(tick, "interval", args=[app], kwargs={"fast": False, "slow": True}, hours=1, id="hourly",
                      coalesce=True, max_instances=1, next_run_time=clock.now())
    log.info("Lotsen worker ticking every %s seconds.", interval_seconds)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
