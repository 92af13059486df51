"""Payments and payouts end as they should whichever form Daraja writes its bodies in (docs/daraja.md): the
simulator is told to send one set of forms at a time, and the gateway must settle a callback-borne success and a
reconciled one (STK query, Transaction Status) under each."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.mongo.embedded_server import EmbeddedMongo
from tests.support.phones import fresh_phone
from tests.support.processes import Gateway, Simulator, start_gateway, start_simulator
from tests.support.socket_client import SocketClient

CALLBACK_LOST = 9100  # STK: paid, no callback (settled by query). B2C: paid, no Result (by Transaction Status).
SETTLE_SECONDS = 30.0
FAST = {
    "MONGODB_DATABASE": "e2e_body_forms",
    "STK_FIRST_CHECK_SECONDS": "1",
    "B2C_FIRST_CHECK_SECONDS": "1",
    "RECONCILE_POLL_SECONDS": "0.3",
    "RECONCILE_MAX_DELAY_SECONDS": "2",
    "WORKER_POLL_SECONDS": "0.2",
    # One answer taken for Daraja in trouble would open it: none of these forms may be.
    "DARAJA_BREAKER_FAILURES": "1",
}
FORM_SETS = {
    "published": {},
    "numbers-pascal-bare-list": {
        "response_code": "number",
        "pending_keys": "pascal",
        "amount": "decimal",
        "balance_item": "absent",
        "b2c_parameters": "bare_list",
        "expires_in": "number",
        "status_values": "text",
    },
    "single-object-numeric-status": {"b2c_parameters": "single_object", "status_values": "number"},
}


@pytest.fixture(scope="module")
def daraja(workdir: Path) -> Iterator[Simulator]:
    simulator = start_simulator(workdir, SIM_BODY_FORMS="published")
    yield simulator
    simulator.process.stop()


@pytest.fixture(scope="module")
def gateway(workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, daraja: Simulator) -> Iterator[Gateway]:
    gateway = start_gateway(workdir, *tls_files, MONGODB_URL=store.url, DARAJA_BASE_URL=daraja.url, **FAST)
    yield gateway
    gateway.process.stop()


def _use_forms(daraja: Simulator, forms: dict[str, str]) -> None:
    assert httpx.post(f"{daraja.url}/simulator/reset", timeout=5).status_code == 200
    answer = httpx.post(f"{daraja.url}/simulator/body-forms", json=forms, timeout=5)
    assert answer.status_code == 200, answer.text
    assert all(answer.json()[name] == [form] for name, form in forms.items())


def _payload(amount: int) -> dict[str, Any]:
    return {"phone": fresh_phone(), "amount": amount, "description": "Body forms"}


@pytest.mark.parametrize("forms", FORM_SETS.values(), ids=FORM_SETS.keys())
async def test_payments_settle_whatever_the_body_forms(
    gateway: Gateway, daraja: Simulator, forms: dict[str, str]
) -> None:
    _use_forms(daraja, forms)
    async with await SocketClient.connect(f"{gateway.wss}/mpesa/stk/forms", gateway.tls) as payer:
        called_back = (await payer.request({"kind": "push", "payload": _payload(25)}))["data"]
        queried = (await payer.request({"kind": "push", "payload": _payload(CALLBACK_LOST)}))["data"]
        # Under load the first STK query may settle the payment before its callback lands (a query carries no
        # receipt); the callback then completes it with the receipt, in a later update.
        paid = await payer.update_where(
            lambda data: data.get("id") == called_back["id"] and data["status"] != "pending" and bool(data["receipt"]),
            SETTLE_SECONDS,
        )
        reconciled = await payer.final_update(queried["id"], timeout=SETTLE_SECONDS)

    assert paid["data"]["status"] == "success"
    assert reconciled["data"]["status"] == "success"


@pytest.mark.parametrize("forms", FORM_SETS.values(), ids=FORM_SETS.keys())
async def test_withdrawals_settle_whatever_the_body_forms(
    gateway: Gateway, daraja: Simulator, forms: dict[str, str]
) -> None:
    _use_forms(daraja, forms)
    async with await SocketClient.connect(f"{gateway.wss}/mpesa/b2c/forms", gateway.tls) as payee:
        resulted = (await payee.request({"kind": "withdraw", "payload": _payload(40)}))["data"]
        reconciled = (await payee.request({"kind": "withdraw", "payload": _payload(CALLBACK_LOST)}))["data"]
        paid = await payee.update_where(
            lambda d: d["id"] == resulted["id"] and d["status"] == "success", timeout=SETTLE_SECONDS
        )
        found = await payee.update_where(
            lambda d: d["id"] == reconciled["id"] and d["status"] == "success", timeout=SETTLE_SECONDS
        )

    assert paid["data"]["receipt"]
    assert found["data"]["receipt"]
