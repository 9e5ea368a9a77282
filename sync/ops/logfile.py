"""The log the cron job and background runs write (SYNC_CRON_LOG), followed when logrotate moves
it.

Both open it for appending before Python starts (the cron line's `>> log 2>&1`, the launcher's
stdout and stderr), so whatever a process writes, log records, its command's output and a
traceback alike, goes to the file its descriptors hold. logrotate's `create` renames the file
and makes a new one; a process that kept writing to the renamed file would fill it for as long
as it runs. So a process whose stdout or stderr is the log checks before each line whether the
file at the log's path is still the one it holds, and if logrotate has put a new one there it
points that descriptor at the new file: the renamed file gets nothing more once rotation is
done, and nothing is lost (`copytruncate` would lose what is written between its copy and its
truncation). Several processes append at once, so each line reaches the file in one write.
Python's RotatingFileHandler is no help: each process would rotate the file by itself.
"""

import logging
import os
import sys
import threading


class FollowedStream:
    """sys.stdout or sys.stderr of a process that writes the log at `path`. It hands the file
    whole lines, each at once: other processes append to the same file, and a line sent in
    pieces (print sends its text and its newline apart when PYTHONUNBUFFERED is set; a buffer
    fills up mid-line) would be cut by theirs."""

    def __init__(self, stream, path: str) -> None:
        self.stream = stream
        self.path = path
        self.partial = ""
        self.lock = threading.RLock()  # reentrant: a signal handler may print while we write

    def write(self, text: str) -> int:
        with self.lock:
            lines, newline, self.partial = (self.partial + text).rpartition("\n")
            if newline:
                self.send(lines + newline)
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        with self.lock:
            partial, self.partial = self.partial, ""
            self.send(partial)

    def send(self, text: str) -> None:
        self.follow()
        self.stream.write(text)
        self.stream.flush()

    def __getattr__(self, name: str):
        return getattr(self.stream, name)

    def follow(self) -> None:
        """Point our descriptor at the file now at `path`, if that is another one; while there
        is none (logrotate renamed it and has not created the new one yet) stay where we are."""
        descriptor = self.stream.fileno()
        try:
            if same_file(os.fstat(descriptor), os.stat(self.path)):
                return
            new = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        except OSError:
            return  # never fail a run for its log: the file held is still there to write
        try:
            os.dup2(new, descriptor)
        finally:
            os.close(new)


def same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def writes_to(stream, path: str) -> bool:
    """Whether `stream` is open on the file now at `path`."""
    try:
        return same_file(os.fstat(stream.fileno()), os.stat(path))
    except (OSError, ValueError, AttributeError):  # no file there, or a stream without one
        return False


def console(path: str) -> logging.Handler:
    """The console handler (LOGGING's); a process whose stdout or stderr is the log at `path`
    follows that file from here on, its log records, output and tracebacks alike."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if not isinstance(stream, FollowedStream) and writes_to(stream, path):
            setattr(sys, name, FollowedStream(stream, path))
    return logging.StreamHandler(sys.stderr)
