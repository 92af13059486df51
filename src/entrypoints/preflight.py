"""What `serve` checks before it starts anything, so a newcomer's mistake is one line naming the setting and what to
do, all of them at once, rather than a traceback from deep inside uvicorn, OpenSSL or the store driver."""

import errno
import socket
import ssl
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import ConfigurationError, InvalidURI, PyMongoError
from pymongo.uri_parser import parse_uri

from entrypoints.settings import Settings
from entrypoints.settings_view import without_password


def listener_problems(settings: Settings) -> list[str]:
    """The certificate and key (with TLS), and the address to listen on."""
    problems = _tls_problems(settings) if settings.tls else []
    port_problem = _port_problem(settings.app_host, settings.app_port)
    return [*problems, *([port_problem] if port_problem else [])]


def store_url_problem(url: str | None) -> str | None:
    """MONGODB_URL as PyMongo reads it (unset is fine: the embedded store is used)."""
    if url is None:
        return None
    try:
        parse_uri(url)
    except (InvalidURI, ConfigurationError, ValueError) as error:
        return (
            f"MONGODB_URL={without_password(url)} is not a MongoDB URL ({error}); the accepted form is "
            "mongodb://[user:password@]host[:port][/?options] or mongodb+srv://host, or leave it unset for the "
            "embedded store"
        )
    return None


def store_reachability_problem(url: str, timeout_seconds: float) -> str | None:
    """The store answers a ping within MONGODB_TIMEOUT_SECONDS."""
    client: MongoClient[dict[str, object]] = MongoClient(
        url, serverSelectionTimeoutMS=int(timeout_seconds * 1000), connectTimeoutMS=int(timeout_seconds * 1000)
    )
    try:
        client.admin.command("ping")
    except PyMongoError as error:
        reason = str(error).split(",", 1)[0].split(" (configured timeouts", 1)[0]
        return (
            f"the store at MONGODB_URL={without_password(url)} did not answer within {timeout_seconds:g} s "
            f"({reason}): start MongoDB there, fix MONGODB_URL, or unset it for the embedded store"
        )
    finally:
        client.close()
    return None


def _tls_problems(settings: Settings) -> list[str]:
    certfile, keyfile = settings.ssl_certfile, settings.ssl_keyfile
    problems = [
        problem
        for problem in (_file_problem("SSL_CERTFILE", certfile), _file_problem("SSL_KEYFILE", keyfile))
        if problem is not None
    ]
    if problems:
        return problems
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(str(certfile), str(keyfile))
    except ssl.SSLError as error:
        return [
            f"SSL_CERTFILE={certfile} and SSL_KEYFILE={keyfile} are not a PEM certificate and its private key "
            f"({error.reason or error}): point both at your pair, or remove both in simulator mode and the gateway "
            "writes a development pair"
        ]
    return []


def _file_problem(name: str, path: Path) -> str | None:
    if not path.exists():
        return f"{name}={path} does not exist (with TLS=true the gateway needs a certificate and its key)"
    try:
        path.read_bytes()
    except OSError as error:
        return f"{name}={path} cannot be read ({error.strerror})"
    return None


def _port_problem(host: str, port: int) -> str | None:
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        return f"APP_HOST={host} is not an address of this machine ({error.strerror})"
    family, kind, protocol, _, address = addresses[0]
    with socket.socket(family, kind, protocol) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: TIME_WAIT is no conflict
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return (
                    f"APP_PORT={port}: something already listens on {host}:{port} (another gateway?); stop it or "
                    "choose another APP_PORT"
                )
            return f"APP_HOST={host} APP_PORT={port} cannot be listened on ({error.strerror})"
    return None
