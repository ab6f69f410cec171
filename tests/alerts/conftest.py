"""The web fixtures, for the alerts settings page."""

from tests.web.conftest import web_as  # noqa: F401
