"""The Daraja callback routes as the OpenAPI document shows them: their paths, operation ids, summaries and request
bodies are part of the HTTP API, whichever way the handlers are written."""

import warnings
from typing import Any

import pytest
from litestar import Litestar
from litestar.di import Provide

from entrypoints.http.c2b_hooks import C2bHooksController
from entrypoints.http.callbacks import DarajaCallbackController

_STK = "Daraja's STK callback (docs/daraja.md#stk-push-callback)"
_B2C = "Daraja's B2C Result (docs/daraja.md#b2c-result)"
_QUEUED = "Daraja's queue time-out notice, a Result envelope"
_STATUS = "Daraja's Transaction Status Result (docs/daraja.md#transaction-status)"
_REVERSAL = "Daraja's Reversal Result (docs/daraja.md#transaction-reversal)"
_C2B = "(docs/daraja.md#c2b-confirmation)"

# path → (operation id, summary, request body description); None: the route documents no body.
TODAY: dict[str, tuple[str, str, str | None]] = {
    "/api/v1/hooks/stk/{hash}": ("ApiV1HooksStkHashStkCallback", "Daraja's STK push result (CallBackURL)", _STK),
    "/api/v1/mpesa/stk/callback/{hash}": (
        "ApiV1MpesaStkCallbackHashStkCallback",
        "Daraja's STK push result (CallBackURL)",
        _STK,
    ),
    "/api/v1/hooks/b2c/result/{hash}": ("ApiV1HooksB2CResultHashB2CResult", "Daraja's B2C result (ResultURL)", _B2C),
    "/api/v1/mpesa/b2c/withdraw/{hash}": (
        "ApiV1MpesaB2CWithdrawHashB2CResult",
        "Daraja's B2C result (ResultURL)",
        _B2C,
    ),
    "/api/v1/hooks/b2c/timeout/{hash}": (
        "ApiV1HooksB2CTimeoutHashB2CQueueTimeout",
        "Daraja's B2C queue time-out notice (QueueTimeOutURL)",
        _QUEUED,
    ),
    "/api/v1/mpesa/b2c/queue/{hash}": (
        "ApiV1MpesaB2CQueueHashB2CQueueTimeout",
        "Daraja's B2C queue time-out notice (QueueTimeOutURL)",
        _QUEUED,
    ),
    "/api/v1/hooks/b2c/status/{hash}": (
        "ApiV1HooksB2CStatusHashB2CStatusResult",
        "Daraja's Transaction Status answer (ResultURL)",
        _STATUS,
    ),
    "/api/v1/hooks/b2c/status-timeout/{hash}": (
        "ApiV1HooksB2CStatusTimeoutHashB2CStatusTimeout",
        "Daraja's Transaction Status time-out",
        None,
    ),
    "/api/v1/hooks/balance/result/{hash}": (
        "ApiV1HooksBalanceResultHashBalanceResult",
        "Daraja's Account Balance result (ResultURL)",
        "Daraja's Account Balance Result (docs/balances.md)",
    ),
    "/api/v1/hooks/balance/queue/{hash}": (
        "ApiV1HooksBalanceQueueHashBalanceQueueTimeout",
        "Daraja's Account Balance queue time-out notice (QueueTimeOutURL)",
        _QUEUED,
    ),
    "/api/v1/hooks/reversal/result/{hash}": (
        "ApiV1HooksReversalResultHashReversalResult",
        "Daraja's Transaction Reversal result (ResultURL)",
        _REVERSAL,
    ),
    "/api/v1/mpesa/reversal/result/{hash}": (
        "ApiV1MpesaReversalResultHashReversalResult",
        "Daraja's Transaction Reversal result (ResultURL)",
        _REVERSAL,
    ),
    "/api/v1/hooks/reversal/queue/{hash}": (
        "ApiV1HooksReversalQueueHashReversalQueueTimeout",
        "Daraja's Transaction Reversal queue time-out notice (QueueTimeOutURL)",
        _QUEUED,
    ),
    "/api/v1/mpesa/reversal/queue/{hash}": (
        "ApiV1MpesaReversalQueueHashReversalQueueTimeout",
        "Daraja's Transaction Reversal queue time-out notice (QueueTimeOutURL)",
        _QUEUED,
    ),
    "/api/v1/hooks/reversal/status/{hash}": (
        "ApiV1HooksReversalStatusHashReversalStatusResult",
        "Daraja's Transaction Status answer about a reversal (ResultURL)",
        _STATUS,
    ),
    "/api/v1/hooks/reversal/status-timeout/{hash}": (
        "ApiV1HooksReversalStatusTimeoutHashReversalStatusTimeout",
        "Daraja's Transaction Status time-out about a reversal",
        None,
    ),
    "/api/v1/hooks/c2b/validation/{secret}": (
        "ApiV1HooksC2BValidationSecretValidation",
        "Daraja's C2B validation call (ValidationURL)",
        f"Daraja's C2B validation body {_C2B}",
    ),
    "/api/v1/hooks/c2b/confirmation/{secret}": (
        "ApiV1HooksC2BConfirmationSecretConfirmation",
        "Daraja's C2B confirmation (ConfirmationURL)",
        f"Daraja's C2B confirmation body {_C2B}",
    ),
}


# What the handlers ask for by name; the document does not depend on what they are.
_NAMED = (
    "stk_callback_reception",
    "b2c_callback_reception",
    "b2c_status_reception",
    "balance_callback_reception",
    "reversal_callback_reception",
    "reversal_status_reception",
    "c2b_hooks",
)


def _nothing() -> Provide:
    def provide() -> None:  # one function per name: Litestar refuses one provider under two names
        return None

    return Provide(provide, sync_to_thread=False)


@pytest.fixture(scope="module")
def operations() -> dict[str, dict[str, Any]]:
    dependencies = {name: _nothing() for name in _NAMED}
    with warnings.catch_warnings():  # the handlers' `hash: str` path parameters, in the style Litestar deprecates
        warnings.simplefilter("ignore", DeprecationWarning)
        app = Litestar(route_handlers=[DarajaCallbackController, C2bHooksController], dependencies=dependencies)
    paths = app.openapi_schema.to_schema()["paths"]
    return {path: methods["post"] for path, methods in paths.items()}


def test_every_callback_route_keeps_its_path_operation_id_summary_and_body(
    operations: dict[str, dict[str, Any]],
) -> None:
    shown = {
        path: (operation["operationId"], operation["summary"], operation.get("requestBody", {}).get("description"))
        for path, operation in operations.items()
    }

    assert shown == TODAY
    for path, operation in operations.items():
        assert operation["tags"] == ["Daraja callbacks"]
        assert set(operation["responses"]) == {"200", "400"}
        assert [parameter["name"] for parameter in operation["parameters"]] == [path.rsplit("{", 1)[1][:-1]]
