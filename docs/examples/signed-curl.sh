#!/usr/bin/env bash
# One signed AutoWatch API request with curl + openssl (scheme AW1-HMAC-SHA256, docs/api.md).
#   AW_URL=http://127.0.0.1:8080 AW_KEY_ID=awk_... AW_SECRET=... \
#     ./signed-curl.sh METHOD PATH [QUERY] [JSON_BODY] [IF_MATCH]
# PATH and QUERY are signed exactly as sent: percent-encode them before, not after. Content-Type and
# If-Match are signed too, so they are sent exactly as signed.
set -euo pipefail
method=$1 path=$2 query=${3:-} body=${4:-} if_match=${5:-}
content_type=${body:+application/json}
ts=$(date +%s)
nonce=$(openssl rand -hex 16)
hex_sha256() { openssl dgst -sha256 -r | cut -d' ' -f1; }
body_sha=$(printf '%s' "$body" | hex_sha256)
# The secret never travels: the signing key is HMAC-SHA256(secret, "aw1-request-signing").
signing_key=$(printf '%s' 'aw1-request-signing' | openssl dgst -sha256 -hmac "$AW_SECRET" -r | cut -d' ' -f1)
# Piped, not kept in a variable: $(...) would drop the empty last lines.
signature=$(printf 'AW1-HMAC-SHA256\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s' \
  "$AW_KEY_ID" "$method" "$path" "$query" "$ts" "$nonce" "$body_sha" "$content_type" "$if_match" |
  openssl dgst -sha256 -mac HMAC -macopt "hexkey:$signing_key" -r | cut -d' ' -f1)
args=()
if [ -n "$body" ]; then args+=(-H "Content-Type: $content_type" --data-binary "$body"); fi
if [ -n "$if_match" ]; then args+=(-H "If-Match: $if_match"); fi
curl -sS -X "$method" "$AW_URL$path${query:+?$query}" \
  -H "X-AW-Key: $AW_KEY_ID" -H "X-AW-Timestamp: $ts" -H "X-AW-Nonce: $nonce" \
  -H "X-AW-Content-SHA256: $body_sha" -H "X-AW-Signature: $signature" "${args[@]}"
