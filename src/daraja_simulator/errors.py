"""Daraja's synchronous error answers: camelCase {"requestId","errorCode","errorMessage"}
(docs/daraja.md#error-answers),
raised anywhere in a handler and turned into a response in one place."""

from dataclasses import dataclass, field

from daraja_simulator.identifiers import request_id


@dataclass
class DarajaError(Exception):
    status_code: int
    error_code: str
    error_message: str
    # Usually a fresh id; the STK query's "being processed" answer echoes the CheckoutRequestID instead.
    request_id: str = field(default_factory=request_id)
    # The key spelling one SDK's fixtures record for the STK query's "being processed" answer (docs/daraja.md).
    pascal_case: bool = False

    def body(self) -> dict[str, str]:
        if self.pascal_case:
            return {"RequestID": self.request_id, "ErrorCode": self.error_code, "ErrorMessage": self.error_message}
        return {"requestId": self.request_id, "errorCode": self.error_code, "errorMessage": self.error_message}


def invalid_field(name: str) -> DarajaError:
    return DarajaError(400, "400.002.02", f"Bad Request - Invalid {name}")


def invalid_payload() -> DarajaError:
    return DarajaError(400, "400.002.05", "Invalid Request Payload")


def invalid_stk_token() -> DarajaError:
    return DarajaError(404, "404.001.03", "Invalid Access Token")


def invalid_b2c_token(token: str) -> DarajaError:
    # The B2C, Transaction Status and Account Balance pages document this form rather than 404.001.03.
    return DarajaError(401, "401.002.01", f"Error Occurred - Invalid Access Token - {token}")


def wrong_credentials() -> DarajaError:
    return DarajaError(500, "500.001.1001", "Wrong credentials")


def merchant_does_not_exist() -> DarajaError:
    return DarajaError(500, "500.001.1001", "Merchant does not exist")


def subscriber_locked() -> DarajaError:
    return DarajaError(
        500, "500.001.1001", "Unable to lock subscriber, a transaction is already in process for the current subscriber"
    )


def still_processing(checkout_request_id: str, pascal_case: bool = False) -> DarajaError:
    return DarajaError(500, "500.001.1001", "The transaction is being processed", checkout_request_id, pascal_case)


def duplicate_originator_conversation_id() -> DarajaError:
    return DarajaError(500, "500.002.1001", "Duplicate OriginatorConversationID")


def internal_server_error() -> DarajaError:
    return DarajaError(500, "500.003.1001", "Internal Server Error")
