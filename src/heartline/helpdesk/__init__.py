"""Help-desk history: Zendesk and Freshdesk exports brought in silently (see service.py)."""
