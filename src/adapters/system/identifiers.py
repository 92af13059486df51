import secrets
import uuid

from domain.shared.ports import Identifiers


class RandomIdentifiers(Identifiers):
    def new_id(self) -> str:
        return uuid.uuid4().hex

    def new_secret(self) -> str:
        # Hex, not base64: Daraja refuses callback URLs containing words like "exe", "cmd" or "sql",
        # which a random base64 token would spell now and then (docs/daraja.md#callback-url-rules).
        return secrets.token_hex(24)
