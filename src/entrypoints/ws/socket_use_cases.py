"""The use cases the sockets call, each built when a request needs it, as for an HTTP request.

A socket is open for many minutes and asks for little: resolving its use cases when it opens kept a push, status and
catch-up object (and their settings) per idle socket. This holds the container's providers instead, one set for
every socket; overriding a provider (tests) still takes effect on the next request.
"""

from collections.abc import Callable
from dataclasses import dataclass

from domain.b2c.use_cases.request_withdrawal import RequestWithdrawal
from domain.c2b.use_cases.catch_up_open_requests import CatchUpOpenRequests
from domain.records.use_cases.catch_up import CatchUp
from domain.stk.use_cases.payment_status import PaymentStatusQuery
from domain.stk.use_cases.push_payment import PushPayment


@dataclass(frozen=True, slots=True)
class SocketUseCases:
    push_payment: Callable[[], PushPayment]
    payment_status: Callable[[], PaymentStatusQuery]
    stk_catch_up: Callable[[], CatchUp]
    request_withdrawal: Callable[[], RequestWithdrawal]
    b2c_catch_up: Callable[[], CatchUp]
    c2b_catch_up: Callable[[], CatchUpOpenRequests]
