"""Alerts that reach people: incidents, their messages by e-mail and chat, the heartbeat."""
