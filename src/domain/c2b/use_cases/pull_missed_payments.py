"""Nothing missed: C2B payments whose confirmation never reached the gateway are found with Daraja's Pull
Transactions and applied through the same path as a confirmation, at most once."""

from datetime import timedelta

import structlog

from domain.c2b.ports import C2bPayments
from domain.c2b.provider import C2bProvider, PullRegistration, PullUnavailableError
from domain.c2b.use_cases.confirm_payment import ConfirmPayment
from domain.shared.ports import Clock, Leases

logger = structlog.get_logger()

PULL_LEASE = "c2b-pull"
PULLED = "pull"
# Daraja keeps a shortcode's transactions for Pull this long: a look further back finds nothing more.
PULL_HORIZON = timedelta(hours=48)
# After Daraja refused Pull for the shortcode (not live, not registered for it): ask again this much later.
_AFTER_REFUSAL = timedelta(hours=1)
# The shortest look back after the first: a confirmation may be a few minutes late without being lost.
_SHORTEST_LOOK_BACK = timedelta(hours=1)


class PullMissedPayments:
    """Every `every`, under a lease (one instance pulls, however many run): ask Daraja for the shortcode's recent
    payments and confirm each one the gateway does not know through ConfirmPayment, which stores a payment once per
    TransID, so a confirmation arriving after the pull (or a pull repeating one) changes nothing. The first look of
    a process goes back as far as Daraja keeps them (48 hours: what arrived while no gateway ran); later ones three
    intervals, and at least an hour.

    What a look costs: one Pull query (a page per thousand rows) and one indexed find per row; ConfirmPayment's
    three commands only for a payment the gateway had missed. The shortcode is registered for Pull before the first
    look (Daraja answers an earlier registration as such, which counts as done).
    """

    def __init__(
        self,
        provider: C2bProvider,
        payments: C2bPayments,
        confirm: ConfirmPayment,
        leases: Leases,
        clock: Clock,
        owner: str,
        registration: PullRegistration,
        every: timedelta,
    ) -> None:
        self._provider, self._payments, self._confirm = provider, payments, confirm
        self._leases, self._clock, self._owner = leases, clock, owner
        self._registration, self._every = registration, every
        self._look_back = min(max(every * 3, _SHORTEST_LOOK_BACK), PULL_HORIZON)
        self._registered = self._looked = False

    async def __call__(self) -> timedelta:
        """Pull once if this instance holds the lease; how long until the next pull is due."""
        now = self._clock.now()
        if not await self._leases.acquire(PULL_LEASE, self._owner, now, now + self._every * 2):
            return self._every
        try:
            if not self._registered:
                await self._provider.register_pull(self._registration)
                self._registered = True
            look_back = self._look_back if self._looked else PULL_HORIZON
            pulled = await self._provider.pull_transactions(self._registration.shortcode, now - look_back, now)
        except PullUnavailableError as refusal:
            logger.warning("c2b_pull_unavailable", shortcode=self._registration.shortcode, reason=refusal.message)
            return _AFTER_REFUSAL
        missed = 0
        for transaction in pulled:
            if not transaction.trans_id or await self._payments.by_trans_id(transaction.trans_id) is not None:
                continue
            outcome = await self._confirm(transaction, source=PULLED)
            if outcome.new:
                missed += 1
                logger.warning(
                    "c2b_confirmation_missed",
                    trans_id=transaction.trans_id,
                    amount=transaction.amount,
                    reference=transaction.reference,
                    match=outcome.payment.match.value,
                )
        self._looked = True
        logger.info("c2b_pulled", shortcode=self._registration.shortcode, rows=len(pulled), missed=missed)
        return self._every

    async def step_down(self) -> None:
        await self._leases.release(PULL_LEASE, self._owner)
