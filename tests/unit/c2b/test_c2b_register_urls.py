import pytest

from domain.c2b.errors import C2bNotConfiguredError
from domain.c2b.hook_urls import C2bHookUrls
from domain.c2b.provider import DefaultAction, UrlsAlreadyRegisteredError
from domain.c2b.use_cases.register_urls import RegisterUrls
from domain.c2b.validation import ValidationRule
from domain.shared.error_codes import ErrorCode
from domain.shared.errors import ProviderRejectedError, ProviderUnreachableError
from tests.unit.c2b_fakes import FakeC2bProvider

SECRET = "c2b-hook-secret-0123456789abcdef0123"
URLS = C2bHookUrls(
    "https://pay.example.com/api/v1/hooks/c2b/validation",
    "https://pay.example.com/api/v1/hooks/c2b/confirmation",
    SECRET,
)


@pytest.fixture
def daraja() -> FakeC2bProvider:
    return FakeC2bProvider()


async def test_both_hook_urls_are_registered_for_the_shortcode_ending_in_the_secret(daraja: FakeC2bProvider) -> None:
    register = RegisterUrls(daraja, "600984", ValidationRule.ACCEPT_ALL, URLS)

    result = await register()

    [sent] = daraja.registrations
    assert sent.shortcode == "600984"
    assert sent.validation_url == f"https://pay.example.com/api/v1/hooks/c2b/validation/{SECRET}"
    assert sent.confirmation_url == f"https://pay.example.com/api/v1/hooks/c2b/confirmation/{SECRET}"
    assert result.already_registered is False
    assert result.note == ""


@pytest.mark.parametrize(
    ("rule", "action"),
    [
        (ValidationRule.ACCEPT_ALL, DefaultAction.COMPLETED),
        (ValidationRule.KNOWN_REFERENCES, DefaultAction.CANCELLED),
        (ValidationRule.EXACT_AMOUNT, DefaultAction.CANCELLED),
    ],
)
async def test_an_unanswered_validation_completes_only_when_every_payment_would_be_accepted(
    daraja: FakeC2bProvider, rule: ValidationRule, action: DefaultAction
) -> None:
    result = await RegisterUrls(daraja, "600984", rule, URLS)()

    assert daraja.registrations[0].default_action is action
    assert result.view()["response_type"] == action.value


async def test_urls_daraja_already_holds_count_as_registered_with_a_note(daraja: FakeC2bProvider) -> None:
    daraja.refusal = UrlsAlreadyRegisteredError("500.003.1001", "the shortcode's URLs are already registered")

    result = await RegisterUrls(daraja, "600984", ValidationRule.ACCEPT_ALL, URLS)()

    assert result.already_registered is True
    assert "500.003.1001" in result.note
    assert "already registered" in result.note


async def test_without_a_hook_secret_nothing_is_registered_and_daraja_is_not_called(daraja: FakeC2bProvider) -> None:
    register = RegisterUrls(daraja, "600984", ValidationRule.ACCEPT_ALL, None)

    with pytest.raises(C2bNotConfiguredError) as refused:
        await register()

    assert refused.value.code is ErrorCode.C2B_NOT_CONFIGURED
    assert daraja.registrations == []


@pytest.mark.parametrize(
    "fault", [ProviderRejectedError("400.003.02", "Bad Request - Invalid ShortCode"), ProviderUnreachableError("down")]
)
async def test_a_refusal_or_an_unreachable_daraja_is_not_reported_as_registered(
    daraja: FakeC2bProvider, fault: Exception
) -> None:
    daraja.refusal = fault

    with pytest.raises(type(fault)):
        await RegisterUrls(daraja, "600984", ValidationRule.ACCEPT_ALL, URLS)()


async def test_the_result_and_the_urls_never_show_the_secret(daraja: FakeC2bProvider) -> None:
    result = await RegisterUrls(daraja, "600984", ValidationRule.ACCEPT_ALL, URLS)()

    assert SECRET not in str(result.view())
    assert SECRET not in repr(result)
    assert result.view()["validation_url"] == "https://pay.example.com/api/v1/hooks/c2b/validation/********"
