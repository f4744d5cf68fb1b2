# The build tools Lab Portal needs (pinned versions, whether each is installed,
# how to install it), background jobs with progress lines, the release
# compiles and the site bundle (laid out as cargo-leptos lays it out, without
# needing it). Sourced by scripts/install-tools.sh, scripts/run and
# scripts/test; expects ROOT to be the checkout.
#
# Everything comes from crates.io, npm and Debian's packages: nothing
# downloads a prebuilt binary from elsewhere.

WASM_BINDGEN_VERSION=0.2.130
# Splits the browser bundle at the lazily loaded pages; must understand the
# markers of the wasm_split_helpers crate leptos uses (Cargo.lock).
WASM_SPLIT_VERSION=0.2.4
LEPTOSFMT_VERSION=0.1.33
OPENAI_VERSION=3.54.0
# The S3 server the dataset storage tests run against (PyPI's moto[server]).
MOTO_VERSION=5.2.1

export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"

# --- what is installed -------------------------------------------------------

has_wasm_target() { rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; }
# The site bundle runs the wasm-bindgen on PATH; it must match the crate exactly.
has_wasm_bindgen() { wasm-bindgen --version 2>/dev/null | grep -qwF "$WASM_BINDGEN_VERSION"; }
has_wasm_split() {
  command -v wasm-split-cli >/dev/null &&
    grep -qF "wasm_split_cli_support $WASM_SPLIT_VERSION " "$HOME/.cargo/.crates.toml" 2>/dev/null
}
has_leptosfmt() { leptosfmt --version 2>/dev/null | grep -qwF "$LEPTOSFMT_VERSION"; }
# wasm-opt (binaryen) and Playwright come from npm, pinned by package-lock.json.
has_npm_build() { [ -x "$ROOT/node_modules/.bin/wasm-opt" ]; }
has_npm_e2e() { [ -d "$ROOT/end2end/node_modules/@playwright/test" ] && [ -d "$ROOT/end2end/node_modules/@axe-core/playwright" ]; }
has_openai() {
  "$ROOT/target/openai-venv/bin/python" -c \
    "import openai, sys; sys.exit(openai.__version__ != '$OPENAI_VERSION')" 2>/dev/null
}
has_moto() {
  "$ROOT/target/moto-venv/bin/python" -c \
    "import moto, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null &&
    [ -x "$ROOT/target/moto-venv/bin/moto_server" ]
}
has_chromium() { [ -x /usr/bin/chromium ]; }

# --- how to install it -------------------------------------------------------

# Cargo tools build with a quicker release profile (they are not our code) and
# each in its own target directory, so they never wait on the project's build
# lock (nor on each other) and a CARGO_TARGET_DIR set for the project is not used.
cargo_install_tool() {
  local name="$1"; shift
  local dir="$ROOT/target/tools/$name"
  CARGO_TARGET_DIR="$dir" CARGO_PROFILE_RELEASE_LTO=false \
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
    cargo install "$@" && rm -rf "$dir"
}

install_wasm_target() { rustup target add wasm32-unknown-unknown; }
# Without --locked: wasm-bindgen-cli's lockfile names a crate version the registry lacks.
install_wasm_bindgen() { cargo_install_tool wasm-bindgen-cli wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"; }
install_wasm_split() {
  cargo_install_tool wasm-split wasm_split_cli_support --version "$WASM_SPLIT_VERSION" --features build-binary
}
install_leptosfmt() { cargo_install_tool leptosfmt leptosfmt --locked --version "$LEPTOSFMT_VERSION"; }
install_npm_build() { (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error); }
install_npm_e2e() { (cd "$ROOT/end2end" && npm ci --no-audit --no-fund --loglevel=error); }
install_openai() {
  python3 -m venv "$ROOT/target/openai-venv" &&
    "$ROOT/target/openai-venv/bin/pip" install --quiet --disable-pip-version-check "openai==$OPENAI_VERSION"
}
install_moto() {
  python3 -m venv "$ROOT/target/moto-venv" &&
    "$ROOT/target/moto-venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
}
install_chromium() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "Chromium is missing: run 'sudo apt-get install chromium' and try again." >&2
    return 1
  fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
}

# --- which tools a script needs ----------------------------------------------

# One tool a line: name|who needs it|crates it compiles|minutes it takes alone
# on an idle 2-core machine|check|install|what the progress line calls it.
# Measured with the quicker tool profile above: wasm-bindgen-cli is 161 crates
# and about 8 CPU-minutes, leptosfmt 69 and 3. (cargo-leptos, 548 crates and
# 41 CPU-minutes, is not needed: bundle_site below does its release job.)
tool_table() {
  cat <<EOF
wasm-opt|run test|0|1|has_npm_build|install_npm_build|installing wasm-opt from npm
wasm-bindgen-cli|run test|161|3|has_wasm_bindgen|install_wasm_bindgen|building wasm-bindgen-cli $WASM_BINDGEN_VERSION
wasm-split|run test|70|2|has_wasm_split|install_wasm_split|building wasm-split-cli $WASM_SPLIT_VERSION
leptosfmt|test|69|2|has_leptosfmt|install_leptosfmt|building leptosfmt $LEPTOSFMT_VERSION
playwright|test|0|1|has_npm_e2e|install_npm_e2e|installing Playwright from npm (browser tests)
openai|test|0|1|has_openai|install_openai|installing the openai Python package (proxy tests)
moto|test|0|1|has_moto|install_moto|installing moto's S3 server from PyPI (dataset storage tests)
chromium|browser|0|2|has_chromium|install_chromium|installing Debian's chromium (browser tests)
EOF
}

# plan_tools MODE [BROWSER]: NEEDED gets the table rows of the tools that MODE
# ("run" or "test"; BROWSER "yes" adds chromium) needs and that are missing.
NEEDED=()
plan_tools() {
  local mode="$1" browser="${2:-no}" row name who check
  NEEDED=()
  while IFS= read -r row; do
    IFS='|' read -r name who _ _ check _ _ <<<"$row"
    case " $who " in
      *" $mode "*) ;;
      *" browser "*) [ "$browser" = yes ] || continue ;;
      *) continue ;;
    esac
    "$check" || NEEDED+=("$row")
  done < <(tool_table)
}

# Minutes the needed tools take one after another (all are CPU-bound or
# short, so running them side by side takes about as long).
needed_minutes() {
  local row minutes total=0
  for row in "${NEEDED[@]}"; do
    IFS='|' read -r _ _ _ minutes _ _ _ <<<"$row"
    total=$((total + minutes))
  done
  echo "$total"
}

# Starts one background job per needed tool, each with its progress line.
start_needed_tools() {
  local row name crates minutes install label
  for row in "${NEEDED[@]}"; do
    IFS='|' read -r name _ crates minutes _ install label <<<"$row"
    if [ "$crates" -gt 0 ]; then
      step "$label (~$crates crates; about $minutes min alone)"
    else
      step "$label (about $minutes min)"
    fi
    job_start "$name" "$crates" "$install"
  done
}

# --- the release compiles ---------------------------------------------------

# The environment cargo-leptos 0.3.10 gives both compiles (Project::to_envs),
# from [[workspace.metadata.leptos]] in Cargo.toml: kept in step, so that a
# developer's `cargo leptos build --release` (optional) finds these compiles
# up to date. Release builds add no RUSTFLAGS.
leptos_release_env=(
  LEPTOS_OUTPUT_NAME=lab-portal LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg
  LEPTOS_SITE_ADDR=127.0.0.1:3000 LEPTOS_RELOAD_PORT=3001 LEPTOS_LIB_DIR=app
  LEPTOS_BIN_DIR=server LEPTOS_JS_MINIFY=true LEPTOS_HASH_FILES=false
)

cargo_target_dir() {
  cargo metadata --format-version 1 --no-deps --manifest-path "$ROOT/Cargo.toml" |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p'
}

compile_server_release() {
  (cd "$ROOT" && env "${leptos_release_env[@]}" cargo build --package=lab-portal \
    --bin=lab-portal --no-default-features --features=ssr --release)
}

# cargo-leptos compiles the browser bundle in <target dir>/front.
compile_front_release() {
  local target
  target="$(cargo_target_dir)" || return 1
  # Relocations kept in the output, for wasm-split-cli (as `cargo leptos
  # build --split` compiles it).
  (cd "$ROOT" && env "${leptos_release_env[@]}" RUSTFLAGS="-Clink-args=--emit-relocs" \
    cargo build --package=app --lib \
    "--target-dir=$target/front" --target=wasm32-unknown-unknown \
    --no-default-features --features=hydrate --profile=wasm-release)
}

# --- the site bundle ---------------------------------------------------------

# Lays out target/site as `cargo leptos build --release --split` does, from
# the two compiles above: assets from public/; the browser bundle split by
# wasm-split-cli where the lazily loaded pages begin (`app::pages::lazy`:
# `split_*.wasm` and shared `chunk_*.wasm`, fetched by `__wasm_split.js`
# when first needed), the main module through wasm-bindgen
# (`pkg/lab-portal.js`, `pkg/lab-portal.wasm`) and every module through
# binaryen's -Oz (`scripts/lib/wasm-opt.mjs`); the stylesheet as
# `pkg/lab-portal.css`; then `lab-portal
# assets` names the files by their content's hash and writes brotli and
# gzip copies beside each (`pkg/assets.json` tells the server the names).
# cargo-leptos (for `cargo leptos watch --split`) remains an optional
# development tool.
bundle_site() {
  local target site wasm split
  target="$(cargo_target_dir)" || return 1
  site="$ROOT/target/site"
  wasm="$target/front/wasm32-unknown-unknown/wasm-release/app.wasm"
  split="$target/front/split"
  [ -f "$wasm" ] || { say "missing $wasm: compile the browser bundle first"; return 1; }
  rm -rf "$site.new" "$split"
  mkdir -p "$site.new/pkg"
  cp -R "$ROOT/public/." "$site.new/"
  # Every module through `wasm-opt -Oz` in a few node processes (one a
  # core, largest modules dealt first) rather than one per module: binaryen
  # takes half a second to start, and there are hundreds of modules. Its
  # warnings (name sections it does not know) go to the log, shown only if
  # a step fails.
  wasm-split-cli --out-name=lab-portal "$wasm" "$split" >"$site.new/split.log" 2>&1 &&
    wasm-bindgen --target=web --no-typescript --keep-lld-exports --out-name=lab-portal \
      --out-dir="$site.new/pkg" "$split/lab-portal.wasm" &&
    mv "$site.new/pkg/lab-portal_bg.wasm" "$split/lab-portal.wasm" &&
    (cd "$split" || exit 1
      ls -S -- *.wasm | awk -v n="$(nproc)" '{ print > ("opt-list-" (NR % n)) }' || exit 1
      for list in opt-list-*; do
        xargs node "$ROOT/scripts/lib/wasm-opt.mjs" "$site.new/pkg" <"$list" &
      done
      failed=0
      for job in $(jobs -p); do wait "$job" || failed=1; done
      exit "$failed") >>"$site.new/split.log" 2>&1 &&
    cp "$split/__wasm_split.js" "$site.new/pkg/" &&
    cp "$ROOT/style/main.css" "$site.new/pkg/lab-portal.css" &&
    "$target/release/lab-portal" assets "$site.new/pkg" >"$site.new/assets.log" 2>&1 ||
    { cat "$site.new/split.log" "$site.new/assets.log" >&2 2>/dev/null; return 1; }
  rm -f "$site.new/assets.log" "$site.new/split.log"
  rm -rf "$site" "$split"
  mv "$site.new" "$site"
}

# The release server and site, compiled and bundled in the foreground (the
# compiles are quick when up to date).
build_release() {
  compile_server_release && compile_front_release && bundle_site
}

# --- progress ----------------------------------------------------------------

STEP=0
STEPS=0
PROGRESS_START="$(date +%s)"

duration() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }
elapsed() { duration $(($(date +%s) - PROGRESS_START)); }
say() { printf '%s\n' "$*" >&2; }
step() { STEP=$((STEP + 1)); printf '\033[1m[%d/%d]\033[0m %s\n' "$STEP" "$STEPS" "$*" >&2; }

# Background jobs: each runs in its own session (so it can be stopped as a
# whole) with its output in LOG_DIR/<name>.log.
LOG_DIR="${LOG_DIR:-$ROOT/target/first-run}"
declare -A JOB_PID=() JOB_START=() JOB_CRATES=()
JOB_ORDER=()

# job_start NAME CRATES FUNCTION: CRATES is about how many crates it compiles
# (0: not a compile), for the progress lines; FUNCTION is one of this file's.
job_start() {
  local name="$1" crates="$2" fn="$3"
  mkdir -p "$LOG_DIR"
  ROOT="$ROOT" setsid -w bash -c 'source "$ROOT/scripts/lib/tools.sh" && "$0"' "$fn" \
    >"$LOG_DIR/$name.log" 2>&1 </dev/null &
  JOB_PID[$name]=$!
  JOB_START[$name]="$(date +%s)"
  JOB_CRATES[$name]="$crates"
  JOB_ORDER+=("$name")
}

jobs_stop() {
  local name
  for name in "${!JOB_PID[@]}"; do kill -TERM -- "-${JOB_PID[$name]}" 2>/dev/null || true; done
}

job_status() {
  local name="$1" crates="${JOB_CRATES[$1]}" done
  if [ "$crates" -gt 0 ]; then
    done="$(grep -c '^ *Compiling ' "$LOG_DIR/$name.log" 2>/dev/null || true)"
    printf '%s %s/~%s crates' "$name" "${done:-0}" "$crates"
  else
    printf '%s' "$name"
  fi
}

# Waits for every started job, printing a line a minute; on a failure, shows
# the end of that job's log, stops the others and returns 1.
jobs_wait() {
  local total_estimate="$1" name rc running tick=0
  while :; do
    running=()
    for name in "${JOB_ORDER[@]}"; do
      [ -n "${JOB_PID[$name]:-}" ] || continue
      if kill -0 "${JOB_PID[$name]}" 2>/dev/null; then
        running+=("$(job_status "$name")")
        continue
      fi
      rc=0; wait "${JOB_PID[$name]}" || rc=$?
      unset "JOB_PID[$name]"
      if [ "$rc" -ne 0 ]; then
        say "FAILED: $name (exit $rc). The end of $LOG_DIR/$name.log:"
        tail -n 30 "$LOG_DIR/$name.log" >&2
        jobs_stop
        return 1
      fi
      say "      done: $name after $(duration $(($(date +%s) - JOB_START[$name])))"
    done
    [ "${#running[@]}" -gt 0 ] || return 0
    if [ $((tick % 12)) -eq 11 ]; then
      local line
      line="$(printf '%s; ' "${running[@]}")"
      say "      $(elapsed) of about $total_estimate; running: ${line%; }"
    fi
    tick=$((tick + 1))
    sleep 5
  done
}
