#!/usr/bin/env bash
# The steps of the GitHub Action in deployer/action.yml: `action.sh build`, `action.sh run` and
# `action.sh report`. A file rather than inline run: blocks, so shellcheck and tests/action_test.go
# check it. Inputs arrive as environment variables (INPUT_*, ACTION_*) that action.yml maps from
# ${{ inputs.* }}: nothing a workflow passes is ever pasted into a script, so no input can inject
# shell code. None of them is named DEPLOYER_*: the deployer reads DEPLOYER_<FLAG> as flag values.
set -euo pipefail

# fail reports an error as a workflow annotation and exits 2, the deployer's exit code for bad input.
fail() {
  local msg
  # shellcheck disable=SC2059 # the format is the caller's
  msg="$(printf "$@")"
  echo "::error title=deployer action::$(escape_data "$msg")"
  exit 2
}

# escape_data escapes a workflow command's message (%, CR and LF), so a value cannot end the
# annotation early or start a command of its own.
escape_data() {
  local s="$1"
  s="${s//'%'/'%25'}"
  s="${s//$'\r'/'%0D'}"
  s="${s//$'\n'/'%0A'}"
  printf '%s' "$s"
}

# escape_property escapes a workflow command's property value (a title): also : and ,.
escape_property() {
  local s
  s="$(escape_data "$1")"
  s="${s//':'/'%3A'}"
  s="${s//','/'%2C'}"
  printf '%s' "$s"
}

# set_output appends name=value to the step's outputs in GitHub's multi-line form, with a random
# delimiter, so a value with newlines (a message, a path) cannot set a second output.
set_output() {
  local name="$1" value="$2" delim
  delim="EOF_$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
  [[ "$value" != *"$delim"* ]] || fail "output %s holds its own delimiter" "$name"
  printf '%s<<%s\n%s\n%s\n' "$name" "$delim" "$value" "$delim" >>"${GITHUB_OUTPUT:?}"
}

# stamp_ok says whether a value can go into -ldflags -X (which splits on spaces and quotes).
stamp_ok() {
  [[ -n "$1" && "$1" != *[!A-Za-z0-9._+/:-]* ]]
}

# action_build builds the deployer from the action's own source (the repository around
# $GITHUB_ACTION_PATH, at the ref the workflow named), puts it on PATH for the job's later steps and
# outputs its path. ACTION_REF is github.action_ref: empty for a local `uses: ./deployer`.
action_build() {
  local root bin_dir commit="" date="" ldflags=""
  root="$(cd "${GITHUB_ACTION_PATH:?}/.." && pwd)"
  bin_dir="${RUNNER_TEMP:?}/ai-bluegreen-deployer"
  # A remote action arrives as a tarball without .git; a local one is inside the workflow's checkout.
  if [ -e "$root/.git" ]; then
    commit="$(git -C "$root" rev-parse HEAD 2>/dev/null || true)"
    date="$(git -C "$root" log -1 --format=%cI 2>/dev/null || true)"
  fi
  if stamp_ok "${ACTION_REF:-}"; then ldflags+=" -X main.version=$ACTION_REF"; fi
  if stamp_ok "$commit"; then ldflags+=" -X main.commit=$commit"; fi
  if stamp_ok "$date"; then ldflags+=" -X main.date=$date"; fi
  (cd "$root" && CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "${ldflags# }" \
    -o "$bin_dir/deployer" ./deployer/cmd/deployer)
  echo "$bin_dir" >>"${GITHUB_PATH:?}"
  set_output path "$bin_dir/deployer"
  echo "built $bin_dir/deployer (ref ${ACTION_REF:-local}, commit ${commit:-unknown})"
}

# args is the deployer's command line, built by action_run.
args=()

# add_flag appends "--flag value" when the value is not empty.
add_flag() {
  if [ -n "$2" ]; then args+=("$1" "$2"); fi
}

# add_arg_lines appends the `args` input: one flag per line, `--flag value` (the value is the rest
# of the line, spaces included), `--flag=value` or `--flag`; blank lines and # comments are skipped.
# No shell parsing: quotes are part of the value, and nothing is expanded.
add_arg_lines() {
  local line flag value
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line#"${line%%[![:space:]]*}"}"
    line="${line%"${line##*[![:space:]]}"}"
    case "$line" in
    '' | '#'*) continue ;;
    --output | --output=* | -output | -output=*)
      fail "args: %s is set by the action, which reads the JSON result (see the result-path output)" "${line%%[[:space:]=]*}" ;;
    -*) ;;
    *) fail "args: %q is not a flag; write one flag per line: --flag value, --flag=value or --flag" "$line" ;;
    esac
    flag="${line%%[[:space:]]*}"
    if [ "$flag" = "$line" ] || [[ "$flag" == *=* ]]; then
      args+=("$line")
      continue
    fi
    value="${line#"$flag"}"
    value="${value#"${value%%[![:space:]]*}"}"
    args+=("$flag" "$value")
  done <<<"$1"
}

# action_run runs the deployer command and replaces this shell with it (exec), so the deployer is
# the step's process: the runner signals that one process on cancel (see action.yml), and bash
# would not pass the signal on to a child.
action_run() {
  local deployer="${ACTION_DEPLOYER:?the build step reported no deployer}"
  local command="${INPUT_COMMAND:-deploy}" result summary
  [[ "$command" =~ ^[a-z]+$ ]] || fail "command: %q is not a deployer command (deploy, plan, status, rollback, continue, abort)" "$command"
  result="${INPUT_RESULT_PATH:-${RUNNER_TEMP:?}/deployer-$command.json}"
  summary="${result%.json}.md"
  [ "$summary" != "$result" ] || summary="$result.md"

  args=("$command")
  add_flag --stack-outputs "${INPUT_STACK_OUTPUTS:-}"
  add_flag --image "${INPUT_IMAGE:-}"
  add_flag --validation-suite "${INPUT_VALIDATION_SUITE:-}"
  add_flag --soak "${INPUT_SOAK:-}"
  add_flag --deployment-id "${INPUT_DEPLOYMENT_ID:-}"
  case "${INPUT_HOLD_AT_READY:-false}" in
  true) args+=(--hold-at-ready) ;;
  false) ;;
  *) fail "hold-at-ready: %q is neither true nor false" "$INPUT_HOLD_AT_READY" ;;
  esac
  add_arg_lines "${INPUT_ARGS:-}"
  args+=(--output json)

  mkdir -p -- "$(dirname -- "$result")"
  : >"$summary"
  set_output result-path "$result"
  set_output summary-path "$summary"
  # %q quotes every argument, so no value can start a workflow command (::…) on a line of its own.
  printf 'deployer'
  printf ' %q' "${args[@]}"
  printf ' > %q\n' "$result"
  # The deployer appends its Markdown summary here; the report step copies it into the job summary.
  export GITHUB_STEP_SUMMARY="$summary"
  exec "$deployer" "${args[@]}" >"$result"
}

# json_string and json_number read a top-level field of the deployer's JSON result. The deployer
# writes it with encoding/json's two-space indent, so a top-level field is a line of its own starting
# with exactly two spaces; nested fields start with more. No jq needed on self-hosted runners.
json_string() {
  sed -n 's/^  "'"$1"'": "\(.*\)",\{0,1\}$/\1/p' "$2" | head -n 1
}

json_number() {
  sed -n 's/^  "'"$1"'": \(-\{0,1\}[0-9][0-9]*\),\{0,1\}$/\1/p' "$2" | head -n 1
}

# json_unescape decodes what encoding/json escapes in the deployer's messages. Patterns and
# replacements are quoted: bash 5.2 would read a bare & in a replacement as the match.
# shellcheck disable=SC1003 # '\' is a quoted backslash, not an attempt to escape a quote
json_unescape() {
  local s="$1"
  s="${s//'\\'/$'\x01'}"
  s="${s//'\"'/'"'}"
  s="${s//'\n'/$'\n'}"
  s="${s//'\t'/$'\t'}"
  s="${s//'\r'/}"
  s="${s//'\u003c'/'<'}"
  s="${s//'\u003e'/'>'}"
  s="${s//'\u0026'/'&'}"
  s="${s//$'\x01'/'\'}"
  printf '%s' "$s"
}

# action_report runs after the deployer, whatever it did (also on failure and cancellation): it
# copies the deployer's Markdown summary into the job summary, sets the action's outputs from the
# JSON result and annotates the run with the outcome, so the run's page says why without the log.
action_report() {
  local result="${ACTION_RESULT_PATH:-}" summary="${ACTION_SUMMARY_PATH:-}" outcome code id message
  if [ -n "$summary" ] && [ -s "$summary" ]; then cat -- "$summary" >>"${GITHUB_STEP_SUMMARY:?}"; fi
  if [ -z "$result" ] || [ ! -s "$result" ]; then
    echo "::warning title=deployer::$(escape_data "no result in ${result:-(no path)}: the deployer stopped before writing one (a flag it does not know, or it never started); its log above says why")"
    return 0
  fi
  outcome="$(json_string outcome "$result")"
  code="$(json_number exitCode "$result")"
  id="$(json_string deploymentId "$result")"
  message="$(json_unescape "$(json_string message "$result")")"
  set_output outcome "$outcome"
  set_output exit-code "$code"
  set_output deployment-id "$id"
  set_output message "$message"
  if [ "$code" = 0 ]; then
    echo "::notice title=$(escape_property "deployer $outcome")::$(escape_data "${message:-$outcome}")"
  else
    echo "::error title=$(escape_property "deployer $outcome (exit $code)")::$(escape_data "${message:-$outcome}")"
  fi
}

case "${1:-}" in
build) action_build ;;
run) action_run ;;
report) action_report ;;
*) fail "usage: action.sh build|run|report (got %q)" "${1:-}" ;;
esac
