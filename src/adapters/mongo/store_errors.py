"""pymongo's "cannot reach the store" errors, turned into the domain's StoreUnavailableError at the adapter's edge."""

import functools
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

import structlog
from pymongo.errors import ConnectionFailure, PyMongoError

from domain.shared.errors import StoreUnavailableError

logger = structlog.get_logger()

P = ParamSpec("P")
T = TypeVar("T")

# Shown to clients as is: it names no host, port or driver.
_MESSAGE = "the database cannot be reached"


@contextmanager
def store_unavailable_on_connection_loss(operation: str) -> Iterator[None]:
    """Raise StoreUnavailableError for a lost or absent server, or an operation that ran out of time.

    ConnectionFailure covers a server never reached (ServerSelectionTimeoutError), one gone mid-operation
    (AutoReconnect, NetworkTimeout, NotPrimaryError) and an exhausted pool (WaitQueueTimeoutError). Other errors —
    DuplicateKeyError, a bad query — are the caller's to handle and pass through untouched.
    """
    try:
        yield
    except ConnectionFailure as error:
        raise _unavailable(operation, error) from error
    except PyMongoError as error:
        # `timeout` also marks a server-side time-out (ExecutionTimeout, WTimeoutError): the store is too slow to use.
        if error.timeout:
            raise _unavailable(operation, error) from error
        raise


def translates_store_errors(method: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, Coroutine[Any, Any, T]]:
    """The decorated coroutine raises StoreUnavailableError instead of pymongo's connectivity errors."""

    @functools.wraps(method)
    async def translated(*args: P.args, **kwargs: P.kwargs) -> T:
        with store_unavailable_on_connection_loss(method.__qualname__):
            return await method(*args, **kwargs)

    return translated


def _unavailable(operation: str, error: PyMongoError) -> StoreUnavailableError:
    logger.warning("store_unavailable", operation=operation, error_type=type(error).__name__, error=str(error))
    return StoreUnavailableError(_MESSAGE)
