from entrypoints.http.readiness import ReadinessChecks


async def up() -> bool:
    return True


async def down() -> bool:
    return False


async def broken() -> bool:
    raise ConnectionError("refused")


async def test_a_degrading_check_down_is_reported_and_the_instance_stays_ready() -> None:
    checks = ReadinessChecks({"store": up, "redis": broken}, degrading=frozenset({"redis"}))

    results = await checks.run()

    assert results == {"store": True, "redis": False}
    assert checks.status(results) == "degraded"


async def test_any_other_check_down_makes_the_instance_unready() -> None:
    checks = ReadinessChecks({"store": down, "redis": up}, degrading=frozenset({"redis"}))

    assert checks.status(await checks.run()) == "not ready"
    assert checks.status({"store": True, "redis": True}) == "ready"
