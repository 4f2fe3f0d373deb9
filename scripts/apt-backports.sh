#!/bin/sh
# Make bookworm-backports known to apt, with the same archive the machine
# already uses for bookworm (no mirror is named here: the URI is read from
# the machine's own sources), then refresh the package lists if it was new.
#
#   scripts/apt-backports.sh        add /etc/apt/sources.list.d/vio9p-backports.sources
#   scripts/apt-backports.sh -n     print the entry, change nothing
set -eu

out=/etc/apt/sources.list.d/vio9p-backports.sources

# The first URI serving the bookworm suite, in deb822 or one-line form.
uri=$(
	{
		cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
			/^$/ { if (uri != "" && bw) { print uri; exit } uri = ""; bw = 0 }
			/^URIs:/ { uri = $2 }
			/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") bw = 1 }
			END { if (uri != "" && bw) print uri }'
		cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			sed -n 's/^deb *\(\[[^]]*\]\)\{0,1\} *\([^ ]*\) *bookworm .*/\2/p'
	} | head -n 1
)
if [ -z "$uri" ]; then
	echo "apt-backports: no apt source for bookworm found" >&2
	exit 1
fi
entry="Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"

if [ "${1:-}" = -n ]; then
	echo "$entry"
	exit 0
fi
if [ -f "$out" ] && [ "$(cat "$out")" = "$entry" ]; then
	exit 0
fi
echo "$entry" >"$out"
apt-get update -q
