"""Heartline: a self-hosted, emotion-aware CRM."""

__version__ = "0.1.0"
