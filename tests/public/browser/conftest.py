"""The console's browser harness (a live registry in a thread, its database, a headless Chromium)."""

from tests.console.browser.conftest import browser, committed, live

__all__ = ["browser", "committed", "live"]
