from abc import abstractmethod
from typing import Protocol

from domain.withdrawal import B2cAccepted, B2cRequest


class PayoutProvider(Protocol):
    @abstractmethod
    async def send_b2c(self, request: B2cRequest) -> B2cAccepted:
        """Ask M-PESA to pay the customer.

        Raises ProviderRejectedError when M-PESA refuses the request, ProviderUnreachableError when it surely
        never arrived, and ProviderOutcomeUnknownError when it may have arrived but the answer was lost.
        A refusal because the OriginatorConversationID was already used is DuplicatePayoutError: the payout was
        sent before and must not be treated as refused.
        """
