#!/bin/sh
# Container entry point: the first argument is the role, the same entry files as package.json's scripts.
set -eu
cd "$(dirname "$0")/.."
role="${1:-web}"
[ "$#" -gt 0 ] && shift
case "$role" in
  web) exec node --import tsx web/main.ts "$@" ;;
  worker) exec node --import tsx worker/main.ts "$@" ;;
  start) exec node --import tsx cli/start.ts "$@" ;;
  models-fetch) exec node --import tsx cli/models-fetch.ts "$@" ;;
  audiomuse) exec node --import tsx cli/audiomuse.ts "$@" ;;
  *) exec "$role" "$@" ;;
esac
