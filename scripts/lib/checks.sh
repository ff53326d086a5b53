# Pass/fail bookkeeping of the check scripts (supply-chain, helm): each check prints one line, and a broken case
# must fail for the reason it is about. Source it after setting T (a temp dir for the checks' output).
# shellcheck shell=bash

passed=0 failed=0
ok()  { echo "  ok   $*"; passed=$((passed + 1)); }
bad() { echo "  FAIL $*"; failed=$((failed + 1)); }
# expect_pass NAME CMD…: CMD must exit 0.
expect_pass() {
  local name=$1; shift
  if "$@" > "$T/out" 2>&1; then ok "$name"; else bad "$name"; sed 's/^/       | /' "$T/out" | tail -40; fi
}
# expect_fail NAME REGEX CMD…: CMD must exit non-zero AND its output must match REGEX (so it failed for the reason
# the broken case is about, not for another one).
expect_fail() {
  local name=$1 re=$2; shift 2
  if "$@" > "$T/out" 2>&1; then
    bad "$name (accepted, should have been refused)"; sed 's/^/       | /' "$T/out" | tail -20
  elif grep -Eq -- "$re" "$T/out"; then
    ok "$name (refused: $(grep -Eo -m1 -- "$re" "$T/out" | head -n1 | head -c 100))"
  else
    bad "$name (failed, but not with /$re/)"; sed 's/^/       | /' "$T/out" | tail -20
  fi
}
