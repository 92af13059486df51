"""The fault controls under /simulator/faults, against the in-loop simulator over real sockets."""

import time
from typing import Any

import httpx
import msgspec
import pytest

from tests.simulator.harness import Daraja, until

PUSH = "/mpesa/stkpush/v1/processrequest"
QUERY = "/mpesa/stkpushquery/v1/query"
OAUTH = "/oauth/v1/generate"


async def set_faults(daraja: Daraja, **plan: object) -> dict[str, Any]:
    response = await daraja.http.post("/simulator/faults", json=plan)
    assert response.status_code == 200, response.text
    return response.json()


async def requests_to(daraja: Daraja, path: str) -> int:
    per_path: dict[str, int] = (await daraja.stats())["daraja_requests"]["per_path"]
    return per_path.get(path, 0)


async def test_fail_next_answers_at_once_without_processing_and_then_stops(daraja: Daraja) -> None:
    await daraja.token()
    await set_faults(daraja, fail_next=1)

    failed = await daraja.push(daraja.callback_path())
    passed = await daraja.push(daraja.callback_path())

    assert failed.status_code == 500
    assert failed.json()["errorCode"] == "500.003.1001"
    assert passed.status_code == 200
    stats = await daraja.stats()
    assert stats["stk_push_requests"]["total"] == 1  # the failed one never reached the handler
    assert stats["daraja_requests"]["per_path"][PUSH] == 2
    assert stats["faults"]["failed"] == 1


@pytest.mark.parametrize(("status", "error_code"), [(429, "500.003.02"), (503, "503.000.00"), (500, "500.003.1001")])
async def test_the_failure_status_chooses_the_error_body(daraja: Daraja, status: int, error_code: str) -> None:
    await daraja.token()
    await set_faults(daraja, fail_next=1, status=status)

    response = await daraja.push(daraja.callback_path())

    assert response.status_code == status
    assert response.json()["errorCode"] == error_code


async def test_a_malformed_answer_is_json_cut_short_with_status_200_unless_told(daraja: Daraja) -> None:
    await daraja.token()
    await set_faults(daraja, fail_next=2, malformed=True)

    response = await daraja.push(daraja.callback_path())

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(msgspec.DecodeError):
        msgspec.json.decode(response.content)
    await set_faults(daraja, fail_next=1, malformed=True, status=502)
    assert (await daraja.push(daraja.callback_path())).status_code == 502


async def test_a_fault_for_one_path_leaves_the_others_alone(daraja: Daraja) -> None:
    await set_faults(daraja, path=QUERY, fail_next=5, status=503)

    push = await daraja.push(daraja.callback_path())  # OAuth and push both pass
    query = await daraja.query(push.json()["CheckoutRequestID"])

    assert push.status_code == 200
    assert query.status_code == 503
    assert (await requests_to(daraja, OAUTH)) == 1


async def test_controls_are_never_faulted(daraja: Daraja) -> None:
    await set_faults(daraja, fail_next=10, status=503)

    assert (await daraja.http.get("/simulator/health")).status_code == 200
    assert (await daraja.stats())["daraja_requests"]["total"] == 0


async def test_a_dropped_answer_was_processed_and_its_callback_still_comes(daraja: Daraja) -> None:
    await daraja.token()
    await set_faults(daraja, drop_after_processing=1)
    path = daraja.callback_path()

    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):  # not even a status line
        await daraja.push(path)

    [callback] = await daraja.receiver.wait_for(path)
    assert callback["Body"]["stkCallback"]["ResultCode"] == 0
    stats = await daraja.stats()
    assert stats["stk_push_requests"]["total"] == 1
    assert stats["faults"]["dropped"] == 1
    assert (await daraja.push(daraja.callback_path())).status_code == 200  # only the next one was dropped


async def test_a_delayed_answer_comes_late_for_the_next_n_requests_only(daraja: Daraja) -> None:
    await daraja.token()
    await set_faults(daraja, delay_seconds=0.3, delay_count=1)

    started = time.monotonic()
    late = await daraja.push(daraja.callback_path())
    late_seconds = time.monotonic() - started
    started = time.monotonic()
    await daraja.push(daraja.callback_path())
    prompt_seconds = time.monotonic() - started

    assert late.status_code == 200
    assert late_seconds >= 0.3
    assert prompt_seconds < 0.3


async def test_refused_connections_fail_to_connect_until_the_simulator_listens_again(daraja: Daraja) -> None:
    described = await set_faults(daraja, refuse_connections=True, refuse_seconds=0.5)

    assert described["refusing"] is True
    with pytest.raises(httpx.ConnectError):
        await daraja.http.get("/simulator/health")

    async def listening() -> bool:
        try:
            return (await daraja.http.get("/simulator/health")).status_code == 200
        except httpx.ConnectError:
            return False

    await until(listening)
    assert (await daraja.http.get("/simulator/faults")).json()["refusing"] is False


async def test_delete_and_reset_clear_every_fault(daraja: Daraja) -> None:
    await set_faults(daraja, fail_next=3, delay_seconds=5)

    cleared = (await daraja.http.delete("/simulator/faults")).json()
    await set_faults(daraja, fail_next=3)
    await daraja.http.post("/simulator/reset")

    assert cleared["plan"]["fail_next"] == 0 and cleared["plan"]["delay_seconds"] == 0
    assert (await daraja.http.get("/simulator/faults")).json()["plan"]["fail_next"] == 0
    assert (await daraja.push(daraja.callback_path())).status_code == 200


@pytest.mark.parametrize(
    "plan",
    [
        {"fail_nxt": 1},
        {"fail_next": -1},
        {"fail_next": True},
        {"status": 302},
        {"delay_seconds": 61},
        {"path": "/simulator/stats"},
        {"refuse_connections": True, "refuse_seconds": 0},
    ],
)
async def test_a_plan_with_a_mistake_is_refused_and_changes_nothing(daraja: Daraja, plan: dict[str, object]) -> None:
    response = await daraja.http.post("/simulator/faults", json=plan)

    assert response.status_code == 400
    assert (await daraja.http.get("/simulator/faults")).json()["plan"]["fail_next"] == 0


async def test_the_plan_shows_what_is_left_of_it(daraja: Daraja) -> None:
    await daraja.token()
    await set_faults(daraja, fail_next=2, path=PUSH)

    await daraja.push(daraja.callback_path())
    shown = (await daraja.http.get("/simulator/faults")).json()

    assert shown["plan"]["fail_next"] == 1
    assert shown["plan"]["path"] == PUSH
    assert shown["counts"]["failed"] == 1
