"""Daraja's Transaction Status query (docs/daraja.md#transaction-status), asked the same way for a payout and for a
reversal: one POST whose answer comes later at the query's own URLs; a troubled answer is asked again."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from adapters.daraja.answer_fields import says_accepted
from adapters.daraja.callback_url import callback_url
from adapters.daraja.daraja_post import refusal_error
from adapters.daraja.daraja_query import raise_if_troubled, with_retries
from adapters.daraja.json_body import json_object
from adapters.daraja.retry_policy import RetryPolicy
from domain.shared.status_query import StatusQueryRequest

TRANSACTION_STATUS_PATH = "/mpesa/transactionstatus/v1/query"
_ORGANISATION_SHORTCODE = "4"  # IdentifierType: PartyA is a shortcode
_OCCASION_LIMIT = 100

PostToDaraja = Callable[[str, dict[str, object]], Awaitable[httpx.Response]]


@dataclass(frozen=True, slots=True)
class StatusAsker:
    """Who asks (the initiator and its encrypted credential), for which shortcode by default, and where the Result
    and the queue time-out are posted."""

    initiator_name: str
    security_credential: str
    party: str
    result_base_url: str
    timeout_base_url: str
    remarks: str

    def __repr__(self) -> str:
        return f"StatusAsker(initiator_name={self.initiator_name!r}, party={self.party!r})"


async def ask_transaction_status(
    post: PostToDaraja, asker: StatusAsker, query: StatusQueryRequest, retry: RetryPolicy
) -> None:
    # The URLs carry the query's own single-use secret, never the record's result token (which Daraja, and anyone
    # who saw the record's callbacks, already knows).
    body: dict[str, object] = {
        "Initiator": asker.initiator_name,
        "SecurityCredential": asker.security_credential,
        "CommandID": "TransactionStatusQuery",
        "OriginalConversationID": query.originator_conversation_id,
        "PartyA": query.party or asker.party,
        "IdentifierType": _ORGANISATION_SHORTCODE,
        "ResultURL": callback_url(asker.result_base_url, query.callback_token),
        "QueueTimeOutURL": callback_url(asker.timeout_base_url, query.callback_token),
        "Remarks": asker.remarks,
        # Echoed back in the Result's ReferenceData: one more way to tie the answer to its record.
        "Occasion": query.originator_conversation_id[:_OCCASION_LIMIT],
    }
    if query.receipt is not None:
        # Daraja's field table takes the receipt as TransactionID, with or instead of OriginalConversationID.
        body["TransactionID"] = query.receipt

    async def attempt() -> None:
        response = await post(TRANSACTION_STATUS_PATH, body)
        answer = json_object(response)
        if response.status_code == 200 and says_accepted(answer):
            return
        raise_if_troubled(response, answer)
        raise refusal_error(response, answer)

    await with_retries(attempt, retry, TRANSACTION_STATUS_PATH)
