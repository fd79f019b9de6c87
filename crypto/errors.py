"""Exceptions raised by the crypto package.

Messages name what went wrong and, where useful, a key id or a count — never plaintext,
passphrases or secret material, because exception text ends up in logs.
"""

DECRYPTION_FAILED_MESSAGE = "could not decrypt: wrong key, wrong purpose or altered data"


class CryptoError(Exception):
    """Base class: catch this to handle every failure of the crypto package."""


class KeyFormatError(CryptoError, ValueError):
    """A key, key text or wrapped-key blob is not in the expected format."""


class MalformedEnvelope(CryptoError, ValueError):
    """Envelope text does not have the shape `v1.<key-id>.<payload>`."""


class UnknownKeyId(CryptoError):
    """No private key is available for the envelope's key id."""

    def __init__(self, key_id: str) -> None:
        self.key_id = key_id
        super().__init__(f"no private key for key id {key_id!r}")


class DecryptionFailed(CryptoError):
    """Authentication failed: wrong key, wrong purpose or altered data."""

    def __init__(self, message: str = DECRYPTION_FAILED_MESSAGE) -> None:
        super().__init__(message)


class UnknownPurpose(CryptoError, ValueError):
    """The purpose is not one of `envelope.PURPOSES`."""

    def __init__(self, purpose: str, allowed: tuple[str, ...]) -> None:
        self.purpose = purpose
        # Purposes come from code, not users, but clip them anyway so a bug cannot flood logs.
        shown = purpose if len(purpose) <= 40 else purpose[:40] + "…"
        super().__init__(f"unknown purpose {shown!r}; expected one of {', '.join(allowed)}")


class PaddingError(CryptoError):
    """Decrypted data does not carry valid length-prefix padding."""


class PlaintextTooLarge(CryptoError, ValueError):
    """The plaintext exceeds `envelope.MAX_PLAINTEXT_BYTES`."""


class WrongPassphrase(CryptoError):
    """A wrapped key could not be unwrapped: wrong passphrase or altered blob."""

    def __init__(self) -> None:
        super().__init__("could not unwrap the key: wrong passphrase or altered data")


class InvalidCaseCode(CryptoError, ValueError):
    """What the reporter typed cannot be a case code. The message is safe to show them."""


class InvalidRecoveryPassphrase(CryptoError, ValueError):
    """What was typed cannot be a recovery passphrase. The message is safe to show."""


class InvalidContext(CryptoError, ValueError):
    """An envelope context names no valid line, case reference or direction for its purpose.

    The fields are public (a line slug, a case reference, a direction); the message quotes
    them clipped, so a bug cannot flood a log.
    """


class ChunkAuthenticationFailed(DecryptionFailed):
    """A chunk of a sealed file does not open at its position: it was altered, or moved there
    from another position. A wrong content key fails the same way, at chunk 0."""

    def __init__(self, index: int, reason: str = "it was altered or moved") -> None:
        self.index = index
        wrong_key = ", or the key is wrong" if index == 0 else ""
        super().__init__(f"chunk {index} does not open: {reason}{wrong_key}")


class StreamTruncated(CryptoError):
    """A sealed file stops before its last chunk: chunks at the end are missing."""

    def __init__(self, chunks_opened: int) -> None:
        self.chunks_opened = chunks_opened
        super().__init__("the file ends before its last chunk: chunks are missing")


class StreamExtended(CryptoError):
    """A sealed file goes on after its last chunk: something was appended."""

    def __init__(self, index: int) -> None:
        self.index = index
        super().__init__(
            f"chunk {index} comes after the last chunk: data was added to the end of the file"
        )
