"""Guards: a method added to the registry without its limits, audit, logout-all, OpenAPI entry or matrix cells
fails here."""
