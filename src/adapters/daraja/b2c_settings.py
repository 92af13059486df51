from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class B2cSettings:
    """What the B2C adapter sends besides the payout itself; the initiator's credential is passed separately.

    The Transaction Status URLs default to siblings of `result_base_url`: ".../b2c/result" gives ".../b2c/status"
    and ".../b2c/status-timeout". (Daraja refuses callback URLs containing "query", docs/daraja.md#callback-url-rules.)
    """

    base_url: str
    shortcode: str
    initiator_name: str
    result_base_url: str
    timeout_base_url: str
    command_id: str = "BusinessPayment"
    status_result_base_url: str = ""
    status_timeout_base_url: str = ""

    def __post_init__(self) -> None:
        parent = self.result_base_url.rstrip("/").rsplit("/", 1)[0]
        if not self.status_result_base_url:
            object.__setattr__(self, "status_result_base_url", f"{parent}/status")
        if not self.status_timeout_base_url:
            object.__setattr__(self, "status_timeout_base_url", f"{parent}/status-timeout")

    def __repr__(self) -> str:
        return f"B2cSettings(base_url={self.base_url!r}, shortcode={self.shortcode!r}, command_id={self.command_id!r})"
