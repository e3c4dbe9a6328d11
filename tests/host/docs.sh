#!/bin/bash
# The documentation matches the tree: README's list of targets is what
# "make help" prints, and every project path the README, Documentation and
# "make help" name exists (a moved file must not break a documented command).
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
bad=0
readme_help=$(sed -n '/^`make help` lists/,/^## /p' README.md | sed -n '/^  make /p')
if [ -n "$readme_help" ] && [ "$readme_help" = "$(make -s help)" ]; then
	echo "ok 1 docs: README lists the targets exactly as make help prints them"
else
	echo "not ok 1 docs: README's target list differs from make help:"
	diff <(echo "$readme_help") <(make -s help) | sed 's/^/# /'
	bad=1
fi
missing=()
for p in $( (cat README.md Documentation/*.rst Documentation/*.md; make -s help) |
	    grep -oE '(^|[^/A-Za-z0-9_.-])(scripts|tools|selftests|kernel|tests|patches|Documentation)/[A-Za-z0-9_./-]*[A-Za-z0-9_]' |
	    sed -E 's#^[^a-zA-Z]##' | sort -u); do
	case "$p" in
	tools/testing/*|tools/sched_ext*|Documentation/scheduler/*|kernel/sched*) continue ;;	# in the kernel tree
	esac
	[ -e "$p" ] || missing+=("$p")
	# A directory run as a command ("tools/vm -c 4") is a broken command.
	[ ! -d "$p" ] || ! cat README.md Documentation/*.rst Documentation/*.md |
		grep -qE "(^|[^/A-Za-z0-9_.-])$p +(-|--)" || missing+=("$p (a directory run as a command)")
done
if [ ${#missing[@]} = 0 ]; then
	echo "ok 2 docs: every project path the documentation names exists"
else
	echo "not ok 2 docs: named but missing: ${missing[*]}"
	bad=1
fi
echo "1..2"
exit $bad
