#!/usr/bin/env bash
# The README's main job: build the default cohort and train the default
# model if there is none yet, then serve it. Called by `make run`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
COHORT=${COHORT:-work/cohort}
MODEL=${MODEL:-models/sarcoma-classifier}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
KEYS=${KEYS:-work/keys}

if [ ! -f "$MODEL/bundle.json" ]; then
  if [ ! -f "$COHORT/samples.csv" ]; then
    echo "== building the default synthetic reference cohort in $COHORT"
    "$BIN/python" -m training.synthetic --out "$COHORT"
  fi
  echo "== training the default model into $MODEL (nested CV, MLflow run, registry)"
  "$BIN/python" -m training.train --cohort "$COHORT" --out "$MODEL" \
    --register sarcoma-classifier --outer-folds 3 --inner-folds 3
else
  echo "== using the existing model in $MODEL (delete it to retrain)"
fi

# One API key per role for this machine (lis, reviewer, admin), created once
# and kept in $KEYS/<role>.token, readable by you only.
echo "== API keys of this installation in $KEYS"
"$BIN/python" -m api.keys ensure-local --dir "$KEYS"

cat <<MSG

== starting the service on http://$HOST:$PORT
   API docs:      http://$HOST:$PORT/docs
   model card:    curl -s http://$HOST:$PORT/v1/model -H "Authorization: Bearer \$(cat $KEYS/lis.token)"
   example call:  curl -s -X POST http://$HOST:$PORT/v1/classify \\
                    -H "Authorization: Bearer \$(cat $KEYS/lis.token)" \\
                    -H 'Content-Type: application/json' \\
                    --data @data_samples/dsrct_submitted_as_ewing.json
   keys:          $KEYS/lis.token (submit), reviewer.token (read all), admin.token (reload, keys)
MSG
export MODEL_PATH="$MODEL"
# The service writes its own access log (route templates, no query strings):
# uvicorn's would print request paths, which may hold accession numbers.
exec "$BIN/uvicorn" api.main:app --host "$HOST" --port "$PORT" --no-access-log
