from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DarajaSettings:
    """Everything the adapter needs to talk to one Daraja environment; secrets stay out of repr."""

    base_url: str
    consumer_key: str
    consumer_secret: str
    shortcode: str
    passkey: str
    transaction_type: str
    callback_base_url: str
    party_b: str | None = None

    def __repr__(self) -> str:
        return f"DarajaSettings(base_url={self.base_url!r}, shortcode={self.shortcode!r})"
