"""Notifications for people in the workspace (a teammate mentioned you, ...)."""
