#!/usr/bin/env bash
# Builds the container images of storefront's staging stack, without any image registry:
#
#   base        golive-base/bookworm-python   Debian bookworm + python3, from Debian packages
#                                              with mmdebstrap, then `docker import`ed
#   postgres    golive-staging/postgres        Debian's postgresql-15, FROM the base
#   nginx       golive-staging/nginx-waf       nginx + ModSecurity v3 + OWASP CRS, FROM the base
#   monitoring  golive-staging/monitoring      Debian's Prometheus and Alertmanager, FROM the base
#   storefront  storefront                     examples/storefront/deploy/Dockerfile, FROM the
#                                              base pinned by image ID, wheels fetched on the host
#
# Every tag is a hash of the image's inputs (recipe, files, base image ID), so an image is
# rebuilt only when one of them changed, and a quick run is a few `docker image inspect`s.
# stdout: one KEY=image line per image (an env file for docker-compose); stderr: progress,
# and each image's ID and size.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/docker.sh
export DOCKER_HOST=unix:///run/docker.sock
DOCKER=/usr/bin/docker
STOREFRONT=examples/storefront
STAGING="$STOREFRONT/deploy/staging"

# Bump when the base recipe below changes in a way its other inputs do not show.
BASE_RECIPE_VERSION=1
BASE_SUITE=bookworm
BASE_PACKAGES=(python3 python3-venv ca-certificates)
BASE_SOURCES=(
  "deb http://deb.debian.org/debian $BASE_SUITE main"
  "deb http://deb.debian.org/debian $BASE_SUITE-updates main"
  "deb http://deb.debian.org/debian-security $BASE_SUITE-security main"
)
# Documentation, manuals and translations are never read in a container: dpkg skips them,
# in the base and in every package a later image installs on top of it.
BASE_DPKG_OPTS=(
  "path-exclude=/usr/share/doc/*"
  "path-include=/usr/share/doc/*/copyright"
  "path-exclude=/usr/share/man/*"
  "path-exclude=/usr/share/info/*"
  "path-exclude=/usr/share/locale/*"
  "path-include=/usr/share/locale/locale.alias"
)
BASE_APT_OPTS=('Apt::Install-Recommends "false"' 'Acquire::Languages "none"')

log() { echo "images: $*" >&2; }
hash_of() { sha256sum | cut -c1-16; }
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
exists() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }
image_id() { "$DOCKER" image inspect -f '{{.Id}}' "$1"; }
report() {
  local size
  size=$("$DOCKER" image inspect -f '{{.Size}}' "$1")
  log "$(printf '%-45s %s %6d MB' "$1" "$(image_id "$1" | cut -c1-19)" $((size / 1000000)))"
}

build_base() {
  local tag="$1" work="$SCRATCH/base" opts=()
  mkdir -p "$work"
  for opt in "${BASE_DPKG_OPTS[@]}"; do opts+=("--dpkgopt=$opt"); done
  for opt in "${BASE_APT_OPTS[@]}"; do opts+=("--aptopt=$opt"); done
  log "building $tag with mmdebstrap (half a minute to two)"
  local start=$SECONDS
  mmdebstrap --quiet --variant=apt --include="$(
    IFS=,
    echo "${BASE_PACKAGES[*]}"
  )" "${opts[@]}" "$BASE_SUITE" "$work/rootfs.tar" "${BASE_SOURCES[@]}"
  "$DOCKER" import --change 'CMD ["/bin/bash"]' --change 'ENV LANG=C.UTF-8' \
    "$work/rootfs.tar" "$tag" >/dev/null
  rm -rf "$work"
  log "base image built in $((SECONDS - start)) s"
}

base_image() {
  local tag
  tag="golive-base/$BASE_SUITE-python:$(
    printf '%s\n' "$BASE_RECIPE_VERSION" "${BASE_PACKAGES[@]}" "${BASE_SOURCES[@]}" \
      "${BASE_DPKG_OPTS[@]}" "${BASE_APT_OPTS[@]}" | hash_of
  )"
  exists "$tag" || build_base "$tag"
  echo "$tag"
}

# An image from a directory holding its Dockerfile and everything it copies.
build_dir_image() {
  local name="$1" dir="$2" base_id="$3" tag
  tag="$name:$( (echo "$base_id" && tar -C "$dir" --sort=name --mtime=@0 --owner=0 --group=0 -cf - .) | hash_of)"
  if ! exists "$tag"; then
    log "building $tag"
    # Host network: apt inside the build reaches the Debian mirror as the host does.
    "$DOCKER" build --quiet --force-rm --network host --build-arg "BASE_IMAGE=$base_id" -t "$tag" "$dir" >/dev/null
  fi
  echo "$tag"
}

# storefront: its wheels (the lock file's and its own) are fetched on the host with the
# machine's pip configuration, so the build needs no package index and holds no credentials.
storefront_image() {
  local base_id="$1" version tag context
  version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$STOREFRONT/pyproject.toml" | head -n1)
  tag="storefront:$version-$(
    (echo "$base_id" && cd "$STOREFRONT" && tar --sort=name --mtime=@0 --owner=0 --group=0 \
      --exclude=__pycache__ -cf - deploy/Dockerfile deploy/requirements.lock pyproject.toml README.md src) | hash_of
  )"
  if ! exists "$tag"; then
    log "building $tag"
    context="$SCRATCH/storefront"
    mkdir -p "$context"
    cp "$STOREFRONT/deploy/requirements.lock" "$context/"
    # Debian's own Python resolves the wheels: the base image's interpreter, so environment
    # markers (python_full_version < "3.11.3" pulls async-timeout) are judged as in the image.
    # With dependencies, for what such a marker adds to the lock. pip's chatter goes to a log.
    local pip=(/usr/bin/python3 -m pip --disable-pip-version-check -q)
    if ! { "${pip[@]}" download --only-binary=:all: -r "$context/requirements.lock" -d "$context/wheels" \
      && "${pip[@]}" wheel --no-deps "$STOREFRONT" -w "$context/wheels"; } >"$SCRATCH/pip.log" 2>&1; then
      cat "$SCRATCH/pip.log" >&2
      return 1
    fi
    "$DOCKER" build --quiet --force-rm --network none --build-arg "BASE_IMAGE=$base_id" \
      -f "$STOREFRONT/deploy/Dockerfile" -t "$tag" "$context" >/dev/null
  fi
  echo "$tag"
}

main() {
  local base base_id postgres nginx monitoring storefront
  base=$(base_image)
  base_id=$(image_id "$base")
  postgres=$(build_dir_image golive-staging/postgres "$STAGING/postgres" "$base_id")
  nginx=$(build_dir_image golive-staging/nginx-waf "$STAGING/nginx" "$base_id")
  monitoring=$(build_dir_image golive-staging/monitoring "$STAGING/monitoring" "$base_id")
  storefront=$(storefront_image "$base_id")
  for image in "$base" "$postgres" "$nginx" "$monitoring" "$storefront"; do report "$image"; done
  printf '%s\n' "BASE_IMAGE=$base" "POSTGRES_IMAGE=$postgres" "NGINX_IMAGE=$nginx" \
    "MONITORING_IMAGE=$monitoring" "STOREFRONT_IMAGE=$storefront"
}

main "$@"
