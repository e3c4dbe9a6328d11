#!/bin/bash
# Every patch of the series, and every source of the pvsteal module, is
# clean under checkpatch.pl --strict.
top=$(cd "$(dirname "$0")/../.." && pwd)
cp=${BUILD:-$top/build}/linux/scripts/checkpatch.pl
n=0 bad=0
for p in "$top"/patches/*.patch "$top"/kernel/pvsteal/*.[ch]; do
	n=$((n + 1))
	name=$(basename "$p" .patch)
	case $p in *.patch) file= ;; *) file=-f name=kernel/pvsteal/$name ;; esac
	if out=$(cd "$(dirname "$cp")/.." && "$cp" --strict --no-tree --terse $file "$p" 2>&1) &&
	   ! grep -qE 'ERROR|WARNING|CHECK' <<<"$out"; then
		echo "ok $n checkpatch --strict $name"
	else
		echo "not ok $n checkpatch --strict $name"
		sed 's/^/# /' <<<"$out" | grep -E 'ERROR|WARNING|CHECK' | head -10
		bad=1
	fi
done
echo "1..$n"
exit $bad
