"""gunicorn settings for Lotsen: ``.venv/bin/gunicorn -c gunicorn.conf.py 'lotsen:create_app()'``.

Workers, address and timeout come from the environment (LOTSEN_WORKERS, LOTSEN_BIND, LOTSEN_TIMEOUT).
In production, more than one worker with throttling counted in memory would let every worker count on its
own (five failed sign-ins per account per worker): gunicorn then refuses to start until
LOTSEN_RATELIMIT_STORAGE_URI names a shared store (redis://...).
"""

import os

bind = os.environ.get("LOTSEN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("LOTSEN_WORKERS", "2"))
timeout = int(os.environ.get("LOTSEN_TIMEOUT", "60"))
forwarded_allow_ips = os.environ.get("LOTSEN_FORWARDED_ALLOW_IPS", "127.0.0.1")


def shared_throttling_problem(worker_count: int, settings: dict) -> str | None:
    """Why these settings may not serve with ``worker_count`` workers, or None."""
    storage = settings.get("RATELIMIT_STORAGE_URI", "")
    if settings.get("PRODUCTION") and worker_count > 1 and storage.startswith("memory://"):
        return (f"{worker_count} workers with LOTSEN_RATELIMIT_STORAGE_URI={storage}: each worker would count "
                "failed sign-ins on its own. Set LOTSEN_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379 "
                "(or run one worker).")
    return None


def on_starting(server):
    import config

    problem = shared_throttling_problem(server.cfg.workers, config.load())
    if problem:
        raise RuntimeError(problem)


def post_worker_init(worker):
    """Once the app is loaded, its objects (models, catalogues, templates) leave the garbage collector's
    generations: a full collection then scans only what requests create (shorter pauses, a lower p99)."""
    import gc

    gc.collect()
    gc.freeze()
