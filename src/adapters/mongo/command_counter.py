"""Store commands counted as the driver sends them: by command name and collection (STORE_COMMAND_METRICS).

A PyMongo `CommandListener`: every command the client sends (find, insert, update, findAndModify, aggregate, ...)
is counted once, when it starts, whatever its outcome. Server monitoring (`hello` heartbeats) is not a command
event and is not counted. Commands sent while answering a metrics scrape are counted apart (`while_scraping`), so
reading the counts does not move them.

Counting is two dictionary lookups per command; building the event objects PyMongo hands a listener costs more
than that, which is why the setting is off by default (docs/performance.md).
"""

import contextlib
import contextvars
from collections import Counter
from collections.abc import Iterator

from pymongo import monitoring

# A command's first key is its name; for these its value is not a collection (or the collection is elsewhere).
_NOT_A_COLLECTION = frozenset(
    {
        "hello",
        "ismaster",
        "isMaster",
        "ping",
        "buildInfo",
        "buildinfo",
        "endSessions",
        "abortTransaction",
        "commitTransaction",
        "listCollections",
        "listDatabases",
        "killCursors",
        "getMore",
        "saslStart",
        "saslContinue",
        "serverStatus",
        "dropDatabase",
    }
)
NO_COLLECTION = "-"

_scraping: contextvars.ContextVar[bool] = contextvars.ContextVar("store_commands_scraping", default=False)


def collection_of(command_name: str, command: object) -> str:
    """The collection a command works on, or "-" for commands that name none."""
    if not isinstance(command, dict):
        return NO_COLLECTION
    if command_name == "getMore":
        return str(command.get("collection", NO_COLLECTION))
    if command_name in _NOT_A_COLLECTION:
        return NO_COLLECTION
    target = command.get(command_name)
    return target if isinstance(target, str) else NO_COLLECTION


class StoreCommandCounter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.while_scraping = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if _scraping.get():
            self.while_scraping += 1
            return
        name = event.command_name
        self.counts[(name, collection_of(name, event.command))] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def total(self) -> int:
        return sum(self.counts.values())

    @contextlib.contextmanager
    def scraping(self) -> Iterator[None]:
        """Commands sent inside (in this task) are counted as the scrape's, not the gateway's work."""
        token = _scraping.set(True)
        try:
            yield
        finally:
            _scraping.reset(token)
