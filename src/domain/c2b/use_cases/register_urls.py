from dataclasses import dataclass
from typing import Any

import structlog

from domain.c2b.errors import C2bNotConfiguredError
from domain.c2b.hook_urls import HIDDEN_SECRET, C2bHookUrls
from domain.c2b.provider import C2bProvider, DefaultAction, UrlRegistration, UrlsAlreadyRegisteredError
from domain.c2b.validation import ValidationRule

logger = structlog.get_logger()


def default_action_for(rule: ValidationRule) -> DefaultAction:
    """What M-PESA should do with a payment whose validation goes unanswered: take it when the gateway would take
    every payment anyway, cancel it (the customer keeps the money) when the gateway would have checked it first."""
    return DefaultAction.COMPLETED if rule is ValidationRule.ACCEPT_ALL else DefaultAction.CANCELLED


@dataclass(frozen=True, slots=True)
class UrlsRegistered:
    shortcode: str
    default_action: DefaultAction
    urls: C2bHookUrls
    # True when Daraja kept URLs registered earlier (production refuses to replace them): `note` says what to do.
    already_registered: bool = False
    note: str = ""

    def view(self) -> dict[str, Any]:
        return {
            "shortcode": self.shortcode,
            "response_type": self.default_action.value,
            "validation_url": f"{self.urls.validation_base}/{HIDDEN_SECRET}",
            "confirmation_url": f"{self.urls.confirmation_base}/{HIDDEN_SECRET}",
            "already_registered": self.already_registered,
            "note": self.note,
        }


class RegisterUrls:
    """Tell Daraja the gateway's validation and confirmation URLs for the C2B shortcode, once per call.

    Without a hook secret the gateway serves neither URL, so nothing is registered and Daraja is not called.
    Daraja's "already registered" answer is a success with a note: the shortcode has URLs, perhaps these ones.
    """

    def __init__(self, provider: C2bProvider, shortcode: str, rule: ValidationRule, urls: C2bHookUrls | None) -> None:
        self._provider, self._shortcode, self._rule, self._urls = provider, shortcode, rule, urls

    async def __call__(self) -> UrlsRegistered:
        if self._urls is None:
            raise C2bNotConfiguredError()
        action = default_action_for(self._rule)
        registration = UrlRegistration(self._shortcode, action, self._urls.confirmation_url, self._urls.validation_url)
        try:
            await self._provider.register_urls(registration)
        except UrlsAlreadyRegisteredError as kept:
            logger.warning("c2b_urls_already_registered", shortcode=self._shortcode, code=kept.provider_code)
            note = f"Daraja kept the URLs registered earlier ({kept.provider_code}): {kept.provider_message}"
            return UrlsRegistered(self._shortcode, action, self._urls, already_registered=True, note=note)
        logger.info("c2b_urls_registered", shortcode=self._shortcode, response_type=action.value)
        return UrlsRegistered(self._shortcode, action, self._urls)
