"""gunicorn settings for the registry: `gunicorn -c deploy/gunicorn.conf.py 'registry.wsgi:app'`."""

import multiprocessing
import os

# registry.service's ExecStartPost asks http://127.0.0.1:8000/readyz: change it with the address. The load
# balancer's health check is GET /readyz; /healthz is liveness only (deploy/README.md "Health checks").
bind = os.environ.get("REGISTRY_BIND", "127.0.0.1:8000")
# Sync workers: each request is a short database transaction; scale with cores, not threads.
workers = int(os.environ.get("REGISTRY_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 30
graceful_timeout = 30
max_requests = 10_000
max_requests_jitter = 1_000
accesslog = "-"
# The access log must carry no secrets or personal data: tokens travel in the Authorization header,
# which is not logged, and lookups carry values (bank accounts, personal IDs) in the query string, so
# only the path is logged (%(U)s), never the query (%(q)s) or the request line (%(r)s).
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(D)sus req=%({X-Request-Id}o)s'
forwarded_allow_ips = os.environ.get("REGISTRY_FORWARDED_ALLOW_IPS", "127.0.0.1")
