from typing import Any

from litestar import Controller, get
from litestar.di import NamedDependency

from domain.balances.use_cases.show_balances import ShowBalances
from entrypoints.http.api_key_guard import API_KEY_SECURITY, require_api_key


class BalancesController(Controller):
    """The read API's account balances: what Daraja last reported for each account of the B2C shortcode."""

    path = "/api/v1/mpesa/balances"
    tags = ["Read API"]
    guards = [require_api_key]
    security = API_KEY_SECURITY

    @get(
        "/",
        summary="The latest balance of every account of the B2C shortcode",
        description=(
            "Answers {accounts: [{account, currency, current, available, reserved, uncleared, checked_at, "
            "completed_at, check_id, low}], last_check, low_threshold}; amounts are decimal strings in the "
            "account's currency (docs/balances.md)."
        ),
    )
    async def latest(self, show_balances: NamedDependency[ShowBalances]) -> dict[str, Any]:
        return (await show_balances()).view()
