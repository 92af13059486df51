from domain.events.ports import Broadcaster
from domain.events.topics import stk_topic
from domain.stk.payment import Payment


class AnnouncePayment:
    """What follows a stored change of an STK payment, whichever use case made it: the sockets of its subject are
    sent its state. (Its open-prompt hold needs no release: it is the stored status itself, see `Payment`.)

    Called once per stored change, after the save, never for a change the store refused."""

    def __init__(self, broadcaster: Broadcaster) -> None:
        self._broadcaster = broadcaster

    async def __call__(self, payment: Payment) -> None:
        await self._broadcaster.publish(stk_topic(payment.subject), payment.view())
