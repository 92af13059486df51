import re

from tests.simulator.harness import TEST_CONFIG, Daraja

CREDENTIALS = (TEST_CONFIG.consumer_key, TEST_CONFIG.consumer_secret)


async def test_client_credentials_get_an_opaque_token_with_expires_in_as_a_string(daraja: Daraja) -> None:
    response = await daraja.http.get(
        "/oauth/v1/generate", params={"grant_type": "client_credentials"}, auth=CREDENTIALS
    )

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "expires_in"}
    assert re.fullmatch(r"[A-Za-z0-9]{28}", body["access_token"])
    assert body["expires_in"] == "3599"


async def test_a_wrong_grant_type_is_refused_with_400_008_02(daraja: Daraja) -> None:
    response = await daraja.http.get("/oauth/v1/generate", params={"grant_type": "password"}, auth=CREDENTIALS)

    assert response.status_code == 400
    assert response.json()["errorCode"] == "400.008.02"


async def test_a_request_without_basic_auth_is_refused_with_400_008_01(daraja: Daraja) -> None:
    response = await daraja.http.get(
        "/oauth/v1/generate",
        params={"grant_type": "client_credentials"},
        headers={"Authorization": "Bearer something"},
    )

    assert response.status_code == 400
    assert response.json()["errorCode"] == "400.008.01"


async def test_a_wrong_consumer_secret_gets_http_400_with_the_generic_error_body(daraja: Daraja) -> None:
    response = await daraja.http.get(
        "/oauth/v1/generate",
        params={"grant_type": "client_credentials"},
        auth=(TEST_CONFIG.consumer_key, "not-the-secret"),
    )

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"requestId", "errorCode", "errorMessage"}
    assert "access_token" not in body


async def test_an_expired_token_is_refused_until_a_new_one_is_fetched(daraja: Daraja) -> None:
    old_token = await daraja.token()
    assert (await daraja.post("/simulator/tokens/expire", {})).status_code == 200

    refused = await daraja.post("/mpesa/stkpush/v1/processrequest", daraja.stk_request("/cb/x"), token=old_token)
    daraja.forget_token()
    accepted = await daraja.push(daraja.callback_path())

    assert refused.status_code == 404
    assert refused.json()["errorCode"] == "404.001.03"
    assert refused.json()["errorMessage"] == "Invalid Access Token"
    assert accepted.status_code == 200
