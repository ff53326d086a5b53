#!/usr/bin/env bash
# Creates .secrets/redis_password (random) for `make redis-run`, `make run` and `make compose-up` if it is missing.
# The directory is private (0700); the file itself is 0644 because the containers read it as non-root users
# (redis, 65532) through a bind mount. .secrets/ is ignored by git.
set -euo pipefail
cd "$(dirname "$0")/.."
f=.secrets/redis_password
[[ -s $f ]] && exit 0
mkdir -p .secrets && chmod 700 .secrets
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$f"
chmod 644 "$f"
echo "created $f"
