"""WSGI entry point for gunicorn: `gunicorn 'registry.wsgi:app'`."""

import gc

from registry.app import create_app

app = create_app()

# What start-up built (some 280,000 objects: SQLAlchemy's, marshmallow's and the parsers' structures)
# lives as long as the worker: frozen out of the garbage collector's sight, so that a full collection
# walks only what requests made. A 10,000-item screening set off three, each walking all of start-up's
# objects too (0.65 s of CPU a screening on the shared bench host; 0.15 s once frozen).
gc.collect()
gc.freeze()
