"""The gateway's own C2B validation and confirmation URLs, as Daraja is told them (docs/c2b.md, "Registering")."""

from dataclasses import dataclass

# What is shown in place of the secret last segment, so views and logs can name the URLs without giving it away.
HIDDEN_SECRET = "********"  # noqa: S105


@dataclass(frozen=True, slots=True)
class C2bHookUrls:
    """The two URLs end in the deployment's hook secret; `validation_base` and `confirmation_base` are the rest."""

    validation_base: str
    confirmation_base: str
    secret: str

    @property
    def validation_url(self) -> str:
        return f"{self.validation_base}/{self.secret}"

    @property
    def confirmation_url(self) -> str:
        return f"{self.confirmation_base}/{self.secret}"

    def __repr__(self) -> str:
        return f"C2bHookUrls({self.validation_base}/{HIDDEN_SECRET}, {self.confirmation_base}/{HIDDEN_SECRET})"
