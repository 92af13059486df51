import json

import pytest

from domain.shared.errors import ValidationError
from entrypoints.http.daraja_status_body import parse_transaction_status


@pytest.mark.parametrize(
    "result",
    [
        {"ResultCode": "", "ResultDesc": ""},  # found by schemathesis: it was a 500
        {
            "ResultCode": 0,
            "ResultDesc": "ok",
            "ResultParameters": {"ResultParameter": [{"Key": "Amount", "Value": -5}]},
        },
    ],
    ids=["empty-result-code", "negative-amount"],
)
def test_a_status_answer_breaking_the_domains_rules_is_a_validation_error(result: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        parse_transaction_status(json.dumps({"Result": result}).encode())
