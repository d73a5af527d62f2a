"""The CSV import as a job of the worker: a file of 2,000 volunteers with invitations takes longer than a
request may. All or nothing as on the page: the job's transaction commits only if every row is valid."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from lotsen.acting import Acting
from lotsen.i18n import _, force_locale
from lotsen.jobs.models import Job
from lotsen.jobs.services import JobFailed, register
from lotsen.offices.models import Office
from lotsen.volunteers import importer
from lotsen.volunteers.csv_sheet import ImportFileError, ImportRefused

KIND = "volunteers.import"


def payload(data: bytes, *, send_invitations: bool) -> dict:
    return {"file": importer.pack(data), "send_invitations": send_invitations}


@register(KIND)
def run(session: Session, acting: Acting, job: Job, progress) -> dict:
    office = session.get(Office, job.office_id)
    data = importer.unpack(job.payload.get("file", ""))
    locale = acting.actor.locale if acting.actor is not None else "de"
    with force_locale(locale):  # what the page shows afterwards speaks the importer's language
        if data is None or office is None:
            raise JobFailed(_("The checked file could not be taken over. Please upload it again."))
        today = acting.now.astimezone(ZoneInfo(acting.zone)).date()
        try:
            rows = importer.parse(data, today=today).rows
            progress(0, len(rows))
            counts = importer.import_rows(session, acting.actor, office, rows, today=today, progress=progress,
                                          send_invitations=bool(job.payload.get("send_invitations")))
        except ImportRefused as refused:
            raise JobFailed(refused.message, {"rows": [
                {"line": row.line, "errors": [str(e) for e in row.errors]} for row in refused.rows if row.errors]}) \
                from None
        except ImportFileError as error:
            raise JobFailed(error.message) from None
    return {**counts, "invited": counts["created"] if job.payload.get("send_invitations") else 0}
