# wasmgate with every engine it runs: the in-process runtimes (wasmtime, wasmer,
# wasmi) built in, V8 through Node.js and Chromium, JavaScriptCore's `jsc`
# shell, SpiderMonkey's `js102` shell and Firefox ESR — all from Debian
# bookworm, the versions the known lists name. The image's default command is
# the README's main job; reports go to /reports (mount a volume there).
#
#   scripts/docker-build.sh                 # docker build -t wasmgate .
#   docker run --rm -v "$PWD/reports:/reports" wasmgate
#   docker run --rm -v "$PWD:/work" -w /work wasmgate check --vectors my.toml --out reports/check

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# The registry and target folder are build caches (BuildKit), so a rebuild
# after a change compiles only what changed, not wasmtime and wasmer again.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin wasmgate \
    && cp target/release/wasmgate /usr/local/bin/wasmgate

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       ca-certificates nodejs libjavascriptcoregtk-4.0-bin libmozjs-102-dev chromium firefox-esr \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/wasmgate /usr/local/bin/wasmgate
# The example modules and vectors files, for `wasmgate check` and `wasi` demos.
COPY vectors /opt/wasmgate/vectors
ENV WASMGATE_REQUIRE_ENGINES=all
WORKDIR /opt/wasmgate
ENTRYPOINT ["wasmgate"]
CMD ["run", "--out", "/reports"]
