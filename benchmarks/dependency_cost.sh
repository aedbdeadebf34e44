#!/usr/bin/env bash
# What statsmodels and aeon each add to a fresh course set-up, each measured alone in a throwaway
# venv (never the course's .venv). The venv first gets the course's pins of the packages they
# share with the course (numpy, matplotlib), so the numbers are what each adds on top. Then:
# install time (download + install, no pip cache), size on disk, the packages it adds or changes,
# the wheels' download size, whether it installs beside the course's numpy pin, and
# benchmarks/dependency_check.py (bundled data loads with the network refused; import and fit
# times). Takes a few minutes and about 1 GB under $WORK.
#   bash benchmarks/dependency_cost.sh                 # statsmodels, then aeon
#   WORK=/tmp/x bash benchmarks/dependency_cost.sh aeon
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${WORK:-/tmp/depcost}
PY=${PY:-python3.11}
NUMPY=$(grep '^numpy==' "$HERE/../requirements.txt")
MPL=$(grep '^matplotlib==' "$HERE/../requirements.txt")
PKGS=${*:-statsmodels aeon}
mkdir -p "$WORK"
quiet() { grep -v "WARNING: Location" || true; }
for pkg in $PKGS; do
  V="$WORK/venv-$pkg"; D="$WORK/wheels-$pkg"
  rm -rf "$V" "$D"
  $PY -m venv "$V"
  echo "== $pkg ($($PY --version), on top of $NUMPY $MPL)"
  echo -n "beside the course's pin $NUMPY: "
  if "$V/bin/pip" install -q --dry-run --no-cache-dir "$pkg" "$NUMPY" > "$WORK/pin-$pkg.log" 2>&1
  then echo "resolves"; else echo "does not install (see $WORK/pin-$pkg.log)"; fi
  "$V/bin/pip" install -q --no-cache-dir "$NUMPY" "$MPL" 2>&1 | quiet
  "$V/bin/pip" freeze | sort > "$WORK/before-$pkg.txt"
  before=$(du -sk "$V" | cut -f1)
  start=$(date +%s.%N)
  "$V/bin/pip" install -q --no-cache-dir "$pkg" 2>&1 | quiet
  end=$(date +%s.%N)
  after=$(du -sk "$V" | cut -f1)
  "$V/bin/pip" freeze | sort > "$WORK/after-$pkg.txt"
  added=$(comm -13 "$WORK/before-$pkg.txt" "$WORK/after-$pkg.txt")
  printf 'install time (download + install, no pip cache): %.1f s\n' "$(echo "$end - $start" | bc)"
  printf 'added on disk: %d MB\n' "$(( (after - before) / 1024 ))"
  echo "packages added or changed:" $added
  echo "course packages replaced:" $(comm -23 "$WORK/before-$pkg.txt" "$WORK/after-$pkg.txt")
  "$V/bin/pip" download -q --no-deps -d "$D" $added > /dev/null 2>&1
  printf 'wheels to download: %d MB\n' "$(( $(du -sk "$D" | cut -f1) / 1024 ))"
  echo "largest installed packages (MB):"
  du -sm "$V"/lib/python3.11/site-packages/* | sort -rn | head -6 | sed 's/^/  /'
  "$V/bin/python" -W ignore "$HERE/dependency_check.py"
done
