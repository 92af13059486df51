"""Account balance: what Daraja says the shortcode's accounts hold, the latest of it, and the low-balance watch."""
