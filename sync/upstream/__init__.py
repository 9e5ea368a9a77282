"""Talking to a remote system: the HTTP client (timeouts, caps, retries, the deadline), the
sockets it connects (addresses vetted where they connect), which URLs a connection may use, the
error kinds with the admin's sentence, the connection test's diagnosis, secrets scrubbed from
what a server echoes, and the toolkit the sandbox servers share. Knows no source and no run.
"""
