#!/bin/sh
# One-shot (temporalio/admin-tools, or any machine with the temporal CLI): waits for the server,
# creates the namespace if missing and registers the search attributes the app sets (DistrictId,
# OnboardingPhase: Keyword), so a district is one filter away in the Temporal UI. Idempotent.
set -eu
ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
RETENTION="${TEMPORAL_NAMESPACE_RETENTION:-30d}"
# Name=Type pairs; keep in step with workflows/search-attributes.ts.
ATTRIBUTES="${SEARCH_ATTRIBUTES:-DistrictId=Keyword OnboardingPhase=Keyword}"
TEMPORAL="${TEMPORAL_CLI:-temporal}"

attempt=0
until "$TEMPORAL" operator cluster health --address "$ADDRESS" >/dev/null 2>&1; do
  attempt=$((attempt + 1))
  if [ "$attempt" -ge "${MAX_ATTEMPTS:-60}" ]; then echo "Temporal at $ADDRESS is not healthy: giving up" >&2; exit 1; fi
  echo "waiting for Temporal at $ADDRESS ($attempt)"; sleep 2
done

if "$TEMPORAL" operator namespace describe --address "$ADDRESS" --namespace "$NAMESPACE" >/dev/null 2>&1; then
  echo "namespace $NAMESPACE exists"
else
  "$TEMPORAL" operator namespace create --address "$ADDRESS" --namespace "$NAMESPACE" --retention "$RETENTION"
  echo "created namespace $NAMESPACE (retention $RETENTION)"
fi

# A new namespace takes a moment to be visible to every frontend: wait until it answers.
attempt=0
until existing="$("$TEMPORAL" operator search-attribute list --address "$ADDRESS" --namespace "$NAMESPACE" 2>/dev/null)"; do
  attempt=$((attempt + 1))
  if [ "$attempt" -ge "${MAX_ATTEMPTS:-60}" ]; then echo "namespace $NAMESPACE does not answer: giving up" >&2; exit 1; fi
  echo "waiting for namespace $NAMESPACE ($attempt)"; sleep 1
done
for pair in $ATTRIBUTES; do
  name="${pair%%=*}"; type="${pair##*=}"
  if printf '%s\n' "$existing" | grep -Eq "(^|[[:space:]])$name([[:space:]]|$)"; then
    echo "search attribute $name exists"
  else
    "$TEMPORAL" operator search-attribute create --address "$ADDRESS" --namespace "$NAMESPACE" --name "$name" --type "$type"
    echo "registered search attribute $name ($type)"
  fi
done
