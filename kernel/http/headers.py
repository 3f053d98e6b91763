"""Header helpers any server here may use (the API's `/api/echo`, the static pages' servers), with no app behind."""


def header_bytes(headers):
    """How many bytes these request headers took on the wire (name, colon, value, CRLF each)."""
    return sum(len(f"{k}: {v}\r\n".encode("latin-1", "replace")) for k, v in headers.items())
