import secrets

from domain.shared.ports import KeyMaterial


class RandomKeyMaterial(KeyMaterial):
    def new_key_id(self) -> str:
        return secrets.token_hex(8)

    def new_key_secret(self) -> str:
        return secrets.token_hex(32)
