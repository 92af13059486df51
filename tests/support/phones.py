import itertools

# The simulator, like Daraja, refuses a second prompt to a phone that has one open, so each test pays from its own.
_numbers = itertools.count(10_000_001)


def fresh_phone() -> str:
    return f"2547{next(_numbers):08d}"
