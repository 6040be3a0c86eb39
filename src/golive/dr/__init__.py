"""Disaster recovery: backups that exist and restore, recovery drills that measure RTO and RPO.

Check types (see :mod:`golive.dr.checks`): ``dr.backup``, ``dr.drill``, ``db.migrations`` and
``dr.restore_time_estimate``; ``golive init dr`` (see :mod:`golive.dr.cli`) writes the DR
runbook whose commands are the ones the drill runs.
"""
