from typing import Any

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from domain.use_cases.push_payment import PushCommand, PushPayment
from entrypoints.protocol.errors import ok_reply
from entrypoints.protocol.messages import HttpPushBody


class StkPushController(Controller):
    path = "/api/v1/mpesa/stk"
    tags = ["STK push"]

    @post("/push", status_code=201, summary="Start an STK push for a hash (server to server)")
    async def push(
        self, data: JSONBody[HttpPushBody], push_payment: NamedDependency[PushPayment]
    ) -> dict[str, Any]:
        payment = await push_payment(PushCommand(data.hash, data.phone, data.amount, data.description))
        return ok_reply("push", None, payment.view())
