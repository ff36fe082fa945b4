"""Account-freeze orders (/freeze-orders) and bank-initiated transaction delays (/transaction-delays).

Who sees and who acts on an order or a delay: services/freezing/access.py. What each caller is shown:
schemas/freezing.py (FreezeOrderRead, DelayRead, ...). See docs/freezing.md.

  common.py      the blueprint, loading an order for a read or a step, the audit payload
  orders.py      submit, list, overdue list, read: the issuer's submission and everyone's reads
  processing.py  the State Bank's steps: receive, check, return, dispatch, close
  follow_up.py   the issuer's steps after submission: resubmit, amend, extend, lift, convert
  execution.py   the banks' reports, account by account
  delays.py      bank-initiated transaction delays: report, list, read, release
"""

from __future__ import annotations

# The modules register their routes on `blp` when imported, in this order (the OpenAPI document's).
# isort: off
from registry.api.freezing.common import blp
from registry.api.freezing import orders as orders
from registry.api.freezing import processing as processing
from registry.api.freezing import follow_up as follow_up
from registry.api.freezing import execution as execution
from registry.api.freezing import delays as delays

# isort: on

__all__ = ["blp"]
