"""gunicorn settings for the registry: `gunicorn -c deploy/gunicorn.conf.py 'registry.wsgi:app'`."""

import multiprocessing
import os

# registry.service's ExecStartPost asks http://127.0.0.1:8000/readyz: change it with the address. The load
# balancer's health check is GET /readyz; /healthz is liveness only (deploy/README.md "Health checks").
bind = os.environ.get("REGISTRY_BIND", "127.0.0.1:8000")
# Sync workers, chosen by measurement (bench/README.md "Worker model", `python -m bench.workers`): a sync
# worker takes a connection only when idle and closes it after one answer, so every request goes to a
# free worker. gthread workers keep each keep-alive connection (nginx's upstream ones too) on the worker
# that accepted it: in half the runs a worker of four answered nothing (one served 100% of 4
# connections' requests), and with 16 connections the p99 was above sync's every time. Keep more sync
# workers than requests in flight (2 x cores + 1); scale with cores, not threads.
workers = int(os.environ.get("REGISTRY_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 30
graceful_timeout = 30
max_requests = 10_000
max_requests_jitter = 1_000
# No gunicorn access log: the registry writes one line a request itself (logger registry.access, JSON in
# production: route, status, time, client, agency, request id; registry/api/observability.py). It logs the
# route's rule, never the path or the query, which may carry an account number or a personal ID.
accesslog = None
# gunicorn's own lines (workers started, timed out) in the registry's format, JSON unless told otherwise.
if os.environ.get("REGISTRY_LOG_FORMAT", "json") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
        "loggers": {"gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False}},
        # The registry's own lines have their handler, with the request id (registry/logs.py).
        "root": {"level": "INFO", "handlers": []},
    }

# Prometheus: every worker keeps its counters in files under PROMETHEUS_MULTIPROC_DIR, and a scrape of
# /metrics on any worker adds them up (registry/metrics.py). The folder is emptied when gunicorn starts.
_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "/run/registry/metrics")
raw_env = [f"PROMETHEUS_MULTIPROC_DIR={_metrics_dir}"]


def on_starting(server):
    os.makedirs(_metrics_dir, exist_ok=True)
    for name in os.listdir(_metrics_dir):
        if name.endswith(".db"):
            os.unlink(os.path.join(_metrics_dir, name))


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
forwarded_allow_ips = os.environ.get("REGISTRY_FORWARDED_ALLOW_IPS", "127.0.0.1")
