import pytest

from domain.b2c.result_codes import B2C_RESULT_CODES, B2C_SUCCESS_CODE, WithdrawalStatus, b2c_result_meaning

DOCUMENTED = ["0", "1", "2", "3", "4", "8", "11", "21", "2001", "2006", "2028", "2040", "8006", "SFC_IC0003"]
GENERIC = ["15", "17", "18", "20", "24", "25", "26", "29"]


@pytest.mark.parametrize("code", DOCUMENTED + GENERIC)
def test_every_documented_b2c_code_has_its_own_message(code: str) -> None:
    assert code in B2C_RESULT_CODES
    assert b2c_result_meaning(code).message


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("0", WithdrawalStatus.SUCCESS),
        ("1", WithdrawalStatus.FAILED),
        ("2001", WithdrawalStatus.FAILED),
        ("SFC_IC0003", WithdrawalStatus.FAILED),
        ("15", WithdrawalStatus.TIMEOUT),
    ],
)
def test_each_code_means_its_status(code: str, status: WithdrawalStatus) -> None:
    assert b2c_result_meaning(code).status is status


@pytest.mark.parametrize("code", ["424242", "", "00", " 0", "0.0", "success"])
def test_an_unlisted_code_is_a_failure_never_a_success(code: str) -> None:
    meaning = b2c_result_meaning(code)

    assert meaning.status is WithdrawalStatus.FAILED
    assert meaning.message


def test_only_the_success_code_means_money_sent() -> None:
    successes = [code for code, meaning in B2C_RESULT_CODES.items() if meaning.status is WithdrawalStatus.SUCCESS]

    assert successes == [B2C_SUCCESS_CODE]


def test_only_success_failed_and_rejected_are_final() -> None:
    finals = {status for status in WithdrawalStatus if status.is_final}

    assert finals == {WithdrawalStatus.SUCCESS, WithdrawalStatus.FAILED, WithdrawalStatus.REJECTED}
