# Shared by test.sh and run.sh (sourced, not run). Expects the repo root as
# the working directory.

# configure DIR [CMAKE ARGS...]: a Ninja RelWithDebInfo tree in DIR. A tree
# made by another generator is started afresh rather than failing.
configure() {
  local dir=$1
  shift
  if [[ -f "$dir/CMakeCache.txt" ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$dir/CMakeCache.txt"; then
    rm -rf "$dir"
  fi
  cmake -S . -B "$dir" -G Ninja --log-level=WARNING -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
}

# build DIR [TARGET...]: ninja --quiet prints compiler output only (warnings,
# errors), no progress lines.
build() {
  local dir=$1 targets=()
  shift
  (($#)) && targets=(--target "$@")
  cmake --build "$dir" --parallel "${JOBS:-2}" "${targets[@]}" -- --quiet
}
