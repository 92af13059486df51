"""Reading Daraja's loosely typed values."""


def whole_shillings(value: object) -> int | None:
    """Daraja sends 1 or 1.00; anything that is not a whole number of shillings matches no payment."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None
