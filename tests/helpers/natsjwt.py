"""Mint a NATS operator, account and user (JWTs + nkeys) for testing credentials files.

What `nsc` would do, reduced to the claims nats-server checks, so the suite can
test NATS_CREDS against a real server in operator mode without extra tools.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time

import nkeys


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _keypair(prefix: int):
    seed = nkeys.encode_seed(os.urandom(32), prefix)
    return nkeys.from_seed(bytearray(seed)), seed


def _jwt(signer, subject: str, name: str, nats: dict) -> str:
    claims = {
        "iat": int(time.time()),
        "iss": signer.public_key.decode(),
        "name": name,
        "sub": subject,
        "nats": {**nats, "version": 2},
    }
    claims["jti"] = (
        base64.b32encode(hashlib.sha256(json.dumps(claims, sort_keys=True).encode()).digest())
        .decode()
        .rstrip("=")
    )
    header = _b64(json.dumps({"typ": "JWT", "alg": "ed25519-nkey"}).encode())
    body = _b64(json.dumps(claims).encode())
    signature = _b64(signer.sign(f"{header}.{body}".encode()))
    return f"{header}.{body}.{signature}"


def make_operator_setup(directory) -> tuple[str, str]:
    """Write a nats-server config and a user .creds file; return their paths."""
    operator, _ = _keypair(nkeys.PREFIX_BYTE_OPERATOR)
    account, _ = _keypair(nkeys.PREFIX_BYTE_ACCOUNT)
    system, _ = _keypair(nkeys.PREFIX_BYTE_ACCOUNT)  # JetStream needs a system account
    user, user_seed = _keypair(nkeys.PREFIX_BYTE_USER)
    op_pub, acc_pub = operator.public_key.decode(), account.public_key.decode()
    unlimited = {
        key: -1
        for key in (
            "subs",
            "data",
            "payload",
            "imports",
            "exports",
            "conn",
            "leaf",
            "mem_storage",
            "disk_storage",
            "streams",
            "consumer",
        )
    }
    operator_jwt = _jwt(operator, op_pub, "test-operator", {"type": "operator"})
    account_jwt = _jwt(
        operator, acc_pub, "chat", {"type": "account", "limits": {**unlimited, "wildcards": True}}
    )
    sys_pub = system.public_key.decode()
    system_jwt = _jwt(operator, sys_pub, "SYS", {"type": "account", "limits": {}})
    user_jwt = _jwt(
        account,
        user.public_key.decode(),
        "chatapp",
        {"type": "user", "pub": {}, "sub": {}, "subs": -1, "data": -1, "payload": -1},
    )
    creds = os.path.join(str(directory), "chatapp.creds")
    with open(creds, "w") as f:
        f.write(
            f"-----BEGIN NATS USER JWT-----\n{user_jwt}\n------END NATS USER JWT------\n\n"
            f"-----BEGIN USER NKEY SEED-----\n{user_seed.decode()}\n"
            "------END USER NKEY SEED------\n"
        )
    config = os.path.join(str(directory), "operator.conf")
    with open(config, "w") as f:
        f.write(
            f'operator: "{operator_jwt}"\nsystem_account: {sys_pub}\nresolver: MEMORY\n'
            f'resolver_preload: {{\n  {acc_pub}: "{account_jwt}"\n'
            f'  {sys_pub}: "{system_jwt}"\n}}\n'
        )
    return config, creds
