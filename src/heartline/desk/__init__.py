"""The agent's desk: canned replies (macros) and internal notes on conversations."""
