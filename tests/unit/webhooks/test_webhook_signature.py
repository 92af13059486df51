from domain.webhooks.signature import signature_header, verify

SECRET = "whsec_" + "ab" * 24
BODY = b'{"id":"evt_1","type":"stk.succeeded"}'
NOW = 1_767_225_600


def test_a_signature_the_gateway_made_verifies() -> None:
    header = signature_header(SECRET, NOW, BODY)

    assert header.startswith(f"t={NOW},v1=")
    assert verify(SECRET, header, BODY, NOW + 299)


def test_a_changed_body_another_secret_or_another_time_fails() -> None:
    header = signature_header(SECRET, NOW, BODY)

    assert not verify(SECRET, header, BODY.replace(b"succeeded", b"failed"), NOW)
    assert not verify("whsec_other", header, BODY, NOW)
    assert not verify(SECRET, header.replace(f"t={NOW}", f"t={NOW + 1}"), BODY, NOW)


def test_a_signature_outside_the_tolerance_fails_either_way() -> None:
    header = signature_header(SECRET, NOW, BODY)

    assert not verify(SECRET, header, BODY, NOW + 301)
    assert not verify(SECRET, header, BODY, NOW - 301)
    assert verify(SECRET, header, BODY, NOW + 3600, tolerance=3600)


def test_a_malformed_header_fails() -> None:
    for header in ("", "t=abc,v1=00", f"v1={'0' * 64}", f"t={NOW}", "garbage"):
        assert not verify(SECRET, header, BODY, NOW), header


def test_any_of_several_v1_signatures_may_match() -> None:
    good = signature_header(SECRET, NOW, BODY).split("v1=")[1]

    assert verify(SECRET, f"t={NOW},v1={'0' * 64},v1={good}", BODY, NOW)
