"""The closed sets a method's facts come from, as enums: compared as types, in JSON the contract's strings."""

from enum import StrEnum


class Storage(StrEnum):
    """Where a page keeps a credential, and so how a token travels: a header the page sends, or a cookie."""

    HEADER = "header"
    COOKIE = "cookie"


class PasswordSource(StrEnum):
    """Where an endpoint reads the password it checks (each such endpoint is rate-limited)."""

    JSON = "json"  # a login's JSON body
    BASIC = "basic"  # the `Authorization: Basic` header of every request


class Verification(StrEnum):
    """What a method's `me` costs to verify: `GET /api/methods` calls it the method's `kind`."""

    PASSWORD = "password"  # a password hash on every request
    REDIS = "redis"  # one round trip to Redis
    STATELESS = "stateless"  # a signature check, no store
