"""The workbench's command signer: one Ed25519 key, registered with every service as a command
signer (`CommandSignerRegistered`, shared/auth.py), that signs each request and command for the
advisor signed in here. Advisors keep no key of their own; the services still check every token
against the assignee, the action, the case, the digest, the expiry and its single use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.auth import command_digest, issue_token, private_key_from_pem


@dataclass(frozen=True)
class CommandSigner:
    signer_id: str
    key: Ed25519PrivateKey

    @classmethod
    def from_file(cls, signer_id: str, path: str) -> CommandSigner | None:
        """The signer of the key in `path` (PEM); None when no key is configured."""
        if not path:
            return None
        return cls(signer_id, private_key_from_pem(Path(path).read_bytes()))

    def token(
        self, advisor_id: str, action: str, case_id: str | None, body: dict[str, Any], now: datetime
    ) -> str:
        return issue_token(
            self.key,
            advisor_id=advisor_id,
            action=action,
            case_id=case_id,
            digest=command_digest(body),
            now=now,
            issuer=self.signer_id,
        )
