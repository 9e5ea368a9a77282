"""The cron log rotated as the guide says while several processes write it.

Four processes write numbered lines into SYNC_CRON_LOG through the project's logging config and
print, two started as the cron line starts the job (a shell's `>> log 2>&1`), two as the
launcher starts background runs (stdout and stderr opened for appending). Meanwhile the log is
rotated twice with the guide's logrotate snippet itself (docs/operations.md, its path and user
made this test's), by the logrotate binary with `-f` and a state file of our own. Where the
binary is missing the test does what that snippet makes logrotate do: `.1` compressed into
`.2.gz`, the log renamed `.1`, a new empty log created with mode 0640 (CI installs logrotate).
"""

import gzip
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from tests.processes import ROOT

GUIDE = ROOT / "docs" / "operations.md"
WRITERS = ["w0", "w1", "w2", "w3"]  # w0, w1 as the cron line; w2, w3 as the launcher
SECRET = "Heslo-tajne-1234"
WRITER = f"""
import logging, os, sys, time
from types import SimpleNamespace
import django
django.setup()
from sync.upstream.scrub import guarding
name, stop = sys.argv[1:]
log = logging.getLogger("sync.ops.cron")
line = 0
while not os.path.exists(stop):
    if line % 2:
        print(f"{{name}} line {{line}}", flush=True)
    else:
        log.info("%s line %d", name, line)
    line += 1
    time.sleep(0.005)
with guarding(SimpleNamespace(secrets={{"password": "{SECRET}"}}, session={{}})):
    try:
        raise RuntimeError("the server echoed {SECRET}")
    except RuntimeError:
        log.exception("%s failed after %d lines", name, line)
raise RuntimeError(f"{{name}} stops with a traceback")
"""
NUMBERED = re.compile(r"(w\d) line (\d+)")
FAILED = re.compile(r"(w\d) failed after (\d+) lines")
TEXT_RECORD = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (INFO|ERROR) sync\.ops\.cron (.*)")
TRACEBACK = re.compile(r'Traceback \(most recent call last\):|  File "<string>", line \d+, in .*')


def guide_snippet(log: Path) -> str:
    """The guide's logrotate snippet for `log`, owned by whoever runs the tests."""
    snippet = re.search(r"```logrotate\n(.*?)```", GUIDE.read_text(), re.S).group(1)
    owner = f"{user_name()} {group_name()}"
    return snippet.replace("/srv/edurpg/var/cron.log", str(log)).replace("edurpg edurpg", owner)


def user_name() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


def group_name() -> str:
    import grp

    return grp.getgrgid(os.getgid()).gr_name


def rotate(log: Path) -> None:
    logrotate = shutil.which("logrotate", path=f"{os.environ['PATH']}:/usr/sbin:/sbin")
    if logrotate is None:
        rotate_as_logrotate_would(log)
        return
    config = log.with_name("logrotate.conf")
    config.write_text(guide_snippet(log))
    state = log.with_name("logrotate.state")
    done = subprocess.run(
        [logrotate, "-f", "-s", str(state), str(config)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def rotate_as_logrotate_would(log: Path) -> None:
    """The snippet's `rotate 8`, `compress`, `delaycompress` and `create 0640`."""
    for number in range(7, 1, -1):
        if rotated(log, number, ".gz").exists():
            rotated(log, number, ".gz").rename(rotated(log, number + 1, ".gz"))
    if rotated(log, 1).exists():
        rotated(log, 2, ".gz").write_bytes(gzip.compress(rotated(log, 1).read_bytes()))
        rotated(log, 1).unlink()
    log.rename(rotated(log, 1))
    os.close(os.open(log, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640))


def rotated(log: Path, number: int, suffix: str = "") -> Path:
    return log.with_name(f"{log.name}.{number}{suffix}")


def start_writers(log: Path, stop: Path, log_format: str) -> list[subprocess.Popen]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "edurpg.settings",
        "SECRET_KEY": settings.SECRET_KEY,
        "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
        "SYNC_CRON_LOG": str(log),
        "LOG_FORMAT": log_format,
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",  # the hardest case: print sends its text and newline apart
    }
    writers = []
    for name in WRITERS[:2]:  # as the cron line: the shell opens the log before Python starts
        command = shlex.join([sys.executable, "-c", WRITER, name, str(stop)])
        shell = ["sh", "-c", f"{command} >> {shlex.quote(str(log))} 2>&1"]
        writers.append(subprocess.Popen(shell, cwd=ROOT, env=env))
    for name in WRITERS[2:]:  # as the launcher: stdout and stderr opened for appending
        with log.open("ab") as output:
            writers.append(
                subprocess.Popen(
                    [sys.executable, "-c", WRITER, name, str(stop)],
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=output,
                    cwd=ROOT,
                    env=env,
                )
            )
    return writers


def entries(text: str, log_format: str) -> list[tuple[str, str, int]]:
    """(kind, writer, number) of each line; a line that is none of the writers' fails."""
    found = []
    for line in text.splitlines():
        message = record_message(line, log_format)
        if message is None and TRACEBACK.fullmatch(line):
            continue
        if line.startswith("RuntimeError: "):
            found.append(("exception", line.removeprefix("RuntimeError: "), 0))
            continue
        text_of = message if message is not None else line
        numbered, failed = NUMBERED.fullmatch(text_of), FAILED.fullmatch(text_of)
        assert numbered or failed, f"a line that is not the writers': {line!r}"
        kind = "line" if numbered else "failed"
        found.append((kind, (numbered or failed)[1], int((numbered or failed)[2])))
    return found


def record_message(line: str, log_format: str) -> str | None:
    """The message of a log record's line, None for the other lines (output, a traceback)."""
    if log_format == "json" and line.startswith("{"):
        record = json.loads(line)
        if "exc" in record:
            assert SECRET not in record["exc"] and "[secret]" in record["exc"]
        return record["message"]
    record = TEXT_RECORD.fullmatch(line)
    return record[2] if record else None


def numbers(found, writer: str) -> list[int]:
    return [number for kind, name, number in found if kind == "line" and name == writer]


def until(condition, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def every_writer_in(log: Path, log_format: str) -> bool:
    text = log.read_text()
    found = entries(text[: text.rfind("\n") + 1], log_format)  # a line being written is not yet
    return all(numbers(found, writer) for writer in WRITERS)


def rotate_twice_while_writing(log: Path, log_format: str) -> list[bytes]:
    """What each rotation left in the rotated file, once every writer had moved on."""
    stop = log.with_name("stop")
    writers = start_writers(log, stop, log_format)
    try:
        assert until(lambda: log.exists() and every_writer_in(log, log_format), 60)
        kept = []
        for _ in range(2):
            rotate(log)
            moved = until(lambda: every_writer_in(log, log_format))
            assert moved, "a writer went on writing into the rotated file"
            kept.append(rotated(log, 1).read_bytes())
    finally:
        stop.touch()
        codes = [writer.wait(timeout=60) for writer in writers]
    assert codes == [1] * len(WRITERS)  # each ended with its uncaught exception
    return kept


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_writers_follow_the_log_when_logrotate_moves_it(tmp_path, log_format):
    log = tmp_path / "cron.log"
    kept = rotate_twice_while_writing(log, log_format)

    first = gzip.decompress(rotated(log, 2, ".gz").read_bytes())
    second, live = rotated(log, 1).read_bytes(), log.read_bytes()
    assert [first, second] == kept, "a rotated file was written after its rotation"
    assert (log.stat().st_mode & 0o777) == 0o640  # the live file is the one rotation created
    files = [entries(text.decode(), log_format) for text in (first, second, live)]
    for writer in WRITERS:
        seen = [numbers(found, writer) for found in files]
        assert all(seen), f"{writer} is missing from a file"
        # each file holds what was written between two rotations, the live file only what came
        # after the last: no line lost, none twice
        whole = [number for part in seen for number in part]
        assert whole == list(range(len(whole))), f"{writer}'s lines are not all there in order"
        assert ("failed", writer, len(whole)) in files[2]
        assert ("exception", f"{writer} stops with a traceback", 0) in files[2]
    text = (first + second + live).decode()
    assert SECRET not in text and "the server echoed [secret]" in text


def test_every_log_handler_scrubs_secrets():
    handlers = settings.LOGGING["handlers"]
    writing = {name: handler for name, handler in handlers.items() if name != "nowhere"}
    assert writing and all("scrub_secrets" in h["filters"] for h in writing.values())
