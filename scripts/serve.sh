#!/usr/bin/env bash
# `make lab` / `make app`: start JupyterLab or the Voila app on the first free port from PORT,
# with a token generated for this run, and print the URL the server really uses (with the token,
# so the printed link logs in). The server is told not to move to another port (port_retries=0):
# the printed URL stays true.
#   scripts/serve.sh lab|app   (env: VENV, HOST, PORT; app only: POOL, APP_NOTEBOOK)
#
# The app keeps POOL (default 2) Voila kernels pre-heated: each has already run the app's notebook
# (imports, widgets built) and waits for a visit, so the first page is served at once; every visit
# takes a kernel of its own (nothing carries over from an earlier visit) and Voila starts the next
# one 5 s later (fill_delay: not while the page that took the kernel is still loading, which the
# refill would slow down). Two, not one: a reload or a second tab within those seconds takes the
# other one instead of waiting for the refill (which took longer than no pool at all).
# POOL=0: a kernel is started for each visit (slower first page, no kernel waiting in memory,
# ≈ 110 MB each). A closed tab's kernel is shut down after 2 idle minutes without a connection
# (culling): Voila's own shutdown-on-close request is refused for want of an _xsrf cookie
# (voila-dashboards/voila#1458), so without it every visit would leave a kernel running.
# APP_NOTEBOOK: the notebook to serve (default the app, notebook 00; the browser benchmark
# serves a copy).
set -euo pipefail
what=${1:?lab or app}
VENV=${VENV:-.venv}
HOST=${HOST:-127.0.0.1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=$VENV/bin/python
if [ "$what" = app ]; then PORT=${PORT:-8866}; else PORT=${PORT:-8888}; fi
POOL=${POOL:-2}
# every kernel imports numpy, whose OpenBLAS threads would spin ≈ 0.1 s of CPU each at start-up
# (see evaltools/cli/__init__.py); they sleep at once instead and are still used for BLAS
export OPENBLAS_THREAD_TIMEOUT=${OPENBLAS_THREAD_TIMEOUT:-4}
APP_NOTEBOOK=${APP_NOTEBOOK:-notebooks/00_评估应用.ipynb}
port=$("$PY" - "$HOST" "$PORT" <<'PY'
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
for p in range(port, port + 100):
    with socket.socket() as s:
        try:
            s.bind((host, p))
        except OSError:
            continue
        print(p)
        break
else:
    sys.exit("no free port")
PY
)
token=$("$PY" -c 'import secrets; print(secrets.token_hex(16))')
root_flag=()
[ "$(id -u)" = 0 ] && root_flag=(--allow-root)
if [ "$what" = lab ]; then
  echo "JupyterLab（中文界面）: http://$HOST:$port/lab/tree/notebooks?token=$token"
  [ "$port" != "${PORT}" ] && echo "  （端口 ${PORT} 已被占用，改用 $port | port ${PORT} is taken: using $port）"
  echo "  按 Ctrl-C 停止 | Ctrl-C to stop"
  exec "$VENV/bin/jupyter" lab --no-browser --ip="$HOST" --port="$port" --ServerApp.port_retries=0 \
    "${root_flag[@]}" --ServerApp.root_dir="$ROOT" --IdentityProvider.token="$token" \
    --LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate
else
  echo "评估应用 | app: http://$HOST:$port/?token=$token"
  [ "$port" != "${PORT}" ] && echo "  （端口 ${PORT} 已被占用，改用 $port | port ${PORT} is taken: using $port）"
  echo "  按 Ctrl-C 停止 | Ctrl-C to stop"
  cd "$ROOT"
  pool=()
  [ "$POOL" -gt 0 ] && pool=(--preheat_kernel=True --pool_size="$POOL"
                             --VoilaKernelManager.fill_delay=5)
  JUPYTER_PATH="$ROOT/jupyter" exec "$VENV/bin/voila" "$APP_NOTEBOOK" --no-browser \
    --Voila.ip="$HOST" --port="$port" --Voila.port_retries=0 --token="$token" \
    --MappingKernelManager.cull_idle_timeout=120 --MappingKernelManager.cull_interval=30 \
    --template=evaltools "${pool[@]}"  # no CDN links (jupyter/voila/templates)
fi
