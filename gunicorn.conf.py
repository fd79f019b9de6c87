# gunicorn settings for `gunicorn wsgi:app` (picked up from the working directory).
#
# One worker process with threads by default: the rate limits' counters then live in one
# process's memory and count every request (memory:// storage, the default). More processes
# (ADVISORY_WORKERS) need storage they all share, Redis: on_starting refuses the mix.
#
# No client address in any log (DESIGN.md invariant 2): the access log format has no %(h)s
# (remote address), no %(a)s (user agent) and no request headers, and AnonymousLogger hides
# every address gunicorn itself would write (malformed requests, refused PROXY lines, ...).
# ADVISORY_LOG_FORMAT=json makes its lines JSON objects, as the app's.
#
# Metrics: with PROMETHEUS_MULTIPROC_DIR set, each worker counts in a file of its own there
# and a scrape adds them up (advisory/metrics/). Counters and histograms only: a dead
# worker's counts stay counted, so no child_exit hook is needed.
import os

from advisory.settings import load_settings


def _whole_number(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip() or str(default)
    if not text.isdigit() or int(text) < 1:
        raise SystemExit(f"{name}: expected a whole number of at least 1, got {text!r}")
    return int(text)


bind = os.environ.get("ADVISORY_BIND", "127.0.0.1:8000")
workers = _whole_number("ADVISORY_WORKERS", 1)
worker_class = "gthread"
threads = _whole_number("ADVISORY_THREADS", 8)
accesslog = "-"
errorlog = "-"
access_log_format = '- - %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
logger_class = "advisory.gunicorn_logging.AnonymousLogger"
forwarded_allow_ips = ""
proxy_allow_ips = ""


def on_starting(server):
    """Refuse several worker processes that would each count rate limits on their own."""
    storage = load_settings(os.environ).ratelimit_storage
    processes = server.cfg.workers
    if processes > 1 and storage.startswith("memory://"):
        raise RuntimeError(
            f"{processes} worker processes (ADVISORY_WORKERS or --workers) with "
            "ADVISORY_RATELIMIT_STORAGE=memory:// would each count rate limits on their own, "
            f"letting up to {processes} times as many requests through. Run one worker process "
            "(ADVISORY_WORKERS=1, the default; ADVISORY_THREADS sets its threads), or set "
            "ADVISORY_RATELIMIT_STORAGE to a Redis URL that every worker shares."
        )
