"""What a gateway client sees for each STK scenario of the simulator; docs/simulator.md shows the same table."""

# Scenario name → (the push's reply code or None when accepted, the payment's state the client ends up seeing).
GATEWAY_OUTCOMES = {
    "success": (None, "success"),
    "cancelled by user": (None, "cancelled"),
    "no answer from user": (None, "timeout"),
    "transaction expired": (None, "timeout"),
    "insufficient funds": (None, "failed"),
    "wrong PIN": (None, "failed"),
    "callback duplicated": (None, "success"),
    "Daraja slow": (None, "success"),
    # No callback ever comes: the payment stays pending until it is reconciled by STK query.
    "callback lost": (None, "pending"),
    # Daraja answered 500: the prompt may or may not be on the phone, so the payment stays pending, marked unknown.
    "Daraja fails": ("PROVIDER_UNAVAILABLE", "pending"),
}
