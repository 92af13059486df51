from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class B2cSettings:
    """What the B2C adapter sends besides the payout itself; the initiator's credential is passed separately."""

    base_url: str
    shortcode: str
    initiator_name: str
    result_base_url: str
    timeout_base_url: str
    command_id: str = "BusinessPayment"

    def __repr__(self) -> str:
        return f"B2cSettings(base_url={self.base_url!r}, shortcode={self.shortcode!r}, command_id={self.command_id!r})"
