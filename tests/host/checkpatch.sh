#!/bin/bash
# Every patch of the series, every source of the pvsteal module and of the
# kselftests' test modules, and the commit that adds the module to the
# kernel tree (scripts/kernel-tree) are clean under checkpatch.pl --strict.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/scripts/lib.sh"
tree=$BUILD/linux
cp=$tree/scripts/checkpatch.pl
n=0 bad=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pvsteal=$tmp/pvsteal.patch
if [ "$(git -C "$tree" log -1 --format=%s 2>/dev/null)" = "$PVSTEAL_SUBJECT" ]; then
	git -C "$tree" format-patch -1 --stdout HEAD >"$pvsteal"
else
	echo "not ok 1 checkpatch: $tree has no pvsteal commit on top (scripts/kernel-tree)"
	n=1 bad=1
fi
for p in "$top"/patches/*.patch "$top"/kernel/pvsteal/*.[ch] \
	 "$top"/selftests/paravirt/test_modules/*.c "$pvsteal"; do
	[ -f "$p" ] || continue
	n=$((n + 1))
	name=$(basename "$p" .patch)
	case $p in *.patch) file= ;; *) file=-f name=${p#"$top"/} ;; esac
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
