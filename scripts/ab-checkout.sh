#!/usr/bin/env bash
# ab-checkout.sh <rev> <dir>: a second checkout of <rev> in <dir> (a git worktree), built, for A/B
# runs of the apps: `cd <dir> && node --enable-source-maps dist/cli.js bench --cost ...` runs the
# apps and migrations of <rev>, while the same command here runs this checkout's.
#
# It shares this checkout's third-party packages, but not the workspace's: linked to node_modules
# whole, its build would bundle this checkout's own packages (@surety/*) instead of its own.
set -euo pipefail
[ $# -eq 2 ] || {
  echo "usage: $0 <rev> <dir>" >&2
  exit 2
}
rev=$1
dir=$2
root="$(cd "$(dirname "$0")/.." && pwd)"
say() { echo "[ab-checkout] $*"; }

cd "$root"
if [ -e "$dir" ]; then
  say "$dir exists: remove it first (git worktree remove --force $dir)"
  exit 1
fi
git worktree add --detach "$dir" "$rev" >/dev/null
say "$dir at $(git -C "$dir" log --oneline -1)"

mkdir "$dir/node_modules" "$dir/node_modules/@surety"
for entry in node_modules/* node_modules/.bin; do
  [ "$(basename "$entry")" = "@surety" ] || ln -s "$root/$entry" "$dir/node_modules/$(basename "$entry")"
done
# Workspace links are relative (../../apps/x), so the same link points into the worktree.
for link in node_modules/@surety/*; do
  ln -s "$(readlink "$link")" "$dir/node_modules/@surety/$(basename "$link")"
done
for workspace in apps/* packages/*; do
  if [ -d "$workspace/node_modules" ] && [ -d "$dir/$workspace" ]; then
    ln -s "$root/$workspace/node_modules" "$dir/$workspace/node_modules"
  fi
done
# The page the api serves is built by bootstrap; the bench does not look at it.
[ -d apps/api/public ] && cp -r apps/api/public "$dir/apps/api/"

say "building $dir/dist"
(cd "$dir" && node --import tsx scripts/build-dist.ts)
if grep -l "$root/" "$dir"/dist/*.js >/dev/null 2>&1; then
  say "its build names files of $root: it is not built from its own sources"
  exit 1
fi
say "ready: cd $dir && node --enable-source-maps dist/cli.js bench --cost ..."
