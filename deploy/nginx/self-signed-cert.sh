#!/bin/sh
# A self-signed certificate for nginx when none was brought, so the stack
# serves HTTPS out of the box (browsers warn; see README, "TLS certificates").
#
# Runs at container start from /docker-entrypoint.d/ of the nginx image
# (deploy/nginx/Dockerfile); the suite runs it natively too. Certificates that
# someone put in CERTS_DIR are never touched: a pair is made only when
# fullchain.pem or privkey.pem is missing, and made again only if it is this
# script's own (marked by .self-signed) and expires within 30 days.
#
# Environment: CERTS_DIR (default /etc/nginx/certs), PUBLIC_URL (its host
# goes into the certificate, next to localhost and 127.0.0.1).
set -eu

dir=${CERTS_DIR:-/etc/nginx/certs}
cert=$dir/fullchain.pem
key=$dir/privkey.pem

if [ -s "$cert" ] && [ -s "$key" ]; then
    if [ ! -e "$dir/.self-signed" ] || openssl x509 -checkend 2592000 -noout -in "$cert" >/dev/null; then
        exit 0
    fi
    echo "self-signed-cert: the self-signed certificate expires within 30 days; replacing it"
fi

# https://chat.example.com:8443/x -> chat.example.com ([::1] keeps its brackets off).
host=$(printf '%s' "${PUBLIC_URL:-https://localhost}" | sed -E 's#^[a-zA-Z]+://##; s#[/?].*$##; s#^\[([^]]*)\].*$#\1#; s#^([^:]*):[0-9]+$#\1#')
san="DNS:localhost,IP:127.0.0.1,IP:::1"
case "$host" in
    "" | localhost | 127.0.0.1 | ::1) ;;
    *:*) san="$san,IP:$host" ;;         # IPv6
    *[!0-9.]*) san="$san,DNS:$host" ;;  # a name
    *) san="$san,IP:$host" ;;           # IPv4
esac

if ! mkdir -p "$dir" 2>/dev/null || ! [ -w "$dir" ]; then
    echo "self-signed-cert: $dir has no fullchain.pem/privkey.pem and is read-only;" \
        "put your certificate there or let the image make one" >&2
    exit 1
fi

umask 077
# P-256: as strong as RSA-3072 for a fraction of the handshake CPU.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
    -subj "/CN=${host:-localhost}" -addext "subjectAltName=$san" \
    -addext "extendedKeyUsage=serverAuth" \
    -keyout "$key.tmp" -out "$cert.tmp" 2>/dev/null
mv "$key.tmp" "$key"
mv "$cert.tmp" "$cert"
chmod 644 "$cert"
: >"$dir/.self-signed"
echo "self-signed-cert: made a self-signed certificate for ${host:-localhost} ($san) in $dir"
