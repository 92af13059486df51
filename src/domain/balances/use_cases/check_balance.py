import structlog

from domain.balances.balance_check import BalanceCheck, BalanceQueryAccepted, CheckTrigger
from domain.balances.ports import BalanceChecks, BalanceProvider
from domain.shared.errors import ConcurrentUpdateError, ProviderRejectedError, ProviderUnavailableError
from domain.shared.ports import Clock, Identifiers

logger = structlog.get_logger()


class CheckBalance:
    """Record a balance query, then ask Daraja; the balances themselves arrive with its Result."""

    def __init__(
        self, checks: BalanceChecks, provider: BalanceProvider, clock: Clock, identifiers: Identifiers
    ) -> None:
        self._checks, self._provider, self._clock, self._identifiers = checks, provider, clock, identifiers

    async def __call__(self, trigger: CheckTrigger) -> BalanceCheck:
        check = BalanceCheck(self._identifiers.new_id(), self._identifiers.new_secret(), trigger, self._clock.now())
        await self._checks.add(check)
        try:
            accepted = await self._provider.request_account_balance(check.query_request())
        except ProviderRejectedError as refusal:
            check.refuse(refusal.provider_code, refusal.provider_message, self._clock.now())
            await self._checks.save(check)
            logger.warning("balance_check_refused", check_id=check.id, code=refusal.provider_code)
            return check
        except ProviderUnavailableError as fault:
            # Left `requested`: a Result may still come (the answer may have been lost); the next check asks again.
            logger.warning("balance_check_unsent", check_id=check.id, reason=fault.message)
            raise
        check = await self._accepted(check, accepted)
        logger.info("balance_check_requested", check_id=check.id, trigger=trigger.value)
        return check

    async def _accepted(self, check: BalanceCheck, accepted: BalanceQueryAccepted) -> BalanceCheck:
        for _ in range(3):
            check.accept(accepted)
            try:
                await self._checks.save(check)
                return check
            except ConcurrentUpdateError:
                # Its Result beat the synchronous answer here: keep the Result's outcome, add Daraja's ids.
                stored = await self._checks.by_token(check.callback_token)
                if stored is None:
                    raise
                check = stored
        return check
