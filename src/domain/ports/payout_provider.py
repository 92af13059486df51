from abc import abstractmethod
from typing import Protocol

from domain.status_query import StatusQueryRequest
from domain.withdrawal import B2cAccepted, B2cRequest


class PayoutProvider(Protocol):
    @abstractmethod
    async def send_b2c(self, request: B2cRequest) -> B2cAccepted:
        """Ask M-PESA to pay the customer. Never repeated by the provider: a second request could pay twice.

        Raises ProviderRejectedError when M-PESA refuses the request, ProviderUnreachableError when it surely
        never arrived, and ProviderOutcomeUnknownError when it may have arrived but the answer was lost.
        A refusal because the OriginatorConversationID was already used is DuplicatePayoutError: the payout was
        sent before and must not be treated as refused.
        """

    @abstractmethod
    async def request_transaction_status(self, query: StatusQueryRequest) -> None:
        """Ask M-PESA how the payout with this OriginatorConversationID (and receipt, when known) stands.

        Returns once M-PESA has accepted the query; its answer (a TransactionStatusResult) arrives later at the
        status URLs named by the query's own `callback_token`. Harmless to repeat (at worst two answers arrive, and
        only the first counts), so the provider retries it itself while M-PESA is in trouble. Raises
        ProviderRejectedError when M-PESA refuses the query and ProviderUnavailableError when it could not be asked.
        """
