#!/usr/bin/env bash
# Install (if missing) and start the servers the tests need: PostgreSQL, Debian's Chromium, and
# Java for Spark in local mode (Spark itself comes with the pyspark package `make` installs).
# Prints the environment the tests read; `make test` sources it. Safe to run again.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PGPORT="${PEAKEND_PG_PORT:-54329}"
PGDATA="${PEAKEND_PG_DATA:-/tmp/peakend-pg-$PGPORT}"

need_apt=()
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need_apt+=(postgresql)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jre-headless)  # Spark's JVM
fc-list :lang=zh 2>/dev/null | grep -q . || need_apt+=(fonts-noto-cjk)  # Chinese text in screenshots
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "services: installing ${need_apt[*]} from Debian" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >&2
fi
PGBIN="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/postgres | sort -V | tail -1)")"

# PostgreSQL refuses to run as root: run it as the postgres user (or as ourselves if not root).
as_pg() { if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA"; [ "$(id -u)" -eq 0 ] && chown postgres "$PGDATA"
  as_pg "'$PGBIN/initdb' -D '$PGDATA' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
fi
if ! as_pg "'$PGBIN/pg_ctl' -D '$PGDATA' status" >/dev/null 2>&1; then
  as_pg "'$PGBIN/pg_ctl' -D '$PGDATA' -l '$PGDATA/server.log' -w -o \"-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off\" start" >&2
fi
for db in peakend_test peakend; do
  as_pg "'$PGBIN/psql' -h 127.0.0.1 -p $PGPORT -U postgres -tAc \"SELECT 1 FROM pg_database WHERE datname='$db'\"" | grep -q 1 \
    || as_pg "'$PGBIN/createdb' -h 127.0.0.1 -p $PGPORT -U postgres $db"
done
echo "export PEAKEND_TEST_PG=postgresql://postgres@127.0.0.1:$PGPORT/peakend_test"
echo "export PEAKEND_CHROMIUM=$(command -v chromium)"
echo "export PEAKEND_JAVA=$(command -v java)"

# Single sign-on tests: a real OpenID provider (panva's certified oidc-provider, pinned in
# scripts/oidc-provider/package.json) on its own port, with test clients and users (see provider.mjs).
OIDC_PORT="${PEAKEND_OIDC_PORT:-54388}"  # (not 54390: LDAPS takes LDAP_PORT + 1)
OIDC_DIR="$ROOT/scripts/oidc-provider"
if ! command -v node >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >&2
fi
[ -d "$OIDC_DIR/node_modules/oidc-provider" ] || npm ci --prefix "$OIDC_DIR" --no-audit --no-fund >&2
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if ! listening "$OIDC_PORT"; then
  OIDC_PORT="$OIDC_PORT" nohup node "$OIDC_DIR/provider.mjs" >"/tmp/peakend-oidc-$OIDC_PORT.log" 2>&1 &
  for _ in $(seq 50); do listening "$OIDC_PORT" && break; sleep 0.2; done
elif [ "$(node -e "fetch('http://127.0.0.1:$OIDC_PORT/_test/version').then(r => r.text()).then(console.log, () => {})")" \
      != "$(sha256sum "$OIDC_DIR/provider.mjs" | cut -d' ' -f1)" ]; then  # shared by other runs: not restarted here
  echo "services: the OpenID provider on port $OIDC_PORT runs another scripts/oidc-provider/provider.mjs than this" \
    "checkout's: stop it when no test run uses it and run this script again" >&2
fi
echo "export PEAKEND_TEST_OIDC=http://127.0.0.1:$OIDC_PORT"

# LDAP tests: Debian's OpenLDAP slapd as a plain process (not the system service) with its own cn=config under
# /tmp, plain and StartTLS on LDAP_PORT, LDAPS on LDAP_PORT+1, a test CA, and the directory of scripts/ldap.
LDAP_PORT="${PEAKEND_LDAP_PORT:-54389}"
LDAPS_PORT=$((LDAP_PORT + 1))
LDAP_DIR="${PEAKEND_LDAP_DIR:-/tmp/peakend-ldap-$LDAP_PORT}"
if [ ! -x /usr/sbin/slapd ] || ! command -v ldapsearch >/dev/null 2>&1 || ! command -v openssl >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "slapd slapd/no_configuration boolean true" | $SUDO debconf-set-selections
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq slapd ldap-utils openssl >&2
fi
if ! listening "$LDAP_PORT"; then
  rm -rf "$LDAP_DIR" && mkdir -p "$LDAP_DIR/slapd.d" "$LDAP_DIR/data"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=peakend test CA" -keyout "$LDAP_DIR/ca.key" \
    -out "$LDAP_DIR/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$LDAP_DIR/server.key" \
    -out "$LDAP_DIR/server.csr" 2>/dev/null
  printf "subjectAltName=IP:127.0.0.1,DNS:localhost\n" >"$LDAP_DIR/san.cnf"
  openssl x509 -req -in "$LDAP_DIR/server.csr" -CA "$LDAP_DIR/ca.pem" -CAkey "$LDAP_DIR/ca.key" -CAcreateserial \
    -days 30 -extfile "$LDAP_DIR/san.cnf" -out "$LDAP_DIR/server.pem" 2>/dev/null
  sed "s|@DIR@|$LDAP_DIR|g" "$ROOT/scripts/ldap/config.ldif" >"$LDAP_DIR/config.ldif"
  /usr/sbin/slapadd -n0 -F "$LDAP_DIR/slapd.d" -l "$LDAP_DIR/config.ldif" >&2
  /usr/sbin/slapadd -n1 -F "$LDAP_DIR/slapd.d" -l "$ROOT/scripts/ldap/directory.ldif" >&2
  /usr/sbin/slapd -F "$LDAP_DIR/slapd.d" -h "ldap://127.0.0.1:$LDAP_PORT/ ldaps://127.0.0.1:$LDAPS_PORT/" >&2
  for _ in $(seq 50); do listening "$LDAP_PORT" && break; sleep 0.2; done
fi
echo "export PEAKEND_TEST_LDAP=ldap://127.0.0.1:$LDAP_PORT PEAKEND_TEST_LDAPS=ldaps://127.0.0.1:$LDAPS_PORT"
echo "export PEAKEND_TEST_LDAP_CA=$LDAP_DIR/ca.pem"
