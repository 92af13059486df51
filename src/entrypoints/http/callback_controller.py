import structlog
from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency

from domain.errors import CallbackRejectedError, DomainError
from domain.use_cases.handle_stk_callback import HandleStkCallback
from entrypoints.http.daraja_callback_body import parse_stk_callback
from entrypoints.settings import STK_CALLBACK_PATH

logger = structlog.get_logger()

# Daraja only needs a quick 200; this body is the convention its own samples use (DARAJA.md §2.3).
ACCEPTED = {"ResultCode": 0, "ResultDesc": "Accepted"}


def _refusal(status: int, reason: str) -> Response[dict[str, object]]:
    return Response({"ResultCode": 1, "ResultDesc": f"Rejected: {reason}"}, status_code=status)


class DarajaCallbackController(Controller):
    tags = ["Daraja callbacks"]

    @post(
        ["/api/v1/mpesa/stk/callback/{hash:str}", STK_CALLBACK_PATH + "/{hash:str}"],
        status_code=200,
        summary="Daraja's STK push result (CallBackURL)",
    )
    async def stk_callback(
        self,
        request: Request[None, None, None],
        hash: str,
        handle_stk_callback: NamedDependency[HandleStkCallback],
    ) -> Response[dict[str, object]]:
        source = request.client.host if request.client else None
        try:
            result = parse_stk_callback(await request.body())
        except DomainError as error:
            logger.warning("stk_callback_malformed", source=source, reason=error.message)
            return _refusal(400, "malformed callback body")
        try:
            outcome = await handle_stk_callback(hash, result)
        except CallbackRejectedError as error:
            logger.warning("security_callback_rejected", source=source, checkout=result.checkout, reason=error.message)
            return _refusal(403, "no such payment")
        logger.info("stk_callback", source=source, checkout=result.checkout, outcome=outcome.value)
        return Response(ACCEPTED, status_code=200)
