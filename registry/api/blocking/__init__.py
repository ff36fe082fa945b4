"""Block requests (domains, IPs, URLs, shops): submission, four-eyes review, dispatch, executors, feeds.

Who sees a request and who acts on it: services/blocking/access.py. What each caller sees:
schemas/blocking.py (BlockRequestRead, BlockOrderRead, ...). See docs/blocking.md.

  common.py     the blueprint, loading a request for a read or a change, the audit payload
  requests.py   submit, list, overdue list, read, edit, (re)submit: the submitting agency's steps
  decisions.py  the deciding agency's steps: review, return, approve, reject, dispatch, lift, revoke,
                override of the over-blocking guard
  executors.py  the executors' replies (and a platform's, recorded by the deciding agency)
  appeals.py    appeals against a block in effect and their decisions
  complaints.py a blocked site's owner's complaints: filed and read without a token, handled by the decider
  feeds.py      each executor's blocklist, as JSON and as a DNS RPZ zone
"""

from __future__ import annotations

# The modules register their routes on `blp` when imported, in this order (the OpenAPI document's).
# isort: off
from registry.api.blocking.common import blp
from registry.api.blocking import requests as requests
from registry.api.blocking import decisions as decisions
from registry.api.blocking import executors as executors
from registry.api.blocking import appeals as appeals
from registry.api.blocking import complaints as complaints
from registry.api.blocking import feeds as feeds

# isort: on

__all__ = ["blp"]
