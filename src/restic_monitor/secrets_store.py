"""Secrets kept in the operating system's keyring instead of env.json.

env.json may say ``"RESTIC_PASSWORD": {"keyring": "restic-password"}``; the
value then comes from the keyring entry "restic-password" of the service
"restic-monitor": Windows Credential Manager, macOS Keychain, or the Secret
Service (GNOME Keyring, KWallet) on Linux, through the keyring package.
``restic-monitor secret set NAME`` stores one.
"""

from __future__ import annotations

SERVICE = "restic-monitor"


class SecretStoreError(Exception):
    """The keyring cannot be used; the text says why, never with a secret in it."""


def _keyring() -> object:
    try:
        import keyring
    except ImportError as exc:  # pragma: no cover - a dependency
        raise SecretStoreError(f"the keyring package is not available ({exc})") from None
    return keyring


def unavailable_reason() -> str | None:
    """Why no keyring can keep a secret here (None: one can), without touching an entry:
    reading one may make the desktop ask the user to create a keyring. May ask D-Bus."""
    keyring = _keyring()
    try:
        backend = keyring.get_keyring()  # type: ignore[attr-defined]
        priority = float(backend.priority)
    except Exception as exc:
        return f"the system keyring cannot be used ({exc.__class__.__name__})"
    if priority <= 0:  # the failing or null backend, or a chain of none
        return ("no system keyring was found (Secret Service, KWallet, macOS Keychain or "
                "Windows Credential Manager)")  # fmt: skip
    return None


def get_secret(name: str) -> str | None:
    keyring = _keyring()
    try:
        value = keyring.get_password(SERVICE, name)  # type: ignore[attr-defined]
    except Exception as exc:
        raise SecretStoreError(
            f"the system keyring cannot be read ({exc.__class__.__name__})"
        ) from None
    return value if isinstance(value, str) else None


def set_secret(name: str, value: str) -> str:
    """Store ``value``; returns the backend's name for the user."""
    keyring = _keyring()
    try:
        keyring.set_password(SERVICE, name, value)  # type: ignore[attr-defined]
        backend = keyring.get_keyring()  # type: ignore[attr-defined]
    except Exception as exc:
        raise SecretStoreError(
            f"the system keyring cannot store the secret ({exc.__class__.__name__}: {exc})"
        ) from None
    return str(getattr(backend, "name", backend.__class__.__name__))


def delete_secret(name: str) -> bool:
    keyring = _keyring()
    try:
        keyring.delete_password(SERVICE, name)  # type: ignore[attr-defined]
    except Exception as exc:
        if exc.__class__.__name__ == "PasswordDeleteError":
            return False
        raise SecretStoreError(
            f"the system keyring cannot delete the secret ({exc.__class__.__name__})"
        ) from None
    return True
