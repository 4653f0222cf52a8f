"""What of a request may be written to a log: credentials in query strings are replaced, never stored."""

import re
from collections.abc import Mapping

REDACTED = "[REDACTED]"
MAX_LOGGED_VALUE = 200
# Matched anywhere in the parameter name, case-insensitively: access_token, password, api_key, X-Amz-Signature...
_CREDENTIAL_NAME = re.compile(r"pass|pwd|token|secret|key|auth|session|cookie|credential|signature|sig$", re.IGNORECASE)


def loggable_params(params: Mapping[str, str]) -> dict[str, str]:
    """Query parameters for the request log: credentials redacted, other values cut to MAX_LOGGED_VALUE."""
    return {
        key[:MAX_LOGGED_VALUE]: REDACTED if _CREDENTIAL_NAME.search(key) else value[:MAX_LOGGED_VALUE]
        for key, value in params.items()
    }
