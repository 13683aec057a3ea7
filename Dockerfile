# syntax=docker/dockerfile:1
# The kstor image: the `kstor` binary alone on distroless (glibc, CA certificates, no shell),
# running as the distroless `nonroot` user. Its main use is the admission webhook
# (`kstor serve`, deploy/webhook/ and charts/kstor/); every other subcommand works too:
#
#   docker build -t kstor .
#   docker run --rm -v "$PWD/k8s:/k8s:ro" kstor lint /k8s

# Build: the toolchain the workspace requires (rust-version 1.95). TLS is rustls + ring, so
# no OpenSSL; ring's C parts build with the image's gcc.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# --locked: exactly the dependency versions of Cargo.lock. The cache mounts keep the registry
# and the build directory between builds (BuildKit); the binary is copied out of the cached
# target directory in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p kstor \
    && cp target/release/kstor /kstor

# Run: distroless cc (glibc and libgcc, which the Rust binary links against).
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /kstor /kstor
# The distroless `nonroot` user, by number: Kubernetes can verify runAsNonRoot only for a
# numeric user (a name such as `nonroot` makes the kubelet refuse to start the container
# unless the pod sets runAsUser).
USER 65532:65532
# The webhook listens on 8443 (TLS) and 9090 (metrics and probes); documentation only.
EXPOSE 8443 9090
ENTRYPOINT ["/kstor"]
CMD ["serve", "--help"]
