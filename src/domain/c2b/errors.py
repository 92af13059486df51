from domain.errors import ValidationError


class ReferenceTakenError(ValidationError):
    """An open payment request already holds the account reference: customers' payments could not tell them apart."""

    def __init__(self) -> None:
        super().__init__("account_reference", "is held by an open payment request")
