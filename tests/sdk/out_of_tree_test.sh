#!/usr/bin/env bash
# The SDK from outside the tree, as a user meets it: `cmake --install` remix into a fresh prefix, build the
# one-file router of examples/out_of_tree_router against it with find_package(remix), run the router
# conformance suite on it through the installed package (its ctest tests), check that the suite fails a
# router that breaks the contract, and that the installed remix lists it, describes it, and accepts a config
# that uses it.
#   out_of_tree_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cmake --install "$build" --prefix "$tmp/prefix" > "$tmp/install.log"
cp -r "$src/examples/out_of_tree_router" "$tmp/router"
cmake -S "$tmp/router" -B "$tmp/router/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_BUILD_TYPE=Release \
  > "$tmp/configure.log" || { cat "$tmp/configure.log"; exit 1; }
cmake --build "$tmp/router/build" -j2 > "$tmp/build.log" || { cat "$tmp/build.log"; exit 1; }
test -f "$tmp/router/build/random_router.so"

# The conformance suite, as the example's CMakeLists declares it: two configurations, both pass.
ctest --test-dir "$tmp/router/build" --output-on-failure > "$tmp/ctest.log" || { cat "$tmp/ctest.log"; exit 1; }
cat "$tmp/ctest.log"
grep -q '100% tests passed, 0 tests failed out of 2' "$tmp/ctest.log"
grep -q '5 of 5 checks passed' "$tmp/router/build/Testing/Temporary/LastTest.log"

# A router that breaks the contract (padding leaks into its choice, NaN for large inputs) fails the same
# suite, run the same way.
cp "$src/tests/fixtures/plugins/leaky_router.cpp" "$tmp/router/random_router.cpp"
sed -i 's/random_router.conformance.k3/random_router.conformance.leaky/' "$tmp/router/CMakeLists.txt"
cmake --build "$tmp/router/build" -j2 > "$tmp/build2.log" || { cat "$tmp/build2.log"; exit 1; }
if ctest --test-dir "$tmp/router/build" > "$tmp/ctest2.log"; then
  cat "$tmp/ctest2.log"; echo "the conformance suite passed a router that breaks the contract"; exit 1
fi
grep -q 'FAIL' "$tmp/router/build/Testing/Temporary/LastTest.log"
grep -q 'padding tokens changed' "$tmp/router/build/Testing/Temporary/LastTest.log"
cp "$src/examples/out_of_tree_router/random_router.cpp" "$tmp/router/random_router.cpp"
cmake --build "$tmp/router/build" -j2 > "$tmp/build3.log" || { cat "$tmp/build3.log"; exit 1; }

remix="$tmp/prefix/bin/remix"
listing=$("$remix" plugins --plugin-path "$tmp/router/build")
echo "$listing"
echo "$listing" | grep -Eq '^random_router +router +1\.0\.0 +.*random_router\.so +ok'
"$remix" plugins --plugin-path "$tmp/router/build" --describe random_router | grep -q 'total weight of the chosen experts'

# A config naming it validates (its parameter is typed and range-checked like any other).
cat > "$tmp/exp.yaml" <<YAML
plugin_paths: [$tmp/router/build]
router: {plugin: random_router, weight: 2.0}
tasks: {add: {plugin: $build/tests/plugins/test_task.so}}
YAML
"$remix" config "$tmp/exp.yaml" | grep -q 'plugin: random_router'
if "$remix" config "$tmp/exp.yaml" router.weight=500 2> "$tmp/err.txt"; then
  echo "out-of-range parameter accepted"; exit 1
fi
grep -q 'router.weight: must be at most 100, got 500' "$tmp/err.txt"
echo "out-of-tree plugin: ok"
