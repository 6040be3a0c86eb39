"""Load, capacity, soak and stress checks on Locust, and the capacity plan built from them.

Locust runs in a separate process (:mod:`golive.load._worker`) because it relies on gevent
monkey-patching, which must not touch golive's asyncio process.
"""
