"""The composition root: the only place that names concrete adapters. Reads like a bill of materials."""

import httpx
from dependency_injector import containers, providers
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend

from adapters.broadcast.channels_broadcaster import ChannelsBroadcaster
from adapters.daraja.settings import DarajaSettings
from adapters.daraja.stk_client import DarajaStkClient
from adapters.daraja.token_auth import DarajaTokenAuth
from adapters.mongo.client import create_engine, create_mongo_client
from adapters.mongo.payment_repository import MongoPaymentRepository
from adapters.system.clock import SystemClock
from adapters.system.identifiers import RandomIdentifiers
from domain.use_cases.handle_stk_callback import HandleStkCallback
from domain.use_cases.payment_status import PaymentStatusQuery
from domain.use_cases.push_payment import PushPayment
from entrypoints.settings import STK_CALLBACK_PATH, Settings
from entrypoints.ws.socket_limits import SocketLimits


def daraja_settings(settings: Settings) -> DarajaSettings:
    return DarajaSettings(
        base_url=settings.resolved_daraja_base_url(),
        consumer_key=settings.consumer_key(),
        consumer_secret=settings.consumer_secret(),
        shortcode=settings.shortcode(),
        passkey=settings.passkey(),
        transaction_type=settings.daraja_transaction_type,
        callback_base_url=settings.public_base_url + STK_CALLBACK_PATH,
        party_b=settings.daraja_party_b,
    )


def daraja_timeout(settings: Settings) -> httpx.Timeout:
    # Connect fails fast (nothing sent yet, safe to call failed); read waits long (the push may be on the phone).
    return httpx.Timeout(settings.daraja_timeout, connect=5.0)


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    # Infrastructure: one of each per process, closed by the app's lifespan.
    mongo_client = providers.Singleton(create_mongo_client, settings.provided.mongodb_url)
    mongo_engine = providers.Singleton(create_engine, mongo_client, settings.provided.mongodb_database)
    http_client = providers.Singleton(
        httpx.AsyncClient,
        timeout=providers.Callable(daraja_timeout, settings),
        limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
    )
    channels = providers.Singleton(
        ChannelsPlugin, backend=providers.Singleton(MemoryChannelsBackend), arbitrary_channels_allowed=True
    )
    clock = providers.Singleton(SystemClock)
    identifiers = providers.Singleton(RandomIdentifiers)
    socket_limits = providers.Singleton(SocketLimits, idle_timeout=settings.provided.ws_idle_timeout)

    # Adapters behind the domain's ports.
    daraja = providers.Singleton(daraja_settings, settings)
    daraja_auth = providers.Singleton(
        DarajaTokenAuth,
        http_client,
        daraja.provided.base_url,
        daraja.provided.consumer_key,
        daraja.provided.consumer_secret,
    )
    payment_provider = providers.Singleton(DarajaStkClient, http_client, daraja_auth, daraja, clock)
    payments = providers.Singleton(MongoPaymentRepository, mongo_engine)
    broadcaster = providers.Singleton(ChannelsBroadcaster, channels)

    # Use-cases: stateless, built per request or per socket.
    push_payment = providers.Factory(
        PushPayment, payments, payment_provider, broadcaster, clock, identifiers, settings.provided.stk_max_amount
    )
    payment_status = providers.Factory(PaymentStatusQuery, payments)
    handle_stk_callback = providers.Factory(HandleStkCallback, payments, broadcaster, clock)
