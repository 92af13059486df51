from abc import abstractmethod
from typing import Protocol

from domain.payment import StkPushAccepted, StkPushRequest
from domain.stk_query import StkQueryAnswer


class PaymentProvider(Protocol):
    @abstractmethod
    async def start_stk_push(self, request: StkPushRequest) -> StkPushAccepted:
        """Ask M-PESA to prompt the phone. Never repeated by the provider: a second push could charge twice.

        Raises ProviderRejectedError when M-PESA says no, ProviderUnreachableError when the request surely
        never arrived, and ProviderOutcomeUnknownError when it may have arrived but the answer was lost.
        """

    @abstractmethod
    async def query_stk(self, checkout: str) -> StkQueryAnswer:
        """Ask M-PESA how the push with this CheckoutRequestID stands: pending, or final with its result code.

        Harmless to repeat, so the provider retries it itself while M-PESA is in trouble. Raises
        ProviderRejectedError when M-PESA refuses the query (e.g. an unknown CheckoutRequestID) and
        ProviderUnavailableError when no answer could be had.
        """
