"""Encryption at rest for raw message bodies (only when storing them is configured)."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

from tellgraph.errors import ConfigError


class BodyCipher:
    """Fernet (AES-128-CBC + HMAC-SHA256) with a key from settings; never logs the key."""

    def __init__(self, *, key: str) -> None:
        try:
            self._fernet = Fernet(key.encode("ascii"))
        except (ValueError, UnicodeEncodeError) as exc:
            raise ConfigError("TELLGRAPH_BODY_KEY", "must be a urlsafe base64 32-byte Fernet key") from exc

    @staticmethod
    def generate_key() -> str:
        """A fresh key, for ``tellgraph keygen``."""
        return Fernet.generate_key().decode("ascii")

    def encrypt(self, text: str) -> str:
        """The body as an opaque token."""
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The body back; a wrong key is a clear error."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise ConfigError("TELLGRAPH_BODY_KEY", "does not decrypt the stored bodies") from exc
