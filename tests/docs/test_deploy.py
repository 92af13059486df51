"""deploy/ describes a topology nobody can start here (no Docker): at least its files say what the gateway reads."""

import re
from pathlib import Path

import yaml

from entrypoints.secret_files import SECRET_SETTINGS
from entrypoints.settings import Settings
from entrypoints.settings_view import environment_names

DEPLOY = Path(__file__).parents[2] / "deploy"


def compose() -> dict[str, object]:
    document: dict[str, object] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return document


def environment_file() -> dict[str, str]:
    lines = (DEPLOY / "gateway.env.example").read_text().splitlines()
    pairs = [line.split("=", 1) for line in lines if line.strip() and not line.startswith("#")]
    return {name: value for name, value in pairs}


def test_the_compose_file_has_several_gateways_a_replica_set_redis_and_a_load_balancer() -> None:
    services: dict[str, dict[str, object]] = compose()["services"]  # type: ignore[assignment]

    gateways = [name for name, service in services.items() if service.get("command") == ["mpesa-gateway", "serve"]]
    assert len(gateways) >= 2
    assert services["worker"]["command"] == ["mpesa-gateway", "worker"]
    assert all(services[name]["env_file"] == "gateway.env" for name in [*gateways, "worker"])
    assert sum("--replSet" in service.get("command", []) for service in services.values()) == 3  # type: ignore[operator]
    assert "redis-server" in services["redis"]["command"]  # type: ignore[operator]
    assert services["load-balancer"]["image"].startswith("haproxy")  # type: ignore[union-attr]


def test_the_load_balancer_sends_to_every_gateway_and_outwaits_an_idle_socket() -> None:
    services: dict[str, object] = compose()["services"]  # type: ignore[assignment]
    haproxy = (DEPLOY / "haproxy.cfg").read_text()
    tunnel = re.search(r"timeout tunnel (\d+)s", haproxy)

    assert tunnel is not None
    assert int(tunnel.group(1)) > float(environment_file()["WS_IDLE_TIMEOUT"])
    backends = set(re.findall(r"^\s+server (\S+) \1:3000$", haproxy, flags=re.MULTILINE))
    assert backends == {name for name in services if name.startswith("gateway")}


def test_the_environment_file_names_only_settings_the_gateway_reads_and_they_parse() -> None:
    known = set(environment_names()) | {f"{name.upper()}_FILE" for name in SECRET_SETTINGS}
    example = environment_file()

    assert set(example) <= known, set(example) - known
    plain = {name: value for name, value in example.items() if not name.endswith("_FILE") and "<" not in value}
    fields = Settings.model_fields
    settings = Settings.model_validate(
        {
            **{name.lower(): value for name, value in plain.items()},
            "daraja_shortcode": "174379",
            **{name: "x" * 64 for name in SECRET_SETTINGS if name in fields},
            "client_token_keys": "k1:" + "s" * 40,
            "webhook_endpoints": "[]",
        }
    )
    assert settings.redis_url == "redis://redis:6379/0"
    assert settings.tls is False
