# The Chromium fixture the browser tests use, for tests/groups/test_browser.py.
from tests.browser.conftest import browser  # noqa: F401
