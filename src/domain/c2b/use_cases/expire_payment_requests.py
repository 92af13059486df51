import structlog

from domain.c2b.payment_request import CONFIRMATION_GRACE, PaymentRequest
from domain.c2b.ports import PaymentRequests
from domain.c2b.use_cases.announce_c2b_change import AnnounceC2bChange
from domain.events.ports import Broadcaster
from domain.shared.errors import ConcurrentUpdateError
from domain.shared.ports import Clock

logger = structlog.get_logger()


class ExpirePaymentRequests:
    """Close open requests past their expiry (and its grace): underpaid if some money came, expired if none."""

    def __init__(self, requests: PaymentRequests, broadcaster: Broadcaster, clock: Clock, batch: int = 100) -> None:
        self._requests, self._clock, self._batch = requests, clock, batch
        self._announce = AnnounceC2bChange(broadcaster)

    async def __call__(self) -> list[PaymentRequest]:
        now = self._clock.now()
        expired: list[PaymentRequest] = []
        for request in await self._requests.due_to_expire(now - CONFIRMATION_GRACE, self._batch):
            request.expire(now)
            try:
                await self._requests.save(request)
            except ConcurrentUpdateError:
                continue  # a confirmation counted meanwhile; the next round sees it
            await self._announce.request(request)
            logger.info(
                "c2b_request_closed", request_id=request.id, status=request.status.value, received=request.received
            )
            expired.append(request)
        return expired
