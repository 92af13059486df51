"""Reading Pull Transactions rows (docs/daraja.md#pull-transactions): lower-case keys, `Response` an array of arrays,
`amount` a decimal string, `msisdn` a number, a masked or a hashed string, `trxDate` ISO 8601."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

import structlog

from domain.c2b.confirmation import C2bTransaction
from domain.c2b.payer import Payer

logger = structlog.get_logger()

EAT = timezone(timedelta(hours=3), "EAT")


def transactions_of(response: object, shortcode: str) -> list[C2bTransaction]:
    rows: list[object] = []
    for item in response if isinstance(response, list) else []:
        # Flattened one level: published samples nest the rows in one more array.
        rows.extend(item if isinstance(item, list) else [item])
    found = []
    for row in rows:
        transaction = _transaction(row, shortcode) if isinstance(row, dict) else None
        if transaction is None:
            logger.warning("c2b_pull_row_unreadable", keys=sorted(row) if isinstance(row, dict) else None)
            continue
        found.append(transaction)
    return found


def _transaction(row: dict[str, object], shortcode: str) -> C2bTransaction | None:
    trans_id = row.get("transactionId")
    amount = _shillings(row.get("amount"))
    if not isinstance(trans_id, str) or not trans_id.strip() or amount is None:
        return None
    msisdn = row.get("msisdn")
    return C2bTransaction(
        trans_id=trans_id.strip(),
        amount=amount,
        shortcode=shortcode,
        bill_reference=str(row.get("billreference") or ""),
        payer=Payer("" if msisdn is None else str(msisdn)),
        trans_time=_trans_time(row.get("trxDate")),
        transaction_type=str(row.get("transactiontype") or ""),
    )


def _shillings(value: object) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount <= 0 or amount != amount.to_integral_value():
        return None
    return int(amount)


def _trans_time(value: object) -> str:
    """The confirmation's TransTime form (YYYYMMDDHHmmss, Kenyan time), so both sources of a payment read alike."""
    if not isinstance(value, str):
        return ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(EAT).strftime("%Y%m%d%H%M%S")
