"""Disaster recovery: backups that exist and restore, recovery drills that measure RTO and RPO.

Check types (see :mod:`golive.dr.checks`): ``dr.backup``, ``dr.drill``, ``db.migrations`` and
``dr.restore_time_estimate``; ``golive init dr`` (see :mod:`golive.dr.cli`) writes the DR
runbook whose commands are the ones the drill runs.
"""

from golive.kit.family import Command, Family

FAMILY = Family(
    name="dr",
    help="Backups, recovery drills (RTO/RPO), migrations.",
    checks={
        "dr.backup": "golive.dr.checks:BackupCheck",
        "dr.drill": "golive.dr.checks:DrillCheck",
        "db.migrations": "golive.dr.checks:MigrationsCheck",
        "dr.restore_time_estimate": "golive.dr.checks:RestoreEstimateCheck",
    },
    params={
        "dr.backup": "golive.dr._params:BackupParams",
        "dr.drill": "golive.dr._params:DrillParams",
        "db.migrations": "golive.dr._params:MigrationsParams",
        "dr.restore_time_estimate": "golive.dr._params:RestoreEstimateParams",
    },
    init={
        "dr": Command(
            target="golive.dr.cli:init_dr", help="Write the DR runbook whose commands the drill runs."
        )
    },
)

__all__ = ["FAMILY"]
