# A PostgreSQL cluster for one test run, from the installed binaries.
# Sourced by scripts/test; sets DATABASE_URL.

start_throwaway_postgres() {
  local dir="$1" bin port
  bin="$(pg_config --bindir 2>/dev/null || ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  if [ ! -x "$bin/pg_ctl" ]; then
    echo "No PostgreSQL found: install it (apt-get install postgresql) or set DATABASE_URL." >&2
    return 1
  fi
  rm -rf "$dir" && mkdir -p "$dir"
  local as=()
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir"; as=(runuser -u postgres --); fi
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  "${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off -c max_connections=300" start >/dev/null
  THROWAWAY_PG=("${as[@]}" "$bin/pg_ctl" -D "$dir/data")
  export DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
}

stop_throwaway_postgres() {
  "${THROWAWAY_PG[@]}" -m fast -w stop >/dev/null
}
