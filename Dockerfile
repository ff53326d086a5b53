# syntax=docker/dockerfile:1
#
# giropops-senhas: one static binary in an empty image. One layer, a few MB, no shell, no package manager,
# no libc, non-root (65532), linux/amd64 + linux/arm64.
#
# Two FINAL stages with the same definition (same instructions, same paths, same metadata: the image test
# compares them line by line); only where the binary comes from differs:
#
#   image     (the default: last stage) compiles the binary from source in a pinned Rust toolchain image:
#             cargo-chef caches the dependencies, `cargo auditable zigbuild` builds a static musl binary for
#             the target architecture on the build machine's own architecture (no emulation). For users who
#             can pull from a registry:
#               docker build -t giropops-senhas .
#               docker buildx build --platform linux/amd64,linux/arm64 -t giropops-senhas .
#
#   prebuilt  packages the binary built on the host by scripts/build-static.sh (dist/linux-<arch>/). Nothing
#             is pulled: this is what `make image` and the image test (`make image-test`) build here:
#               scripts/build-static.sh && podman build --target prebuilt --platform linux/arm64 .
#
# Both stages build the binary with scripts/build-static.sh (same flags, same remapped paths). Reproducible:
# give the commit time as the image time, `--timestamp "$(git log -1 --format=%ct)" --no-cache` under
# podman/buildah, SOURCE_DATE_EPOCH (build arg) under BuildKit; `make image` does it for you.
#
# Labels: VERSION, REVISION, CREATED (RFC 3339 commit time) and SOURCE (the repository URL) are build args;
# scripts/image-build.sh fills them from Cargo.toml (`version`, `repository`) and git.
#
# The host-binary stages come first so that `--target prebuilt` never needs the toolchain image.

# Toolchain image of the `image` stage (same Rust as rust-toolchain.toml). Pin it by digest where you can pull:
#   --build-arg RUST_IMAGE=rust:1.95.0-slim-bookworm@sha256:…
ARG RUST_IMAGE=rust:1.95.0-slim-bookworm

# ---- binary built on the host --------------------------------------------------------------------------------
FROM scratch AS from-host
ARG TARGETARCH
COPY dist/linux-${TARGETARCH}/giropops-senhas /giropops-senhas

FROM scratch AS prebuilt
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=https://github.com/badtuxx/giropops-senhas
LABEL org.opencontainers.image.title="giropops-senhas" \
      org.opencontainers.image.description="Gerador de senhas (Rust): sucessor do app Flask + Redis do curso LINUXtips" \
      org.opencontainers.image.licenses="MIT OR Apache-2.0" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"
COPY --from=from-host --chown=0:0 --chmod=0555 /giropops-senhas /giropops-senhas
USER 65532:65532
EXPOSE 5000
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 CMD ["/giropops-senhas", "healthcheck"]
ENTRYPOINT ["/giropops-senhas"]
CMD ["serve"]

# ---- binary built from source --------------------------------------------------------------------------------
FROM --platform=$BUILDPLATFORM ${RUST_IMAGE} AS chef
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# zig (the linker for both musl targets) and cargo-zigbuild come from PyPI, as on the host
# (scripts/requirements-tools.txt); cargo-chef and cargo-auditable from crates.io (scripts/cargo-tools.txt).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3-venv=3.11.2-1+b1 \
 && rm -rf /var/lib/apt/lists/* \
 && python3 -m venv /opt/tools \
 && /opt/tools/bin/pip install --no-cache-dir ziglang==0.17.1 cargo-zigbuild==0.24.0 \
 && cargo install --locked cargo-chef@0.1.78 cargo-auditable@0.7.7 \
 && rm -rf "$CARGO_HOME/registry"
ENV PATH=/opt/tools/bin:$PATH
WORKDIR /build/giropops-senhas

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
ARG TARGETARCH
COPY rust-toolchain.toml ./
COPY scripts/build-static.sh scripts/
COPY --from=planner /build/giropops-senhas/recipe.json recipe.json
RUN scripts/build-static.sh --cook recipe.json --arch "$TARGETARCH"
COPY . .
RUN scripts/build-static.sh --arch "$TARGETARCH" --out /build/dist

FROM scratch AS from-source
ARG TARGETARCH
COPY --from=build /build/dist/linux-${TARGETARCH}/giropops-senhas /giropops-senhas

FROM scratch AS image
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=https://github.com/badtuxx/giropops-senhas
LABEL org.opencontainers.image.title="giropops-senhas" \
      org.opencontainers.image.description="Gerador de senhas (Rust): sucessor do app Flask + Redis do curso LINUXtips" \
      org.opencontainers.image.licenses="MIT OR Apache-2.0" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"
COPY --from=from-source --chown=0:0 --chmod=0555 /giropops-senhas /giropops-senhas
USER 65532:65532
EXPOSE 5000
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 CMD ["/giropops-senhas", "healthcheck"]
ENTRYPOINT ["/giropops-senhas"]
CMD ["serve"]
