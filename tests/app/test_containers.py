"""Each capability's container, as the composition root builds it: every provider it declares resolves."""

import pytest
from dependency_injector import providers

from adapters.broadcast.no_subscribers import NoSubscribersBroadcaster
from adapters.broadcast.waking_broadcaster import WakingBroadcaster
from entrypoints.bootstrap.containers import ApplicationContainer, worker_container
from entrypoints.bootstrap.lifecycle import Lifecycle, background_jobs
from entrypoints.settings import Settings

CAPABILITIES = [
    "infrastructure",
    "daraja",
    "events",
    "access",
    "stk",
    "b2c",
    "reversals",
    "balances",
    "c2b",
    "reconciliation",
    "callbacks",
    "records",
    "sockets",
    "handlers",
]


def test_the_application_container_has_no_undefined_dependency(container: ApplicationContainer) -> None:
    container.check_dependencies()


@pytest.mark.parametrize("capability", CAPABILITIES)
async def test_every_provider_of_a_capability_resolves(container: ApplicationContainer, capability: str) -> None:
    async with Lifecycle(container):
        built = getattr(container, capability)()
        # What it declares: not the containers it is given, nor the settings.
        resolved = {
            name: provider()
            for name, provider in built.providers.items()
            if not isinstance(provider, providers.DependenciesContainer) and name != "settings"
        }

    assert resolved, capability


async def test_one_instance_of_each_singleton_whichever_capability_reaches_it(container: ApplicationContainer) -> None:
    async with Lifecycle(container):
        assert container.stk.events.broadcaster() is container.events.broadcaster()
        assert container.b2c.infrastructure.clock() is container.reversals.infrastructure.clock()
        assert container.sockets.socket_services().limits is container.sockets.socket_limits()


def without_certificate(container: ApplicationContainer) -> ApplicationContainer:
    """The initiator credential would be computed from the simulator's certificate."""
    container.daraja.security_credential.override(providers.Object("app-test-credential"))
    return container


def test_the_background_loops_follow_the_settings(settings: Settings) -> None:
    every = without_certificate(ApplicationContainer(settings=settings.model_copy(update={"c2b_pull_seconds": 60})))
    fewer = without_certificate(
        ApplicationContainer(
            settings=settings.model_copy(update={"balance_check_interval_seconds": 0, "c2b_pull_seconds": 0})
        )
    )

    assert len(background_jobs(every)) == len(background_jobs(fewer)) + 2


async def test_the_worker_without_redis_tells_nobody(settings: Settings) -> None:
    worker = without_certificate(worker_container(settings))
    served = ApplicationContainer(settings=settings)

    async with Lifecycle(worker):
        assert isinstance(worker.events.broadcaster(), NoSubscribersBroadcaster)
    assert isinstance(served.events.broadcaster(), WakingBroadcaster)
