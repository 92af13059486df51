"""Settings the end-to-end gateway runs with, for tests that depend on them."""

DATABASE = "e2e"
B2C_DAILY_LIMIT = 100_000
