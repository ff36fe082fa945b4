"""Tips and complaints from the public (issue 18): filing.py (the public side: proof of work in
challenge.py, files in files.py, routing in routing.py), handling.py (the routed agency's side),
figures.py (counts for reports)."""

from registry.services.tips.figures import counts

__all__ = ["counts"]
