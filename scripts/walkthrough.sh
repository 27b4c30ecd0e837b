#!/usr/bin/env bash
# Takes one birth registration from submission to "Đã trả kết quả" on a running `npm start`,
# through three officers. Needs curl and jq. Usage: scripts/walkthrough.sh [API base URL]
set -euo pipefail
API=${1:-http://localhost:3000}/api
HERE=$(cd "$(dirname "$0")" && pwd)
PASSWORD=demo@2026

login() {
  curl -sf "$API/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$PASSWORD\"}" | jq -r .token
}
task_of() {
  curl -sf "$API/tasks?dossier=$2" -H "authorization: Bearer $1" \
    | jq -r --arg c "$2" '.items[] | select(.dossierCode==$c) | .id' | head -n 1
}
complete() {
  curl -s "$API/tasks/$2/complete" -H "authorization: Bearer $1" -H 'content-type: application/json' \
    -H "Idempotency-Key: walkthrough-$2" -d "$3" | jq -c .dossier
}

CODE=$(curl -sf "$API/dossiers" -H 'content-type: application/json' -d @"$HERE/sample-birth-registration.json" | jq -r .code)
echo "1. submitted online: $CODE"

LAN=$(login lan.motcua-mybinh)
echo "2. one-stop officer accepts:  $(complete "$LAN" "$(task_of "$LAN" "$CODE")" '{"outcome":"accept","comment":"Hồ sơ đầy đủ"}')"

BINH=$(login binh.tuphap-mybinh)
echo "3. specialist appraises:      $(complete "$BINH" "$(task_of "$BINH" "$CODE")" '{"outcome":"approve","data":{"documentsComplete":true,"note":"Đủ điều kiện"}}')"

CUONG=$(login cuong.lanhdao-mybinh)
echo "4. leader signs:              $(complete "$CUONG" "$(task_of "$CUONG" "$CODE")" '{"outcome":"approve"}')"

echo "5. history:"
curl -sf "$API/dossiers/$CODE" -H "authorization: Bearer $LAN" \
  | jq -r '.history[] | select(.type=="status") | "   \(.at)  \(.fromStatus // "-") → \(.toStatus)  \(.actor)  \(.reason // "")"'
