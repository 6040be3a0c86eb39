"""Server-rendered web UI (no JavaScript, no external assets)."""
