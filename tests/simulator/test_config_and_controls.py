import base64
from pathlib import Path

import httpx
import pytest

from daraja_simulator.app import create_app
from daraja_simulator.config import SANDBOX_PASSKEY, SimulatorConfig
from daraja_simulator.credentials import SimulatorCredentials, load_credentials, write_key_pair
from daraja_simulator.request_rules import stk_password
from daraja_simulator.scenarios import SCENARIOS, markdown_table
from tests.simulator.harness import Daraja, security_credential


def test_the_defaults_are_the_public_sandbox_values() -> None:
    config = SimulatorConfig.from_env({})

    assert config == SimulatorConfig()
    assert (config.shortcode, config.passkey, config.b2c_shortcode) == ("174379", SANDBOX_PASSKEY, "600996")
    assert (config.initiator_name, config.initiator_password) == ("testapi", "Safaricom999!*!")
    assert (config.callback_delay, config.slow_seconds, config.token_ttl, config.verify_tls) == (2.0, 3.0, 3599, False)


def test_every_setting_is_read_from_its_sim_variable() -> None:
    config = SimulatorConfig.from_env(
        {
            "SIM_CONSUMER_KEY": "k",
            "SIM_CONSUMER_SECRET": "s",
            "SIM_SHORTCODE": "123456",
            "SIM_PASSKEY": "p",
            "SIM_B2C_SHORTCODE": "600111",
            "SIM_INITIATOR_NAME": "api-op",
            "SIM_INITIATOR_PASSWORD": "pw",
            "SIM_CALLBACK_DELAY": "0.5",
            "SIM_SLOW_SECONDS": "7",
            "SIM_TOKEN_TTL": "60",
            "SIM_VERIFY_TLS": "true",
            "SIM_CERT_FILE": "/c.pem",
            "SIM_KEY_FILE": "/k.pem",
            "SIM_BODY_FORMS": "varied",
            "SIM_BODY_SEED": "21",
        }
    )

    assert config == SimulatorConfig(
        "k", "s", "123456", "p", "600111", "api-op", "pw", 0.5, 7.0, 60, True, "/c.pem", "/k.pem", "varied", 21
    )  # fmt: skip


def test_body_forms_other_than_published_or_varied_are_refused() -> None:
    with pytest.raises(ValueError, match="SIM_BODY_FORMS"):
        SimulatorConfig.from_env({"SIM_BODY_FORMS": "random"})


def test_a_verify_tls_value_that_is_not_a_boolean_is_refused() -> None:
    with pytest.raises(ValueError, match="SIM_VERIFY_TLS"):
        SimulatorConfig.from_env({"SIM_VERIFY_TLS": "maybe"})


def test_the_password_helper_matches_darajas_published_test_vector() -> None:
    assert stk_password("174379", SANDBOX_PASSKEY, "20160216165627") == (
        "MTc0Mzc5YmZiMjc5ZjlhYTliZGJjZjE1OGU5N2RkNzFhNDY3Y2QyZTBjODkzMDU5YjEwZjc4ZTZiNzJhZGExZWQyYzkxOTIwMTYwMjE2MTY1NjI3"
    )


def test_the_scenario_table_renders_one_markdown_row_per_scenario() -> None:
    table = markdown_table().splitlines()

    assert table[0].startswith("| API | Amount (KES) |")
    assert len(table) == 2 + len(SCENARIOS)
    for row, scenario in zip(table[2:], SCENARIOS, strict=True):
        assert scenario.name in row and scenario.description in row


def test_a_credential_decrypts_only_to_the_password_it_was_made_from(tmp_path: Path) -> None:
    credentials = load_credentials(SimulatorConfig())
    pem = credentials.write_certificate_pem(tmp_path / "simulator.cer").read_bytes()
    credential = security_credential("Safaricom999!*!", pem)

    assert len(credential) == 344  # a 2048-bit key, as with Safaricom's certificates
    assert credentials.credential_matches(credential, "Safaricom999!*!")
    assert not credentials.credential_matches(credential, "Safaricom999!*?")
    assert not credentials.credential_matches(base64.b64encode(b"x" * 256).decode(), "Safaricom999!*!")
    assert not credentials.credential_matches(12345, "Safaricom999!*!")


def test_a_key_pair_saved_to_files_is_used_when_sim_cert_file_and_key_file_name_it(tmp_path: Path) -> None:
    generated = load_credentials(SimulatorConfig())
    write_key_pair(generated, tmp_path / "cert.pem", tmp_path / "key.pem")

    loaded = load_credentials(SimulatorConfig(cert_file=str(tmp_path / "cert.pem"), key_file=str(tmp_path / "key.pem")))

    assert isinstance(loaded, SimulatorCredentials)
    assert loaded.certificate_pem() == generated.certificate_pem()
    assert loaded.credential_matches(security_credential("pw", generated.certificate_pem()), "pw")


def test_a_certificate_without_its_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="together"):
        load_credentials(SimulatorConfig(cert_file=str(tmp_path / "cert.pem")))


async def test_the_certificate_endpoint_serves_the_pem_the_simulator_decrypts_with(daraja: Daraja) -> None:
    response = await daraja.http.get("/simulator/certificate")

    assert response.status_code == 200
    assert response.content.startswith(b"-----BEGIN CERTIFICATE-----")
    assert response.content == load_credentials(SimulatorConfig()).certificate_pem()


async def test_health_answers_ok(daraja: Daraja) -> None:
    response = await daraja.http.get("/simulator/health")

    assert response.json() == {"status": "ok"}


async def test_reset_forgets_counters_and_pending_prompts_but_keeps_tokens(daraja: Daraja) -> None:
    await daraja.push(daraja.callback_path(), amount=9100)
    await daraja.pay_out(await daraja.b2c_request(daraja.callback_path()))

    assert (await daraja.http.post("/simulator/reset")).json() == {"status": "reset"}
    stats = await daraja.stats()
    again = await daraja.push(daraja.callback_path())  # same phone, same token

    assert stats["stk_push_requests"] == {"total": 0, "per_phone": {}}
    assert stats["b2c_payment_requests"] == {"total": 0, "per_originator_conversation_id": {}}
    assert again.status_code == 200


async def test_the_app_also_answers_in_process_without_a_server() -> None:
    app = create_app(SimulatorConfig(callback_delay=0.01))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://simulator") as http:
        response = await http.get(
            "/oauth/v1/generate", params={"grant_type": "client_credentials"}, auth=("simulator-consumer-key", "x")
        )

    assert response.status_code == 400
