"""Params of the containers check types, in a light module (validating a spec imports no check)."""

from __future__ import annotations

from pydantic import Field

from golive.kit.check import Params
from golive.security._params import GateParams


class DockerParams(Params):
    """Where the Docker daemon is."""

    docker_host: str | None = Field(
        default=None,
        description="DOCKER_HOST for the docker CLI (e.g. unix:///run/docker.sock); default: golive's own.",
    )


class ComposeConfigParams(Params):
    """Params of ``compose.config``."""

    file: str = Field(description="The compose file, relative to the spec.")
    env_file: str | None = Field(
        default=None, description="KEY=VALUE file the compose file interpolates (docker-compose --env-file)."
    )
    env: dict[str, str] = Field(
        default_factory=dict, description="Variables the compose file interpolates (${VAR} resolved)."
    )


class RuntimeParams(DockerParams):
    """Params of ``container.runtime``."""

    project: str | None = Field(default=None, description="Compose project name (${VAR} resolved).")
    project_file: str | None = Field(
        default=None, description="A file holding the project name (e.g. .golive/staging/project)."
    )
    writable: list[str] = Field(
        default_factory=list, description="Services allowed a writable root filesystem."
    )


class ImageParams(GateParams, DockerParams):
    """Params of ``container.image``."""

    image: str = Field(description="Image reference or ID (${VAR} resolved), e.g. ${STOREFRONT_IMAGE}.")
    osv_db: str = Field(description="Offline OSV export (directory or zip) the SBOM is matched against.")
    max_size_mb: float = Field(default=500, gt=0, description="Budget for the image's size (MB, 10^6 bytes).")
    max_file_mb: float = Field(
        default=8, gt=0, description="Files larger than this are listed, not scanned for secrets."
    )
