from domain.c2b.confirmation import C2bPayment
from domain.c2b.payment_request import PaymentRequest
from domain.c2b.topic import c2b_topic
from domain.events.ports import Broadcaster


class AnnounceC2bChange:
    """What follows a stored change on a C2B topic, whichever use case made it: the sockets of the subject are sent
    the payment request, or the confirmed payment, as stored.

    Called once per stored change, after the save. A payment that named no request has no subject, so no topic:
    it is kept for the operator and the event feed, and no socket is told."""

    def __init__(self, broadcaster: Broadcaster) -> None:
        self._broadcaster = broadcaster

    async def request(self, request: PaymentRequest) -> None:
        await self._broadcaster.publish(c2b_topic(request.subject), request.view())

    async def payment(self, payment: C2bPayment) -> None:
        if payment.subject is not None:
            await self._broadcaster.publish(c2b_topic(payment.subject), payment.view())
