"""The API's own HTTP wiring: CORS for the two pages and the Server-Timing header."""
