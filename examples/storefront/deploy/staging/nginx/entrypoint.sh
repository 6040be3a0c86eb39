#!/bin/sh
# Render nginx's and ModSecurity's configuration from the environment into /tmp (the root
# filesystem is read-only), check it, then run nginx in the foreground as this user.
#   NGINX_PORT      port on 127.0.0.1 the stack is reached through
#   UPSTREAMS       storefront replicas, "127.0.0.1:8001 127.0.0.1:8002"
#   WAF_MODE        ModSecurity's SecRuleEngine: On (block) or DetectionOnly (log only)
#   EDGE_RATE       limit_req rate per client address (e.g. 200r/s), EDGE_BURST its burst
set -eu
: "${UPSTREAMS:?set UPSTREAMS to the storefront replicas, host:port separated by spaces}"
case "$WAF_MODE" in On | DetectionOnly | Off) ;; *) echo "WAF_MODE must be On, DetectionOnly or Off" >&2; exit 2 ;; esac
conf=/tmp/nginx
mkdir -p "$conf"
servers=""
for upstream in $UPSTREAMS; do servers="$servers    server $upstream max_fails=1 fail_timeout=2s;
"; done
export SERVERS="$servers"
vars='${NGINX_PORT} ${WAF_MODE} ${EDGE_RATE} ${EDGE_BURST} ${SERVERS} ${CONF}'
export CONF="$conf"
envsubst "$vars" </etc/golive-staging/nginx.conf.template >"$conf/nginx.conf"
envsubst "$vars" </etc/golive-staging/modsecurity.conf.template >"$conf/modsecurity.conf"
nginx -e stderr -t -q -c "$conf/nginx.conf"
exec nginx -e stderr -c "$conf/nginx.conf" -g "daemon off;"
