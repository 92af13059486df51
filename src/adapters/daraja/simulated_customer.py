"""The bundled simulator's customer, for the demo page (simulator mode only): pays the shortcode's Paybill from a
phone as a person would, through the simulator's control endpoint (docs/simulator.md, "C2B")."""

from typing import Any

import httpx

from domain.shared.errors import ProviderUnavailableError, ValidationError

_PAY_PATH = "/simulator/c2b/pay"


class SimulatedCustomer:
    def __init__(self, http: httpx.AsyncClient, simulator_url: str) -> None:
        self._http, self._url = http, simulator_url.rstrip("/") + _PAY_PATH

    async def pay(self, account: str, amount: int, scenario: str | None) -> dict[str, Any]:
        """The payment as the simulator recorded it (`trans_id`, `outcome`, `validation`, `confirmations_sent`)."""
        body: dict[str, Any] = {"account": account, "amount": amount}
        if scenario is not None:
            body["scenario"] = scenario
        try:
            answer = await self._http.post(self._url, json=body)
        except httpx.HTTPError as fault:
            raise ProviderUnavailableError(f"the simulator could not be reached: {fault}") from fault
        if answer.status_code == 400:
            raise ValidationError("payment", str(answer.json().get("detail", answer.text)))
        answer.raise_for_status()
        paid: dict[str, Any] = answer.json()
        return paid
