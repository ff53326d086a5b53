#!/usr/bin/env bash
# The `compose` stage of `make test` (`make compose-test`): `make compose-up` brings compose.yaml up for real with what
# this machine has, a password is generated through the published port and read back from Redis, and
# `make compose-down` removes the containers. Podman's whole state lives in a temp dir (scripts/podman-local.sh,
# as in the image test); the app is published on 127.0.0.1 only. docs/compose.md lists the substitutions, all
# test-only (compose.yaml stays the file Docker Compose users run):
#   - compose provider: Debian's podman-compose 1.0.3 (podman 4.3 has no `compose` subcommand), run with
#     --podman-path pointing at podman with the temp state; `up --no-build`, since compose.yaml's `build:` would pull
#     the Rust toolchain image;
#   - the app image: the image stage's own build (Dockerfile stage `prebuilt` over dist/linux-amd64, the static
#     binary scripts/image-test.sh leaves there; built with scripts/build-static.sh if missing), as IMAGE=…;
#   - the Redis image: built here FROM scratch out of Debian's redis-server/redis-cli (+ their shared libraries) and
#     busybox-static for the `sh` the service command and healthcheck need, under the name compose.yaml uses
#     (docker.io/library/redis:7.2-alpine), with a `redis` user: nothing is pulled;
#   - readiness: no systemd here, so podman's healthchecks never run and `depends_on: service_healthy` is only an
#     order: the test polls /readyz (200 only once the app reaches Redis) instead of `--wait`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/supply-chain.sh

start=$(date +%s)
missing=()
for t in podman podman-compose buildah runc redis-server redis-cli busybox; do
  command -v "$t" >/dev/null || missing+=("$t")
done
((${#missing[@]} == 0)) || die "missing ${missing[*]}: run 'bash scripts/install-deps.sh'"

BIN=$(static_binary "${BINARY:-}")
echo "binary: ${BIN#$PWD/}"

T=$(mktemp -d /tmp/compose-test.XXXXXX)
STATE=$T/podman
mkdir -p "$T/bin"
# podman-compose runs "podman" by this path: podman with all its state in $STATE.
printf '#!/bin/sh\nexec %q %q "$@"\n' "$PWD/scripts/podman-local.sh" "$STATE" > "$T/bin/podman"
chmod +x "$T/bin/podman"
P=$T/bin/podman
PORT=$(free_port)
export IMAGE=localhost/giropops-senhas:compose-amd64 PORT PUBLISH=127.0.0.1
COMPOSE_VARS=(COMPOSE="podman-compose --podman-path $P -p giropops-senhas" COMPOSE_UP_FLAGS=--no-build COMPOSE_PODMAN="$P")
up=0
cleanup() {
  if ((up)); then make -s compose-down "${COMPOSE_VARS[@]}" >/dev/null 2>&1 || true; fi
  "$P" rm -af >/dev/null 2>&1 || true
  "$P" network rm -f giropops-senhas_giropops >/dev/null 2>&1 || true   # its bridge lives in the host's netns
  chmod -R u+w "$T" 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT

passed=0 failed=0
ok()  { echo "  ok   $*"; passed=$((passed + 1)); }
bad() { echo "  FAIL $*"; failed=$((failed + 1)); }

# ------------------------------------------------------------------------------------------------- the images
echo "--- images"
PODMAN_STATE=$STATE ENGINE=podman bash scripts/image-build.sh --no-binaries --arch amd64 \
  --tag localhost/giropops-senhas:compose > "$T/image-build.log" 2>&1 ||
  { cat "$T/image-build.log"; die "scripts/image-build.sh failed"; }
"$P" image exists "$IMAGE" || die "$IMAGE was not built"
echo "  app:   $IMAGE (Dockerfile stage prebuilt, $(stat -c %s "$BIN") bytes binary)"

R=$T/redis/rootfs
mkdir -p "$R"/{bin,usr/bin,etc,data,tmp}
cp -L /usr/bin/redis-server /usr/bin/redis-cli "$R/usr/bin/"
for lib in $(ldd /usr/bin/redis-server /usr/bin/redis-cli | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\/.*ld-linux/ {print $1}' | sort -u); do
  mkdir -p "$R$(dirname "$lib")"
  cp -L "$lib" "$R$lib"
done
cp "$(command -v busybox)" "$R/bin/busybox"
for applet in sh cat grep; do ln -s busybox "$R/bin/$applet"; done
printf 'root:x:0:0:root:/root:/bin/sh\nredis:x:999:999:redis:/data:/bin/sh\n' > "$R/etc/passwd"
printf 'root:x:0:\nredis:x:999:\n' > "$R/etc/group"
chmod 1777 "$R/tmp"
rmdir "$R/data"; mkdir "$T/redis/data"
# COPY makes files root's: /data (a new volume is seeded from it, owner included) belongs to redis, as in the
# official image.
printf 'FROM scratch\nCOPY rootfs/ /\nCOPY --chown=999:999 data/ /data/\nENV PATH=/usr/bin:/bin\nWORKDIR /data\nCMD ["redis-server"]\n' \
  > "$T/redis/Containerfile"
"$P" build --quiet --format docker -t docker.io/library/redis:7.2-alpine "$T/redis" > /dev/null ||
  die "building the Redis test image failed"
"$P" run --rm --network none docker.io/library/redis:7.2-alpine redis-server --version | sed 's/^/  redis: /'

# --------------------------------------------------------------------------------------------------- compose up
echo "--- make compose-up"
if make -s compose-up "${COMPOSE_VARS[@]}" > "$T/up.log" 2>&1; then
  up=1; ok "make compose-up (podman-compose $(podman-compose version 2>/dev/null | sed -n 's/^podman-composer* version *//p' | head -1))"
else
  up=1; bad "make compose-up"; sed 's/^/       | /' "$T/up.log" | tail -30
fi
"$P" ps -a --format '{{.Names}} {{.Status}}' | sed 's/^/  container: /'

ready=0 t0=$(date +%s)
for _ in $(seq 1 300); do   # up to 60 s
  if curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/readyz" 2>/dev/null; then ready=1; break; fi
  sleep 0.2
done
if ((ready)); then
  ok "/readyz 200 on 127.0.0.1:$PORT after $(( $(date +%s) - t0 ))s (the app reaches Redis)"
else
  bad "/readyz never answered 200 within 60 s"
  for c in $("$P" ps -a --format '{{.Names}}'); do echo "  --- logs $c"; "$P" logs --tail 20 "$c" 2>&1 | sed 's/^/       | /'; done
fi

redis_container=$("$P" ps --format '{{.Names}}' --filter label=com.docker.compose.service=redis | head -1)
app_container=$("$P" ps --format '{{.Names}}' --filter label=com.docker.compose.service=app | head -1)
if ((ready)) && [[ -z $redis_container || -z $app_container ]]; then
  bad "compose containers not found by their service label (redis: '$redis_container', app: '$app_container')"
  ready=0
fi
if ((ready)); then
  # The private history (the default): the cookie GET / gives a browser, then that browser's list.
  cookie=$(curl -fsS --max-time 5 -o /dev/null -D - "http://127.0.0.1:$PORT/" | tr -d '\r' \
    | sed -n 's/^[Ss]et-[Cc]ookie: \(giropops-historico=[0-9a-f]*\);.*/\1/p' | head -1) || cookie=
  if [[ -n $cookie ]]; then ok "GET / gives the browser its history cookie"
  else bad "GET / set no history cookie"; fi
  body=$(curl -fsS --max-time 5 -X POST -H 'Content-Type: application/json' -H "Cookie: $cookie" \
    -d '{"tamanho": 20}' "http://127.0.0.1:$PORT/api/gerar-senha") || body=
  senha=$(printf '%s' "$body" | python3 -c 'import json,sys; print(json.load(sys.stdin)["senha"])' 2>/dev/null) || senha=
  if [[ ${#senha} == 20 ]]; then ok "POST /api/gerar-senha through the published port: a 20-character password"
  else bad "POST /api/gerar-senha: unexpected answer"; fi
  mine=$(curl -fsS --max-time 5 -H "Cookie: $cookie" "http://127.0.0.1:$PORT/api/senhas") || mine=
  if [[ -n $senha ]] && grep -qF -- "\"senha\":\"$senha\"" <<< "$mine"; then
    ok "the password comes back in that browser's history (through Redis)"
  else
    bad "the password is not in the browser's history"
  fi
  # In Redis, read in its container with the password from its secret file (never on a command line): one list
  # under a derived key, and not the password in clear.
  stored=$("$P" exec "$redis_container" sh -c \
    'export REDISCLI_AUTH="$(cat /run/secrets/redis_password)"; for k in $(redis-cli --no-auth-warning --scan --pattern "senhas:privado:*"); do echo "key $k"; redis-cli --no-auth-warning LRANGE "$k" 0 -1; done' 2>&1) || stored=
  if [[ -n $senha ]] && grep -q '^key senhas:privado:' <<< "$stored" && ! grep -qF -- "$senha" <<< "$stored"; then
    ok "Redis holds the browser's list under a derived key, encrypted (container $redis_container)"
  else
    bad "Redis does not hold an encrypted private list"
  fi
  noauth=$("$P" exec "$redis_container" redis-cli PING 2>&1 || true)
  if grep -q NOAUTH <<< "$noauth"; then ok "Redis refuses commands without the password (NOAUTH)"
  else bad "Redis answered without the password: $noauth"; fi
  # The hardening of compose.yaml, as podman applied it.
  read -r ro user caps <<< "$("$P" inspect "$app_container" --format '{{.HostConfig.ReadonlyRootfs}} {{.Config.User}} {{len .EffectiveCaps}}')"
  if [[ $ro == true && $user == 65532:65532 && $caps == 0 ]]; then
    ok "app container: read-only root, user 65532:65532, no capabilities"
  else bad "app container: read-only=$ro user=$user capabilities=$caps"; fi
  published=$("$P" port "$app_container" 5000/tcp)
  if [[ $published == "127.0.0.1:$PORT" ]]; then ok "published on 127.0.0.1 only ($published)"
  else bad "published on $published"; fi
fi

# ------------------------------------------------------------------------------------------------- compose down
echo "--- make compose-down"
if make -s compose-down "${COMPOSE_VARS[@]}" > "$T/down.log" 2>&1; then ok "make compose-down"
else bad "make compose-down"; sed 's/^/       | /' "$T/down.log" | tail -20; fi
up=0
left=$("$P" ps -a --format '{{.Names}}')
if [[ -z $left ]]; then ok "no container left"; else bad "containers left: $left"; fi
nets=$("$P" network ls --format '{{.Name}}' | grep -vx podman || true)
if [[ -z $nets ]]; then ok "no network left"; else bad "networks left: $nets"; fi
if "$P" volume ls --format '{{.Name}}' | grep -q 'redis-data$'; then
  ok "the Redis volume stays (as documented: \`make compose-down\` keeps the history)"
else
  bad "the Redis volume is gone"
fi

echo "compose: $passed passed, $failed failed in $(( $(date +%s) - start ))s"
((failed == 0))
