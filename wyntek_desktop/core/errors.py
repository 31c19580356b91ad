"""The one error tree of WYNTEK Desktop.

Every failure a user can meet is raised as one of these classes. The message is one
sentence a person can act on; ``hint`` optionally says what to do next. HTTP, SQL and
library exceptions never travel above ``api``/``upload``/``design``: they are mapped
here first.

    WyntekError
    ├── UsageError            wrong arguments or settings (exit code 1)
    │   └── ConfigError       settings file or environment values are invalid
    ├── FileError             a design file cannot be read, is hostile or too large
    │   ├── DiskFullError     no space left while writing
    │   └── IntegrityError    a downloaded file differs from what the service recorded
    ├── ServiceRefusal        the service said no (exit code 2)
    │   ├── AuthError         not signed in, wrong password, session revoked
    │   │   └── SignInRequired  the stored session is gone; sign in again
    │   ├── BalanceError      not enough tokens
    │   ├── ValidationError   the request is invalid (quantity, material, spec)
    │   ├── NotFoundError     job, file or object does not exist (or is not yours)
    │   └── ConflictError     e.g. a replay of a job with a different spec
    └── NetworkError          cannot reach the service (exit code 3)
        ├── TLSError          the certificate cannot be verified
        └── ServerError       the service answered 5xx
"""

from __future__ import annotations


class WyntekError(Exception):
    """Base class: ``str(err)`` is the sentence shown to the user."""

    exit_code = 1
    kind = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} {self.hint}"

    def to_dict(self) -> dict[str, str | int | None]:
        return {"error": self.kind, "message": self.message, "hint": self.hint,
                "exit_code": self.exit_code}


class UsageError(WyntekError):
    exit_code = 1
    kind = "usage"


class ConfigError(UsageError):
    kind = "config"


class FileError(WyntekError):
    exit_code = 1
    kind = "file"


class DiskFullError(FileError):
    kind = "disk_full"


class IntegrityError(FileError):
    """A downloaded job file's size or SHA-256 differs from ``job_files``: it was changed
    in storage after it was priced, and must not be fabricated."""

    kind = "integrity"


class ServiceRefusal(WyntekError):
    exit_code = 2
    kind = "refused"


class AuthError(ServiceRefusal):
    kind = "auth"


class SignInRequired(AuthError):
    kind = "sign_in_required"

    def __init__(self, message: str = "Your session has ended; please sign in again.",
                 *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)


class BalanceError(ServiceRefusal):
    kind = "balance"


class ValidationError(ServiceRefusal):
    kind = "validation"


class NotFoundError(ServiceRefusal):
    kind = "not_found"


class ConflictError(ServiceRefusal):
    kind = "conflict"


class NetworkError(WyntekError):
    exit_code = 3
    kind = "network"


class TLSError(NetworkError):
    kind = "tls"


class ServerError(NetworkError):
    kind = "server"
