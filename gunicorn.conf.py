# gunicorn settings for `gunicorn wsgi:app` (picked up from the working directory).
# The access log format deliberately has no %(h)s (remote address), no %(a)s (user agent)
# and no request headers: the line must not be able to tell who asked.
import os

bind = os.environ.get("ADVISORY_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("ADVISORY_WORKERS", "2"))
accesslog = "-"
errorlog = "-"
access_log_format = '- - %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
forwarded_allow_ips = ""
proxy_allow_ips = ""
