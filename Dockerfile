# The cargo-ratecheck image for load runs on Kubernetes (deploy/kubernetes/,
# docs/kubernetes.md): the release binary on a slim Debian, run as a
# non-root user.
#
#   docker build -t cargo-ratecheck:0.1.0 .
#
# Build stage: the compiler rust-toolchain.toml pins, the locked
# dependencies, the release profile of Cargo.toml.
FROM rust:1.95.0-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin cargo-ratecheck \
 && cp target/release/cargo-ratecheck /cargo-ratecheck

# Run stage: the binary alone (it links glibc, libgcc and zlib, all in the
# base image); the Job's script uses the base image's /bin/sh.
FROM debian:bookworm-slim
RUN useradd --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin ratecheck
COPY --from=build /cargo-ratecheck /usr/local/bin/cargo-ratecheck
USER 10001:10001
ENTRYPOINT ["cargo-ratecheck", "ratecheck"]
CMD ["--help"]
