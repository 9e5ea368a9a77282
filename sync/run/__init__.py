"""One connection, one run: claim the lease, fetch through the source, write, record the outcome.

The engine, the writer, the lease, progress, who is due or late (schedule, health), which
connections a command selects, the summary and log events of a batch, and the launcher that
starts queued runs in the background. Imports the sources' contract and the upstream layer;
nothing of the console or the operations surface.
"""
