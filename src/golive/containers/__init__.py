"""Containers: the compose file, the running containers and the images, each judged for production.

* ``compose.config``: ``docker-compose config`` validates; every service has a healthcheck and
  a pinned image and publishes no port beyond loopback (offline, no daemon needed);
* ``container.runtime``: a compose project's containers as Docker runs them (read-only root,
  not privileged, limits, restart policy, healthy);
* ``container.image``: an image's real layers (``docker save``): user, healthcheck, secrets in
  any layer, package-manager caches, size, and an SBOM matched against OSV data.
"""

from golive.kit.family import Family

FAMILY = Family(
    name="containers",
    help="Compose files, running containers and container images.",
    checks={
        "compose.config": "golive.containers.compose:ComposeConfigCheck",
        "container.runtime": "golive.containers.runtime:RuntimeCheck",
        "container.image": "golive.containers.image:ImageCheck",
    },
    params={
        "compose.config": "golive.containers._params:ComposeConfigParams",
        "container.runtime": "golive.containers._params:RuntimeParams",
        "container.image": "golive.containers._params:ImageParams",
    },
)

__all__ = ["FAMILY"]
