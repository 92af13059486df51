import pytest

from domain.stk.result_codes import STK_RESULT_CODES, SUCCESS_CODE, PaymentStatus, stk_result_meaning


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("0", PaymentStatus.SUCCESS),
        ("1", PaymentStatus.FAILED),
        ("1032", PaymentStatus.CANCELLED),
        ("1037", PaymentStatus.TIMEOUT),
        ("1019", PaymentStatus.TIMEOUT),
        ("2001", PaymentStatus.FAILED),
        ("SFC_IC0003", PaymentStatus.FAILED),
    ],
)
def test_each_known_code_means_its_status(code: str, status: PaymentStatus) -> None:
    meaning = stk_result_meaning(code)

    assert meaning.status is status


@pytest.mark.parametrize("code", ["424242", "", "00", " 0", "0.0", "success"])
def test_an_unlisted_code_is_a_failure_never_a_success(code: str) -> None:
    meaning = stk_result_meaning(code)

    assert meaning.status is PaymentStatus.FAILED
    assert meaning.message


def test_only_the_success_code_means_money_received() -> None:
    successes = [code for code, meaning in STK_RESULT_CODES.items() if meaning.status is PaymentStatus.SUCCESS]

    assert successes == [SUCCESS_CODE]


def test_only_pending_is_not_final() -> None:
    finals = {status for status in PaymentStatus if status.is_final}

    assert finals == set(PaymentStatus) - {PaymentStatus.PENDING}
