#!/bin/sh
# Starts coturn from turnserver.conf plus the secret and realm from the environment.
# printf is a shell builtin, so the secret is never an argument of a process (ps).
set -eu
umask 077
conf=/tmp/turnserver.conf
cat /etc/peer-meetings/turnserver.conf > "$conf"
printf 'realm=%s\nstatic-auth-secret=%s\n' "$TURN_HOST" "$TURN_SECRET" >> "$conf"
unset TURN_SECRET
exec turnserver -c "$conf"
