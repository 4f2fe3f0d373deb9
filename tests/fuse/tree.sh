# shellcheck shell=bash
# tree.sh - the host's check of what `vio9p mount` wrote; source it.

# fuse_check_tree DIR MANIFEST PATTERN UID: every entry MANIFEST lists is
# in DIR, of its type, mode and contents (PATTERN is the host's pattern
# tool), owned by UID; DIR holds nothing else.  Prints what differs.
fuse_check_tree() {
	local dir=$1 man=$2 pattern=$3 uid=$4 kind mode a b p rc=0
	while read -r kind mode a b p; do
		case $kind in
		'#'* | '') continue ;;
		d) if [ ! -d "$dir/$p" ] || [ -L "$dir/$p" ]; then
			echo "$p: not a directory"
			rc=1
			continue
		fi ;;
		f) if [ ! -f "$dir/$p" ] || [ -L "$dir/$p" ] ||
			! cmp "$dir/$p" <("$pattern" "$a" "$b"); then
			echo "$p: not $b bytes of pattern $a"
			rc=1
			continue
		fi ;;
		l) if [ "$(readlink "$dir/$p")" != "$a" ]; then
			echo "$p: not a link to $a"
			rc=1
			continue
		fi ;;
		esac
		if [ "$mode" != - ] && [ "$(stat -c %a "$dir/$p")" != "$mode" ]; then
			echo "$p: mode $(stat -c %a "$dir/$p"), want $mode"
			rc=1
		fi
		if [ "$(stat -c %u "$dir/$p")" != "$uid" ]; then
			echo "$p: owner $(stat -c %u "$dir/$p"), want $uid"
			rc=1
		fi
	done <"$man"
	diff <(awk '!/^#/ && NF { print $5 }' "$man" | sort) \
		<(cd "$dir" && find . -mindepth 1 | sed 's|^\./||' | sort) || rc=1
	return "$rc"
}
