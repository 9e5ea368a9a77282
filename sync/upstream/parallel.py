"""Independent requests of one client sent side by side, at most its in-flight cap at a time.

School servers answer slowly and one at a time would leave a sync waiting on each answer in
turn; a few at once is what the cap (`Limits.max_in_flight`) allows. The results come back in
the order of the items, whatever order the answers arrive in, so what a source builds of them
does not depend on the network's timing.

Worker threads only fetch (and cut an answer down to what is kept, so that only the small form
waits in memory). Everything else stays in the calling thread: progress reports, and anything
that writes to the database, which a worker thread must not touch (it has no connection of the
run's own). A worker runs in a copy of the caller's context variables, so the scrubbing of log
records (`scrub.guarding`) follows it there.
"""

import contextvars
import ctypes
import ctypes.util
import functools
import os
import queue
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# Fetches queued beyond those in flight, per slot: workers stay busy while the caller reports,
# and at most this many answers wait in memory for it.
QUEUED_PER_SLOT = 2

# In a worker: the calling thread's queue of calls it runs on the worker's behalf.
HANDED_BACK: contextvars.ContextVar[queue.SimpleQueue | None] = contextvars.ContextVar(
    "handed_back", default=None
)


M_ARENA_MAX = -8  # glibc's mallopt parameter


@functools.cache
def fewer_malloc_arenas() -> None:
    """glibc gives each thread that allocates its own malloc arena and keeps what was freed
    there for that thread: the answers parsed in the fetch threads left about 10 MB per large
    sync behind. Two arenas, the caller's and one the workers share, cost no measurable speed
    (bench/RESULTS.md, peak memory). `MALLOC_ARENA_MAX` in the environment still decides."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(M_ARENA_MAX, 2)
    except (OSError, AttributeError):
        pass  # another C library: its allocator decides


def fetched(
    client, fetch: Callable[[Item], Result], items: Iterable[Item]
) -> Iterator[tuple[Item, Result]]:
    """(item, fetch(item)) for each item, in the items' order, fetched side by side.

    At most `client.limits.max_in_flight` fetches run at once; with a cap of 1 they run one
    after another in this thread. A failing fetch raises here when its turn comes, so the error
    is the first failing item's, as in a plain loop: fetches not yet started are dropped, those
    under way finish first (each within the client's deadline).
    """
    slots = client.limits.max_in_flight
    if slots <= 1:
        yield from ((item, fetch(item)) for item in items)
        return
    fewer_malloc_arenas()
    handed_back = queue.SimpleQueue()
    pending, waiting = iter(items), deque()
    pool = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="fetch")
    try:
        for item in islice(pending, slots * (1 + QUEUED_PER_SLOT)):
            waiting.append((item, submit(pool, fetch, item, handed_back)))
        while waiting:
            item, future = waiting.popleft()
            result = future.result()
            for following in islice(pending, 1):
                waiting.append((following, submit(pool, fetch, following, handed_back)))
            run_handed_back(handed_back)
            yield item, result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        run_handed_back(handed_back)


def together(client, *calls: Callable[[], Any]) -> list:
    """The results of `calls` (each without arguments), made side by side as `fetched` does."""
    return [result for _, result in fetched(client, call, calls)]


def call(function: Callable[[], Result]) -> Result:
    return function()


def submit(pool: ThreadPoolExecutor, fetch, item, handed_back: queue.SimpleQueue) -> Future:
    """Run `fetch(item)` in the pool, in a copy of this thread's context (each task needs its
    own: a context runs in one thread at a time)."""
    context = contextvars.copy_context()
    context.run(HANDED_BACK.set, handed_back)
    return pool.submit(context.run, fetch, item)


def run_handed_back(handed_back: queue.SimpleQueue) -> None:
    while not handed_back.empty():
        handed_back.get()()


def in_calling_thread(function: Callable[..., None]) -> Callable[..., None]:
    """`function`, called from a worker of `fetched`, run later by the thread that called
    `fetched` (before it hands back its next result, or as it finishes); called from any other
    thread, run at once. For what must not run in a worker, such as a database write."""

    @functools.wraps(function)
    def run_there(*args, **kwargs) -> None:
        handed_back = HANDED_BACK.get()
        if handed_back is None:
            function(*args, **kwargs)
        else:
            handed_back.put(functools.partial(function, *args, **kwargs))

    return run_there
