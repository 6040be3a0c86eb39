"""Business logic, independent of HTTP: each function works inside a caller-given session."""
