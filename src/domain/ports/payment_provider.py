from abc import abstractmethod
from typing import Protocol

from domain.payment import StkPushAccepted, StkPushRequest


class PaymentProvider(Protocol):
    @abstractmethod
    async def start_stk_push(self, request: StkPushRequest) -> StkPushAccepted:
        """Ask M-PESA to prompt the phone.

        Raises ProviderRejectedError when M-PESA says no, ProviderUnreachableError when the request surely
        never arrived, and ProviderOutcomeUnknownError when it may have arrived but the answer was lost.
        """
