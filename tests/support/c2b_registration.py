"""Point the simulator's C2B shortcode at a test gateway's hooks, as Daraja's Register URL would."""

import httpx

from entrypoints.settings import (
    C2B_CONFIRMATION_PATH,
    C2B_VALIDATION_PATH,
    SIMULATOR_CONSUMER_KEY,
    SIMULATOR_CONSUMER_SECRET,
)
from tests.support.processes import Gateway

SHORTCODE = "600984"


async def register_with_simulator(
    sim: httpx.AsyncClient, gateway: Gateway, secret: str, response_type: str = "Cancelled"
) -> None:
    token = await sim.get(
        "/oauth/v1/generate",
        params={"grant_type": "client_credentials"},
        auth=(SIMULATOR_CONSUMER_KEY, SIMULATOR_CONSUMER_SECRET),
    )
    assert token.status_code == 200, token.text
    registered = await sim.post(
        "/mpesa/c2b/v2/registerurl",
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        json={
            "ShortCode": SHORTCODE,
            "ResponseType": response_type,
            "ConfirmationURL": f"{gateway.https}{C2B_CONFIRMATION_PATH}/{secret}",
            "ValidationURL": f"{gateway.https}{C2B_VALIDATION_PATH}/{secret}",
        },
    )
    assert registered.json()["ResponseCode"] == "0", registered.text
