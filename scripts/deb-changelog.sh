#!/bin/sh
# deb-changelog.sh VERSION - print debian/changelog for `make deb`: one entry
# for VERSION (the file VERSION is the one place the version is kept), dated
# with the last commit, so that the same tree gives the same packages.
set -eu

version=${1:?usage: deb-changelog.sh VERSION}
case $version in
*[!0-9A-Za-z.+~]* | [!0-9]*)
	echo "deb-changelog.sh: $version: not a native Debian version" >&2
	exit 1
	;;
esac
date=$(git log -1 --format=%aD 2>/dev/null || date -R)
cat <<EOF_CHANGELOG
vio9p ($version) unstable; urgency=medium

  * vio9p $version, built from the repository by make deb; its history is
    the git log.

 -- vio9p maintainers <maintainers@users.noreply.r-seed-49146343.example>  $date
EOF_CHANGELOG
