"""Pipeline fixtures: `committed_db` (a database with real commits) is in tests/conftest.py,
shared with the help-desk tests that run real workers."""
