from entrypoints.http.callback_sources import SAFARICOM_CALLBACK_ADDRESSES, CallbackSources, SourceCheck

SAFARICOM = SAFARICOM_CALLBACK_ADDRESSES[0]


def policy(mode: SourceCheck = SourceCheck.ENFORCE, proxies: tuple[str, ...] = ()) -> CallbackSources:
    return CallbackSources(mode, [*SAFARICOM_CALLBACK_ADDRESSES, "10.20.0.0/16"], list(proxies))


def test_a_listed_sender_is_admitted_and_any_other_is_not() -> None:
    assert policy().admits(SAFARICOM)
    assert policy().admits("10.20.3.4")
    assert not policy().admits("203.0.113.9")
    assert not policy().admits(None)
    assert not policy().admits("not-an-address")


def test_with_the_check_off_every_sender_is_admitted() -> None:
    assert policy(SourceCheck.OFF).admits("203.0.113.9")


def test_forwarded_for_is_believed_only_from_a_trusted_proxy() -> None:
    behind_proxy = policy(proxies=("127.0.0.1",))

    assert behind_proxy.sender("127.0.0.1", f"{SAFARICOM}") == SAFARICOM
    assert behind_proxy.sender("203.0.113.9", f"{SAFARICOM}") == "203.0.113.9"
    assert policy().sender("127.0.0.1", f"{SAFARICOM}") == "127.0.0.1"


def test_the_sender_is_the_nearest_hop_that_is_not_a_trusted_proxy() -> None:
    behind_two = policy(proxies=("127.0.0.1", "10.0.0.0/8"))

    assert behind_two.sender("127.0.0.1", f"203.0.113.9, {SAFARICOM}, 10.1.1.1") == SAFARICOM
